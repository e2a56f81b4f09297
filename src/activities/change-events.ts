// One bounded iteration of change event application: tail the source's cluster-wide change
// stream from the workflow's checkpoint, apply events to the destination in batches, heartbeat
// the checkpoint after each applied batch, and return the new checkpoint. The workflow loops.
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  type ChangeStream,
  type ChangeStreamDocument,
  type Document,
  type MongoClient,
  MongoServerError,
  Timestamp,
} from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { isEventTooLarge, isServerError, ServerErrorCode } from '../mongo/server-errors';
import type { ClusterConnections, ClusterLabel } from '../mongo/cluster-clients';
import { noteClusterTime, serverVersion } from '../mongo/commands';
import { resumeTokenTime, toOpTime, toTimestamp } from '../mongo/op-time';
import { buildChangeStreamPipeline } from '../sync/change-stream-filter';
import { SyncErrorName } from '../sync/errors';
import { SPLIT_LARGE_EVENT_STAGE, SplitEventAssembler, SplitEventError, supportsSplitLargeEvent } from '../sync/split-events';
import { compileNamespaceFilter } from '../sync/namespace-filter';
import type { BuildIndexesMode, NamespaceFilterSpec } from '../sync/start-options';
import type { ChangeStreamCheckpoint } from '../workflows/state';
import { compareOpTime, type OpTime } from '../workflows/types';
import { DestinationWriter, isDdlEvent } from './destination-writer';

export interface ApplyChangeEventsInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  includeNamespaces: NamespaceFilterSpec[];
  excludeNamespaces: NamespaceFilterSpec[];
  buildIndexes: BuildIndexesMode;
  checkpoint: ChangeStreamCheckpoint;
  /** apply events up to and including this source time, then stop; null = no limit */
  stopAt: OpTime | null;
  maxDurationMs: number;
  maxBatchEvents: number;
  /** events older than this happened while the collection copy ran */
  copyCompletedAt: OpTime | null;
  syncId: string;
}

export interface ApplyChangeEventsResult {
  checkpoint: ChangeStreamCheckpoint;
  eventsApplied: number;
  /** every source event up to this time is applied */
  appliedThrough: OpTime | null;
  /** the source's clock at the end of the iteration */
  sourceTime: OpTime;
  lastDdlAt: OpTime | null;
  reachedStopAt: boolean;
  /** the oldest entry of the source's oplog, when it can be read */
  sourceOplogOldest: OpTime | null;
}

const NOOP_INTERVAL_MS = 1000;
/**
 * Without these fields every event is small. An event that the server cannot send whole reaches
 * the writer without them, which then takes the document from the source (a `resync`).
 */
const BULKY_EVENT_FIELDS = ['fullDocument', 'fullDocumentBeforeChange', 'updateDescription'];

