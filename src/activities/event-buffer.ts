// The durable event buffer on the destination (docs/event-buffer.md). While the copy runs, the
// buffer reader tails the source's change stream from the start point and stores each event, in
// stream order, in the destination's metadata database; after the copy the applier applies the
// stored events in order and then continues on the live stream from the buffer's checkpoint. So
// the source's oplog needs to cover only the buffer reader's lag, not the whole copy.
//
// Sequence numbers: the k-th event after a checkpoint {position, nextSeq} is stored at
// `nextSeq + k`, by upsert on `_id`. The stream from a position is always the same sequence of
// events, so a retried attempt (resuming from its heartbeat) or a zombie attempt rewrites the
// same events at the same numbers: no gap, no duplicate. The workflow records the buffer's end
// when buffering stops; entries at or past it (a zombie's) are never read.
//
// Each entry holds the event's exact BSON bytes (`event`, as the stream delivered it) with its
// time and operation type for people inspecting the buffer. An entry that would pass the 16 MB
// document limit stores the event without its bulky fields; the writer then takes the document
// from the source, as for an event too large to read.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Binary, BSON, type ChangeStreamDocument, type Document, type MongoClient, type Timestamp } from 'mongodb';
import type { ClusterConnections } from '../mongo/cluster-clients';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { isNamespaceNotFound } from '../mongo/server-errors';
import { bsonSize, MAX_BSON_OBJECT_SIZE } from '../sync/document-size';
import { SyncErrorName } from '../sync/errors';
import { C2C_METADATA_DB } from '../sync/namespace-names';
import { compileNamespaceFilter } from '../sync/namespace-filter';
import type { SyncScope } from '../sync/start-options';
import type { ChangeStreamCheckpoint, EventBufferCheckpoint } from '../sync/state';
import type { ClusterTime } from '../sync/vocabulary';
import { isDdlEvent } from './destination-writer';
import { type OplogWindowReading, readOplogWindow, SourceClock, SourceEventReader, withoutBulkyFields } from './source-events';

export const EVENT_BUFFER_COLLECTION = 'eventBuffer';

interface BufferEntry {
  _id: number;
  clusterTime: Timestamp;
  operationType: string;
  event: Binary;
}

export function bufferCollection(destination: MongoClient) {
  return destination.db(C2C_METADATA_DB).collection<BufferEntry>(EVENT_BUFFER_COLLECTION);
}

/** The stored form of an event: its BSON bytes, without the bulky fields when too large. */
export function bufferEntry(seq: number, event: ChangeStreamDocument): BufferEntry {
  const entry = (bytes: Uint8Array): BufferEntry => ({
    _id: seq,
    clusterTime: event.clusterTime!,
    operationType: event.operationType,
    event: new Binary(bytes),
  });
  const whole = entry(BSON.serialize(event as Document));
  if (bsonSize(whole) <= MAX_BSON_OBJECT_SIZE) return whole;
  return entry(BSON.serialize(withoutBulkyFields(event as Document)));
}

/** The event an entry holds, with every BSON type as the stream's typed read gives it. */
export function bufferedEvent(entry: BufferEntry): ChangeStreamDocument {
  return BSON.deserialize(entry.event.buffer, TYPED_READ) as unknown as ChangeStreamDocument;
}

export interface BufferChangeEventsInput extends SyncScope {
  checkpoint: EventBufferCheckpoint;
  maxDurationMs: number;
  maxBatchEvents: number;
  maxBatchBytes: number;
  syncId: string;
}

export interface BufferChangeEventsResult extends OplogWindowReading {
  checkpoint: EventBufferCheckpoint;
  /** events stored by this iteration (a retried attempt counts from its heartbeat) */
  eventsBuffered: number;
  bytesBuffered: number;
  /** every source event up to this time is in the buffer */
  bufferedThrough: ClusterTime | null;
  /** the source's clock at the end of the iteration */
  sourceTime: ClusterTime | null;
}

/** Heartbeat at least this often while the source is idle. */
const IDLE_HEARTBEAT_MS = 2_000;

/**
 * One bounded iteration of buffering: reads the source's change stream from the checkpoint (or
 * the last heartbeat of an earlier attempt) and stores its events, heartbeating the checkpoint
 * after each written batch.
 */
