// One bounded iteration of change event application: apply the events buffered during the copy
// (src/activities/event-buffer.ts) while the checkpoint is inside the buffer, then tail the
// source's cluster-wide change stream from the checkpoint (src/activities/source-events.ts), apply
// events to the destination in batches bounded by count and bytes, heartbeat the checkpoint after
// each applied batch, and return the new checkpoint. The workflow loops.
//
// The workflow may cancel an iteration to end it early (a commit does not wait for the iteration
// to run its course): the iteration then ends after the batch in hand and returns its result as
// usual, so the checkpoint and the count of applied events stay exact. Only a lost attempt (timed
// out, worker shutting down) ends with an error, and its retry resumes from the heartbeat.
import { Context } from '@temporalio/activity';
import type { ChangeStreamDocument } from 'mongodb';
import type { ClusterConnections } from '../mongo/cluster-clients';
import { toClusterTime } from '../mongo/cluster-time';
import { compileNamespaceFilter } from '../sync/namespace-filter';
import type { BuildIndexesMode, SyncScope } from '../sync/start-options';
import type { ApplyCheckpoint } from '../sync/state';
import { compareClusterTimes, type ClusterTime } from '../sync/vocabulary';
import { recordedChangesFor } from './changed-set-memory';
import { DestinationWriter } from './destination-writer';
import { endRequested } from './heartbeat';
import { deleteBufferedBefore, dropBuffer, readBufferedBatch } from './event-buffer';
import { type OplogWindowReading, readOplogWindow, SourceClock, type SourceEventBatch, SourceEventReader } from './source-events';

export interface ApplyChangeEventsInput extends SyncScope {
  buildIndexes: BuildIndexesMode;
  checkpoint: ApplyCheckpoint;
  /** apply events up to and including this source time, then stop; null = no limit */
  stopAt: ClusterTime | null;
  maxDurationMs: number;
  maxBatchEvents: number;
  /** a batch ends once its events' BSON sizes add up to this (absent from older workflows) */
  maxBatchBytes?: number;
  /** events older than this happened while the collection copy ran */
  copyCompletedAt: ClusterTime | null;
  syncId: string;
  /** the embedded verifier runs: record the documents written, for its commit check */
  recordVerificationChanges?: boolean;
  /** an earlier call from this checkpoint ended without a result: it may have applied events past it */
  mayReplay?: boolean;
}

export interface ApplyChangeEventsResult extends OplogWindowReading {
  checkpoint: ApplyCheckpoint;
  eventsApplied: number;
  /** every source event up to this time is applied */
  appliedThrough: ClusterTime | null;
  /** the source's clock at the end of the iteration */
  sourceTime: ClusterTime;
  lastDdlAt: ClusterTime | null;
  reachedStopAt: boolean;
}

/** Apply batches end once their events add up to this many bytes, unless the workflow says. */
const DEFAULT_BATCH_BYTES = 16 * 1024 * 1024;

