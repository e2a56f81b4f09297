// Reads the source's cluster-wide change stream as the sync sees it: the sync's pipeline and
// namespace filter, expanded events, $changeStreamSplitLargeEvent reassembly where the source
// has it, and a re-read without the bulky fields when an event is too large to read. Both the
// event buffer (during the copy) and the applier (after it) read through this one reader, so they
// see exactly the same sequence of events.
//
// The reader hands out whole events in batches bounded by count and by bytes (sum of the events'
// BSON sizes; a batch may pass the byte bound by its last event), each batch ending after a DDL
// event so that DDL stays at a barrier. A batch that holds an event is handed out as soon as the
// events the server already sent are used up: it never waits on the server for more, so a busy
// source fills batches (each getMore brings up to a batch of events) and a quiet one is not held
// back. After each batch, `position` is the checkpoint that resumes right after it (the last
// event's token, or the stream's high-water token).
import { ApplicationFailure } from '@temporalio/activity';
import {
  type ChangeStream,
  type ChangeStreamDocument,
  type Document,
  type MongoClient,
  MongoServerError,
  Timestamp,
} from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { noteClusterTime, serverVersion } from '../mongo/commands';
import { toClusterTime, toTimestamp } from '../mongo/cluster-time';
import { isEventTooLarge, isServerError, ServerErrorCode } from '../mongo/server-errors';
import { buildChangeStreamPipeline, REQUIRED_CHANGE_STREAM_OPTIONS } from '../sync/change-stream-filter';
import { bsonSize } from '../sync/document-size';
import { oplogFreeSeconds } from '../sync/oplog-window';
import { SyncErrorName } from '../sync/errors';
import type { NamespaceMatcher } from '../sync/namespace-filter';
import { SPLIT_LARGE_EVENT_STAGE, SplitEventAssembler, SplitEventError, supportsSplitLargeEvent } from '../sync/split-events';
import type { ChangeStreamCheckpoint } from '../sync/state';
import { clusterTimeFromResumeToken, compareClusterTimes, type ClusterTime } from '../sync/vocabulary';
import { isDdlEvent } from './destination-writer';

/**
 * Without these fields every event is small. An event that the server cannot send whole, or
 * that is too large to store in the event buffer, reaches the writer without them, which then
 * takes the document from the source (a `resync`).
 */
export const BULKY_EVENT_FIELDS = ['fullDocument', 'fullDocumentBeforeChange', 'updateDescription'] as const;

export interface EventBatchBounds {
  maxEvents: number;
  maxBytes: number;
}

export interface SourceEventBatch {
  events: ChangeStreamDocument[];
  /** the BSON size of each event, in order */
  sizes: number[];
  /** an event past `stopAt` was seen: the batch ends before it and the reader is done */
  pastStopAt: boolean;
  /** `position` right after this batch: where to resume once the batch is applied */
  position: ChangeStreamCheckpoint;
  /** `positionTime` right after this batch */
  positionTime: ClusterTime | null;
}

/** The source time a checkpoint stands at (its token's time, or its start time). */
export function checkpointTime(checkpoint: ChangeStreamCheckpoint): ClusterTime | null {
  return (checkpoint.resumeToken && clusterTimeFromResumeToken(checkpoint.resumeToken)) ?? checkpoint.startAt ?? null;
}

/** Removes the fields that make an event large (a copy; the event itself is unchanged). */
export function withoutBulkyFields(event: Document): Document {
  const thin: Document = { ...event };
  for (const field of BULKY_EVENT_FIELDS) delete thin[field];
  return thin;
}

export class SourceEventReader {
  private stream: ChangeStream<Document, ChangeStreamDocument> | undefined;
  private fragments = new SplitEventAssembler();
  private splitLargeEvents = false;
  // Once an event proved too large to read (a server without $changeStreamSplitLargeEvent, or an
  // event it cannot split), the rest of this reader's life reads events without their bulky fields.
  private thin = false;
  private checkpoint: ChangeStreamCheckpoint;
  private highWaterTime: ClusterTime | null;