export async function applyChangeEvents(
  clients: ClusterConnections,
  input: ApplyChangeEventsInput,
): Promise<ApplyChangeEventsResult> {
  const context = Context.current();
  const heartbeatCheckpoint = context.info.heartbeatDetails as ChangeStreamCheckpoint | undefined;
  let checkpoint: ChangeStreamCheckpoint = heartbeatCheckpoint ?? input.checkpoint;
  const source = clients.client(input.source);
  const filter = compileNamespaceFilter(input);
  const writer = new DestinationWriter({
    source,
    destination: clients.client(input.destination),
    filter,
    buildIndexes: input.buildIndexes,
    copyCompletedAt: input.copyCompletedAt,
    replaying: context.info.attempt > 1,
    heartbeat: () => context.heartbeat(checkpoint),
  });
  const startedAt = Date.now();
  let sourceTime = await noteClusterTime(source, { c2cSync: input.syncId, reason: 'change event application' });
  let lastNoopAt = Date.now();
  let eventsApplied = 0;
  let appliedThrough: OpTime | null = checkpointTime(checkpoint);
  let lastDdlAt: OpTime | null = null;
  let reachedStopAt = false;

  const splitLargeEvents = supportsSplitLargeEvent(await serverVersion(source));
  // Once an event proved too large to read (a server without $changeStreamSplitLargeEvent, or an
  // event it cannot split), the rest of this iteration reads events without their bulky fields.
  let thin = false;
  const openStream = (): ChangeStream<Document, ChangeStreamDocument> =>
    source.watch<Document, ChangeStreamDocument>(
      [
        ...buildChangeStreamPipeline(filter),
        ...(thin ? [{ $unset: BULKY_EVENT_FIELDS }] : []),
        ...(splitLargeEvents ? [SPLIT_LARGE_EVENT_STAGE] : []),
      ],
      {
        ...TYPED_READ,
        showExpandedEvents: true,
        maxAwaitTimeMS: 200,
        batchSize: input.maxBatchEvents,
        ...(checkpoint.resumeToken
          ? { resumeAfter: checkpoint.resumeToken }
          : { startAtOperationTime: toTimestamp(checkpoint.startAt ?? sourceTime) }),
      },
    );
  let stream = openStream();
  let fragments = new SplitEventAssembler();
  try {
    while (!reachedStopAt) {
      const batch: ChangeStreamDocument[] = [];
      let pastStopAt = false;
      while (batch.length < input.maxBatchEvents) {
        let received: ChangeStreamDocument | null;
        try {
          received = await stream.tryNext();
        } catch (error) {
          if (thin || !isEventTooLarge(error)) throw error;
          // Read again from the checkpoint: the events of `batch` are not applied yet.
          await stream.close();
          thin = true;
          stream = openStream();
          fragments = new SplitEventAssembler();
          batch.length = 0;
          continue;
        }
        if (!received) break;
        const event = fragments.push(received as unknown as Document) as unknown as ChangeStreamDocument | null;
        if (!event) continue;
        const eventTime = toOpTime(event.clusterTime!);
        if (input.stopAt && compareOpTime(eventTime, input.stopAt) > 0) {
          pastStopAt = true;
          break;
        }
        batch.push(event);
        if (isDdlEvent(event)) break;
      }
      if (batch.length > 0) {
        const outcome = await writer.apply(batch);
        eventsApplied += batch.length;
        if (outcome.lastDdlAt) lastDdlAt = outcome.lastDdlAt;
        const last = batch[batch.length - 1]!;
        appliedThrough = toOpTime(last.clusterTime!);
        checkpoint = { resumeToken: last._id as { _data: string }, startAt: null };
      }
      // Inside a split event the driver's token points into it: its first fragments would be lost.
      if (!pastStopAt && !fragments.pending && stream.resumeToken) {
        // The driver's token is the position after the last event it handed out (or the batch's
        // high-water mark), so it covers every event before it.
        const highWater = resumeTokenTime(stream.resumeToken);
        checkpoint = { resumeToken: stream.resumeToken as { _data: string }, startAt: null };
        if (highWater && (!appliedThrough || compareOpTime(highWater, appliedThrough) > 0)) appliedThrough = highWater;
      }
      context.heartbeat(checkpoint);
      if (pastStopAt || (input.stopAt && appliedThrough && compareOpTime(appliedThrough, input.stopAt) >= 0)) {
        reachedStopAt = true;
        break;
      }
      if (Date.now() - lastNoopAt >= NOOP_INTERVAL_MS) {
        // Periodic no-ops move the stream's high-water mark on an idle source, keeping lag honest.
        sourceTime = await noteClusterTime(source, { c2cSync: input.syncId, reason: 'change event application' });
        lastNoopAt = Date.now();
      }
      if (Date.now() - startedAt >= input.maxDurationMs) break;
    }
  } catch (error) {
    throw asFailure(error);
  } finally {
    await stream.close();
  }
  if (!input.stopAt) {
    sourceTime = await noteClusterTime(source, { c2cSync: input.syncId, reason: 'change event application' });
  }
  const sourceOplogOldest = await oldestOplogEntry(source);
  return { checkpoint, eventsApplied, appliedThrough, sourceTime, lastDdlAt, reachedStopAt, sourceOplogOldest };
}

/** The time of the source oplog's oldest entry (needs find on local.oplog.rs), or null. */
async function oldestOplogEntry(source: MongoClient): Promise<OpTime | null> {
  try {
    const entry = await source
      .db('local')
      .collection('oplog.rs')
      .findOne({}, { sort: { $natural: 1 }, projection: { ts: 1 } });
    return entry?.ts instanceof Timestamp ? toOpTime(entry.ts) : null;
  } catch {
    return null;
  }
}

function checkpointTime(checkpoint: ChangeStreamCheckpoint): OpTime | null {
  return (checkpoint.resumeToken && resumeTokenTime(checkpoint.resumeToken)) ?? checkpoint.startAt ?? null;
}

function asFailure(error: unknown): unknown {
  if (error instanceof SplitEventError) {
    return ApplicationFailure.nonRetryable(`cannot reassemble a split change event: ${error.message}`, SyncErrorName.ChangeStreamFatal);
  }
  if (error instanceof MongoServerError) {
    if (isEventTooLarge(error)) {
      return ApplicationFailure.nonRetryable(
        `a source change event is too large to read even without its document and update description ` +
          `(server: ${error.message})`,
        SyncErrorName.DocumentTooLarge,
      );
    }
    if (isServerError(error, ServerErrorCode.ChangeStreamHistoryLost)) {
      return ApplicationFailure.nonRetryable(
        `the source's oplog no longer holds the change stream's resume point: the sync cannot continue and must ` +
          `start over (server: ${error.message})`,
        SyncErrorName.ChangeStreamHistoryLost,
      );
    }
    if (isServerError(error, ServerErrorCode.ChangeStreamFatalError)) {
      return ApplicationFailure.nonRetryable(
        `the change stream cannot resume from its checkpoint (server: ${error.message})`,
        SyncErrorName.ChangeStreamFatal,
      );
    }
  }
  return error;
}