export async function bufferChangeEvents(clients: ClusterConnections, input: BufferChangeEventsInput): Promise<BufferChangeEventsResult> {
  const context = Context.current();
  let checkpoint = (context.info.heartbeatDetails as EventBufferCheckpoint | undefined) ?? input.checkpoint;
  const source = clients.client(input.source);
  const entries = bufferCollection(clients.client(input.destination));
  const clock = new SourceClock(source, { c2cSync: input.syncId, reason: 'event buffer' });
  const reader = new SourceEventReader(source, compileNamespaceFilter(input), checkpoint, {
    maxEvents: input.maxBatchEvents,
    maxBytes: input.maxBatchBytes,
  });
  const startedAt = Date.now();
  let eventsBuffered = 0;
  let bytesBuffered = 0;
  let lastBeatAt = 0;
  // A slow read or write (a busy destination, a batch of large events) must not look like a dead
  // worker: the last checkpoint is heartbeated again while one is in progress.
  const liveness = setInterval(() => {
    if (Date.now() - lastBeatAt >= IDLE_HEARTBEAT_MS) context.heartbeat(checkpoint);
  }, IDLE_HEARTBEAT_MS);
  try {
    await reader.open(() => clock.now());
    for (;;) {
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      const batch = await reader.next();
      if (batch.events.length > 0) {
        const stored = batch.events.map((event, k) => bufferEntry(checkpoint.nextSeq + k, event));
        await entries.bulkWrite(
          stored.map((entry) => ({ replaceOne: { filter: { _id: entry._id }, replacement: entry, upsert: true } })),
          { ordered: false },
        );
        eventsBuffered += stored.length;
        bytesBuffered += batch.sizes.reduce((sum, size) => sum + size, 0);
      }
      const advanced = batch.events.length > 0 || !samePosition(checkpoint, reader.position);
      checkpoint = { ...reader.position, nextSeq: checkpoint.nextSeq + batch.events.length };
      if (advanced || Date.now() - lastBeatAt >= IDLE_HEARTBEAT_MS) {
        context.heartbeat(checkpoint);
        lastBeatAt = Date.now();
      }
      if (Date.now() - startedAt >= input.maxDurationMs) break;
      await clock.tick();
    }
  } finally {
    clearInterval(liveness);
    await reader.close();
  }
  return {
    checkpoint,
    eventsBuffered,
    bytesBuffered,
    bufferedThrough: reader.positionTime,
    sourceTime: clock.time,
    ...(await readOplogWindow(source)),
  };
}

function samePosition(a: EventBufferCheckpoint, b: ChangeStreamCheckpoint): boolean {
  return a.resumeToken?._data === b.resumeToken?._data && a.startAt?.t === b.startAt?.t && a.startAt?.i === b.startAt?.i;
}

export interface BufferedBatch {
  events: ChangeStreamDocument[];
  /** seq of the entry after the batch */
  nextSeq: number;
}

/**
 * The buffered events from `fromSeq` (before `end`), in order, bounded by count and bytes (a
 * batch may pass the byte bound by its last event), ending after a DDL event.
 */
export async function readBufferedBatch(
  destination: MongoClient,
  fromSeq: number,
  end: number,
  bounds: { maxEvents: number; maxBytes: number },
): Promise<BufferedBatch> {
  const events: ChangeStreamDocument[] = [];
  let bytes = 0;
  let seq = fromSeq;
  const cursor = bufferCollection(destination).find(
    { _id: { $gte: fromSeq, $lt: end } },
    { sort: { _id: 1 }, batchSize: Math.min(bounds.maxEvents, 1000) },
  );
  try {
    for await (const entry of cursor) {
      if (entry._id !== seq) throw bufferIncomplete(seq, end);
      const event = bufferedEvent(entry);
      events.push(event);
      bytes += entry.event.length();
      seq += 1;
      if (events.length >= bounds.maxEvents || bytes >= bounds.maxBytes || isDdlEvent(event)) break;
    }
  } finally {
    await cursor.close();
  }
  if (events.length === 0 && fromSeq < end) throw bufferIncomplete(fromSeq, end);
  return { events, nextSeq: seq };
}

function bufferIncomplete(seq: number, end: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `the event buffer (${C2C_METADATA_DB}.${EVENT_BUFFER_COLLECTION} on the destination) has no entry ${seq} ` +
      `of the ${end} the copy buffered: buffered change events were removed, so the sync cannot continue and must start over`,
    SyncErrorName.ChangeStreamHistoryLost,
  );
}

/**
 * Frees the disk of entries before `beforeSeq`. Only a position the workflow or the server has
 * recorded may be passed: every later attempt starts at or after it.
 */
export async function deleteBufferedBefore(destination: MongoClient, beforeSeq: number): Promise<void> {
  await bufferCollection(destination).deleteMany({ _id: { $lt: beforeSeq } });
}

/** Drops the buffer once it is drained. */
export async function dropBuffer(destination: MongoClient): Promise<void> {
  await bufferCollection(destination)
    .drop()
    .catch((error: unknown) => {
      if (!isNamespaceNotFound(error)) throw error;
    });
}