  constructor(
    private readonly source: MongoClient,
    private readonly filter: NamespaceMatcher,
    from: ChangeStreamCheckpoint,
    private readonly bounds: EventBatchBounds,
  ) {
    this.checkpoint = from;
    this.highWaterTime = checkpointTime(from);
  }

  /** Where a reader resumes to continue right after the last batch handed out. */
  get position(): ChangeStreamCheckpoint {
    return this.checkpoint;
  }

  /** The source time of `position`: every event up to it was handed out. */
  get positionTime(): ClusterTime | null {
    return this.highWaterTime;
  }

  /** Opens the stream at the checkpoint; `now` stands in for a checkpoint without a position. */
  async open(now: () => Promise<ClusterTime>): Promise<void> {
    this.splitLargeEvents = supportsSplitLargeEvent(await serverVersion(this.source));
    if (!this.checkpoint.resumeToken && !this.checkpoint.startAt) {
      this.checkpoint = { resumeToken: null, startAt: await now() };
      this.highWaterTime = this.checkpoint.startAt;
    }
    this.stream = this.openStream();
  }

  private openStream(): ChangeStream<Document, ChangeStreamDocument> {
    const checkpoint = this.checkpoint;
    return this.source.watch<Document, ChangeStreamDocument>(
      [
        ...buildChangeStreamPipeline(this.filter),
        ...(this.thin ? [{ $unset: [...BULKY_EVENT_FIELDS] }] : []),
        ...(this.splitLargeEvents ? [SPLIT_LARGE_EVENT_STAGE] : []),
      ],
      {
        ...TYPED_READ,
        ...REQUIRED_CHANGE_STREAM_OPTIONS,
        maxAwaitTimeMS: 200,
        batchSize: this.bounds.maxEvents,
        ...(checkpoint.resumeToken
          ? { resumeAfter: checkpoint.resumeToken }
          : { startAtOperationTime: toTimestamp(checkpoint.startAt!) }),
      },
    );
  }

  /**
   * The next batch of whole events (possibly empty when the source is idle), bounded by count
   * and bytes, ending after a DDL event or before the first event past `stopAt`. Then `position`
   * resumes after it (the batch holds that position too). Calls must not overlap: a re-read after
   * an event too large to read starts again from the position before this batch. The caller may
   * still be applying the previous batch: reading does not depend on it.
   */
  async next(stopAt: ClusterTime | null = null): Promise<SourceEventBatch> {
    if (!this.stream) throw new Error('SourceEventReader.next before open');
    const events: ChangeStreamDocument[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    let pastStopAt = false;
    // Once the batch holds an event, only the events already received (and the rest of a split
    // event) are added: waiting on the server for more would hold the batch's events back.
    const mayAdd = (): boolean => events.length === 0 || this.fragments.pending || this.stream!.bufferedCount() > 0;
    while (events.length < this.bounds.maxEvents && bytes < this.bounds.maxBytes && mayAdd()) {
      let received: ChangeStreamDocument | null;
      try {
        received = await this.stream.tryNext();
      } catch (error) {
        if (this.thin || !isEventTooLarge(error)) throw asFailure(error);
        // Read again from the position before this batch, whose events nobody has seen yet.
        await this.stream.close();
        this.thin = true;
        this.stream = this.openStream();
        this.fragments = new SplitEventAssembler();
        events.length = 0;
        sizes.length = 0;
        bytes = 0;
        continue;
      }
      if (!received) break;
      let event: ChangeStreamDocument | null;
      try {
        event = this.fragments.push(received as unknown as Document) as unknown as ChangeStreamDocument | null;
      } catch (error) {
        throw asFailure(error);
      }
      if (!event) continue;
      if (stopAt && compareClusterTimes(toClusterTime(event.clusterTime!), stopAt) > 0) {
        pastStopAt = true;
        break;
      }
      const size = bsonSize(event);
      events.push(event);
      sizes.push(size);
      bytes += size;
      if (isDdlEvent(event)) break;
    }
    const last = events[events.length - 1];
    if (last) {
      this.checkpoint = { resumeToken: last._id as { _data: string }, startAt: null };
      const time = toClusterTime(last.clusterTime!);
      if (!this.highWaterTime || compareClusterTimes(time, this.highWaterTime) > 0) this.highWaterTime = time;
    }
    // Inside a split event the driver's token points into it: its first fragments would be lost.
    // Past stopAt the driver's token is beyond an event nobody took.
    const token = this.stream.resumeToken;
    if (!pastStopAt && !this.fragments.pending && token) {
      // The driver's token is the position after the last event it handed out (or the batch's
      // high-water mark), so it covers every event before it.
      this.checkpoint = { resumeToken: token as { _data: string }, startAt: null };
      const time = clusterTimeFromResumeToken(token);
      if (time && (!this.highWaterTime || compareClusterTimes(time, this.highWaterTime) > 0)) this.highWaterTime = time;
    }
    return { events, sizes, pastStopAt, position: this.checkpoint, positionTime: this.highWaterTime };
  }

  async close(): Promise<void> {
    await this.stream?.close();
    this.stream = undefined;
  }
}

/** Periodic no-op writes move the stream's high-water mark on an idle source. */
export class SourceClock {
  private lastNoteAt = 0;
  time: ClusterTime | null = null;