export async function applyChangeEvents(
  clients: ClusterConnections,
  input: ApplyChangeEventsInput,
): Promise<ApplyChangeEventsResult> {
  const context = Context.current();
  // Where this attempt starts is recorded (by the workflow, or by the server as the last
  // heartbeat): every later attempt starts there or later.
  let checkpoint: ApplyCheckpoint = (context.info.heartbeatDetails as ApplyCheckpoint | undefined) ?? input.checkpoint;
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const filter = compileNamespaceFilter(input);
  const bounds = { maxEvents: input.maxBatchEvents, maxBytes: input.maxBatchBytes ?? DEFAULT_BATCH_BYTES };
  const writer = new DestinationWriter({
    source,
    destination,
    filter,
    buildIndexes: input.buildIndexes,
    copyCompletedAt: input.copyCompletedAt,
    replaying: context.info.attempt > 1 || input.mayReplay === true,
    recordChanges: input.recordVerificationChanges === true,
    ...(input.recordVerificationChanges ? { changesRecorded: await recordedChangesFor(destination) } : {}),
    heartbeat: () => context.heartbeat(checkpoint),
  });
  const startedAt = Date.now();
  // An iteration applies at least one batch before its time is up: when opening the buffer or
  // the stream takes longer than the iteration's budget (a loaded server), stopping before the
  // first batch would make every iteration end having applied nothing.
  let batchesApplied = 0;
  const timeUp = (): boolean => (batchesApplied > 0 && Date.now() - startedAt >= input.maxDurationMs) || endRequested();
  const cancelled = (): void => {
    if (context.cancellationSignal.aborted && !endRequested()) throw context.cancellationSignal.reason;
  };
  const clock = new SourceClock(source, { c2cSync: input.syncId, reason: 'change event application' });
  let sourceTime = await clock.now();
  let eventsApplied = 0;
  let appliedThrough: ClusterTime | null = null;
  let lastDdlAt: ClusterTime | null = null;
  let reachedStopAt = false;

  const apply = async (events: ChangeStreamDocument[], eventBytes?: number): Promise<void> => {
    batchesApplied += 1;
    if (events.length === 0) return;
    const outcome = await writer.apply(events, eventBytes);
    eventsApplied += events.length;
    if (outcome.lastDdlAt) lastDdlAt = outcome.lastDdlAt;
    appliedThrough = toClusterTime(events[events.length - 1]!.clusterTime!);
  };

  // The events buffered during the copy come first, in order.
  let buffer = checkpoint.buffer;
  if (buffer && buffer.nextSeq >= buffer.end) {
    await dropBuffer(destination);
    buffer = undefined;
    checkpoint = withoutBuffer(checkpoint);
  }
  if (buffer) {
    await deleteBufferedBefore(destination, buffer.nextSeq);
    while (buffer.nextSeq < buffer.end && !timeUp()) {
      cancelled();
      const batch = await readBufferedBatch(destination, buffer.nextSeq, buffer.end, bounds);
      const past = input.stopAt ? batch.events.findIndex((event) => compareClusterTimes(toClusterTime(event.clusterTime!), input.stopAt!) > 0) : -1;
      const events = past < 0 ? batch.events : batch.events.slice(0, past);
      await apply(events);
      buffer = { nextSeq: buffer.nextSeq + events.length, end: buffer.end };
      checkpoint = { ...checkpoint, buffer };
      context.heartbeat(checkpoint);
      if (past >= 0) {
        reachedStopAt = true;
        break;
      }
    }
  }

  // Then the live stream, from the buffer reader's final position (or the checkpoint).
  if (!reachedStopAt && !timeUp() && (!buffer || buffer.nextSeq >= buffer.end)) {
    const reader = new SourceEventReader(source, filter, checkpoint, bounds);
    await reader.open(() => clock.now());
    // The next batch is read from the source while the current one is written to the
    // destination: reading does not depend on the writes. Batches are still applied one after
    // another in stream order, and the checkpoint moves to the end of a batch (the position the
    // reader had right after it) only once that batch is applied; a batch read ahead and not
    // applied when the iteration ends (a request to end it, a failure) is dropped, and the next
    // iteration reads it again.
    let readAhead: Promise<SourceEventBatch> | undefined;
    try {
      for (;;) {
        cancelled();
        const batch = await (readAhead ?? reader.next(input.stopAt));
        readAhead = undefined;
        const reachesStopAt = (time: ClusterTime | null): boolean =>
          input.stopAt !== null && time !== null && compareClusterTimes(time, input.stopAt) >= 0;
        // (an empty batch has no writes for the read to overlap)
        if (batch.events.length > 0 && !batch.pastStopAt && !reachesStopAt(batch.positionTime) && !timeUp()) {
          readAhead = reader.next(input.stopAt);
          // awaited by the next turn, or in `finally`; a failure surfaces there
          readAhead.catch(() => undefined);
        }
        await apply(batch.events, batch.sizes.reduce((sum, size) => sum + size, 0));
        checkpoint = { ...batch.position, ...(buffer ? { buffer } : {}) };
        const position = batch.positionTime;
        if (position && (!appliedThrough || compareClusterTimes(position, appliedThrough) > 0)) appliedThrough = position;
        context.heartbeat(checkpoint);
        if (batch.pastStopAt || reachesStopAt(appliedThrough)) {
          reachedStopAt = true;
          break;
        }
        await clock.tick();
        // A batch read ahead before the time was up is applied too (one batch past the budget);
        // a request to end the iteration ends it after the batch in hand.
        if (endRequested() || (timeUp() && !readAhead)) break;
      }
    } finally {
      // a read in flight ends before the stream closes; its batch is not applied
      await readAhead?.catch(() => undefined);
      await reader.close();
    }
  }
  if (!input.stopAt) await clock.now();
  sourceTime = clock.time ?? sourceTime;
  const oplogWindow = await readOplogWindow(source);
  return { checkpoint, eventsApplied, appliedThrough, sourceTime, lastDdlAt, reachedStopAt, ...oplogWindow };
}

function withoutBuffer(checkpoint: ApplyCheckpoint): ApplyCheckpoint {
  const { buffer: _buffer, ...stream } = checkpoint;
  return stream;
}