  constructor(
    private readonly source: MongoClient,
    private readonly note: Document,
    private readonly intervalMs = 1000,
  ) {}

  /** Notes the source's time now (a no-op write); returns it. */
  async now(): Promise<ClusterTime> {
    this.time = await noteClusterTime(this.source, this.note);
    this.lastNoteAt = Date.now();
    return this.time;
  }

  /** Notes the time when the last note is older than the interval. */
  async tick(): Promise<void> {
    if (Date.now() - this.lastNoteAt >= this.intervalMs) await this.now();
  }
}

/** What one reading of the source oplog says about its window (docs/event-buffer.md, "Oplog"). */
export interface OplogWindowReading {
  /** the oldest entry's time, or null when local.oplog.rs cannot be read */
  sourceOplogOldest: ClusterTime | null;
  /** seconds until a not-yet-full oplog starts dropping entries (oplogFreeSeconds), or null */
  sourceOplogFreeSeconds: number | null;
}

/**
 * The source oplog's oldest entry (find on local.oplog.rs) and, from its size and cap ($collStats
 * storageStats on it, as mongosync asks for) and the span of its entries, how long it keeps that
 * entry beyond the headroom. Either part is null when the user may not read it: the estimate is
 * then the headroom alone.
 */
export async function readOplogWindow(source: MongoClient): Promise<OplogWindowReading> {
  const oplog = source.db('local').collection('oplog.rs');
  const entryTime = async (direction: 1 | -1): Promise<ClusterTime | null> => {
    const entry = await oplog.findOne({}, { sort: { $natural: direction }, projection: { ts: 1 } });
    return entry?.ts instanceof Timestamp ? toClusterTime(entry.ts) : null;
  };
  let oldest: ClusterTime | null;
  try {
    oldest = await entryTime(1);
  } catch {
    return { sourceOplogOldest: null, sourceOplogFreeSeconds: null };
  }
  if (oldest === null) return { sourceOplogOldest: null, sourceOplogFreeSeconds: null };
  try {
    const [newest, [stats]] = await Promise.all([
      entryTime(-1),
      oplog.aggregate<{ storageStats?: { size?: unknown; maxSize?: unknown } }>([{ $collStats: { storageStats: {} } }]).toArray(),
    ]);
    const usedBytes = Number(stats?.storageStats?.size);
    const maxBytes = Number(stats?.storageStats?.maxSize);
    if (newest === null || !Number.isFinite(usedBytes) || !Number.isFinite(maxBytes)) {
      return { sourceOplogOldest: oldest, sourceOplogFreeSeconds: null };
    }
    return { sourceOplogOldest: oldest, sourceOplogFreeSeconds: oplogFreeSeconds({ usedBytes, maxBytes, oldest, newest }) };
  } catch {
    return { sourceOplogOldest: oldest, sourceOplogFreeSeconds: null };
  }
}

/** Stream errors retrying cannot heal, as non-retryable failures; anything else unchanged. */
export function asFailure(error: unknown): unknown {
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
