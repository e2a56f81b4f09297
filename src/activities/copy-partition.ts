// Copies one _id range of a collection, in bounded chunks. A chunk heartbeats the last copied
// _id; a retried attempt (say after the worker was killed) resumes from it. Inserts that hit an
// existing _id are skipped: that document was copied by an earlier attempt, and change event
// application brings every document up to date afterwards.
import { Context } from '@temporalio/activity';
import { BSON, type MongoClient, MongoServerError } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import type { ClusterConnections } from '../mongo/cluster-clients';
import type { ClusterLabel, ClusterTime, PartitionRange } from '../sync/vocabulary';
import { readAtOrAfter } from '../mongo/read-at';
import { MAX_STATEMENT_BYTES } from '../sync/oversize-write';
import { writeOversizedInserts } from './oversize-writes';
import { ServerErrorCode } from '../mongo/server-errors';
import { insertRawDocuments } from '../mongo/raw-insert';

export interface CopyChunkInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  range: PartitionRange;
  /** continue after this _id (exclusive, canonical EJSON); null = from the start of the range */
  resumeAfter: string | null;
  /** stop after about this long; the workflow schedules the next chunk from `next` */
  maxDurationMs: number;
  batchSize: number;
  /** the sync's start point: the copy reads majority-committed data at or after it */
  startPoint?: ClusterTime | null;
}

export interface CopyChunkResult {
  /** the last _id copied, where the next chunk resumes (exclusive) */
  resumeAfter: string | null;
  done: boolean;
  documents: number;
  bytes: number;
}

interface ChunkHeartbeat {
  resumeAfter: string | null;
  done: boolean;
  documents: number;
  bytes: number;
}

/** Documents held in memory for one insert, at most (one larger document is a batch alone). */
const BATCH_BYTES = 32 * 1024 * 1024;

/** Bytes of documents in one insert command, at most: the server takes messages up to 48 MB. */
const INSERT_MESSAGE_BYTES = 40 * 1024 * 1024;

export function decodeId(ejson: string): unknown {
  return (BSON.EJSON.parse(`{"_id":${ejson}}`, { relaxed: false }) as { _id: unknown })._id;
}

export function encodeId(id: unknown): string {
  return BSON.EJSON.stringify(id, { relaxed: false });
}

/** Inserts a batch of BSON documents as they are, ignoring those whose _id already exists on the destination. */
async function insertSkippingExisting(destination: MongoClient, db: string, coll: string, docs: readonly Uint8Array[]): Promise<void> {
  const { writeErrors } = await insertRawDocuments(destination.db(db), coll, docs);
  // Anything but duplicate keys fails the chunk before resumeAfter moves past these documents (a
  // failed command or a write-concern error, above all, throws in insertRawDocuments).
  const failed = writeErrors.find((writeError) => Number(writeError.code) !== ServerErrorCode.DuplicateKey);
  if (failed) {
    throw new MongoServerError({
      message: `inserting into ${db}.${coll} failed for the document at batch index ${failed.index}: ${failed.errmsg ?? 'no message'}`,
      code: failed.code,
      errmsg: failed.errmsg,
    });
  }
}

/** The _id of a BSON document, decoded with every type kept. */
function idOfRaw(bytes: Uint8Array): unknown {
  return BSON.deserialize(bytes, TYPED_READ)._id;
}

export interface RangeCopyInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  range: PartitionRange;
  /** continue after this _id (exclusive, canonical EJSON); null = from the start of the range */
  resumeAfter: string | null;
  batchSize: number;
  startPoint?: ClusterTime | null;
}

/** Where a range copy stands: counts are of this call only. */
export interface RangeProgress {
  resumeAfter: string | null;
  documents: number;
  bytes: number;
}

/**
 * Copies the documents of `input.range` after `input.resumeAfter` in batches bounded by count
 * and bytes, calling `onBatch` after each written batch (to heartbeat). Returns done when the
 * range is exhausted, or not done after the first batch that ends past `deadline` (epoch ms).
 */
export async function copyRange(
  clients: ClusterConnections,
  input: RangeCopyInput,
  deadline: number,
  onBatch: (progress: RangeProgress) => void,
): Promise<RangeProgress & { done: boolean }> {
  const { db, coll } = input.range;
  const progress: RangeProgress = { resumeAfter: input.resumeAfter, documents: 0, bytes: 0 };
  const lowerBound = progress.resumeAfter ?? input.range.min;
  const source = clients.client(input.source);
  const readAt = readAtOrAfter(source, input.startPoint);
  // Documents stay BSON from the source's reply to the destination's insert (raw-insert.ts).
  const cursor = source
    .db(db)
    .collection(coll)
    .find(
      {},
      {
        ...TYPED_READ,
        ...readAt,
        raw: true,
        sort: { _id: 1 },
        hint: { _id: 1 },
        batchSize: input.batchSize,
        ...(lowerBound !== null ? { min: { _id: decodeId(lowerBound) } } : {}),
        ...(input.range.max !== null ? { max: { _id: decodeId(input.range.max) } } : {}),
      },
    );
  const destination = clients.client(input.destination);
  try {
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    let oversized: Uint8Array[] = [];
    let first = true;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // A document of 16 MiB (the server's maximum) does not fit one insert statement: written in pieces.
      await writeOversizedInserts(destination, { db, coll }, oversized.map((bytes) => BSON.deserialize(bytes, TYPED_READ)));
      const insertable = oversized.length === 0 ? batch : batch.filter((doc) => !oversized.includes(doc));
      if (insertable.length > 0) await insertSkippingExisting(destination, db, coll, insertable);
      oversized = [];
      progress.documents += batch.length;
      progress.bytes += batchBytes;
      progress.resumeAfter = encodeId(idOfRaw(batch[batch.length - 1]!));
      batch = [];
      batchBytes = 0;
      onBatch({ ...progress });
    };
    for await (const raw of cursor) {
      const doc = raw as unknown as Uint8Array;
      // `min` is inclusive: the document we resume after comes back first; it is already copied.
      if (first && progress.resumeAfter !== null && encodeId(idOfRaw(doc)) === progress.resumeAfter) {
        first = false;
        continue;
      }
      first = false;
      const size = doc.byteLength;
      // One insert message stays below the server's 48 MB.
      if (batchBytes + size > INSERT_MESSAGE_BYTES) await flush();
      batch.push(doc);
      batchBytes += size;
      if (size >= MAX_STATEMENT_BYTES) oversized.push(doc);
      if (batch.length >= input.batchSize || batchBytes >= BATCH_BYTES) {
        await flush();
        if (Date.now() >= deadline) return { ...progress, done: false };
      }
    }
    await flush();
    return { ...progress, done: true };
  } finally {
    await cursor.close();
    await readAt.session.endSession();
  }
}

export async function copyPartitionChunk(
  clients: ClusterConnections,
  input: CopyChunkInput,
): Promise<CopyChunkResult> {
  const context = Context.current();
  const resumed = context.info.heartbeatDetails as ChunkHeartbeat | undefined;
  const before = { documents: resumed?.documents ?? 0, bytes: resumed?.bytes ?? 0 };
  const resumeAfter = resumed ? resumed.resumeAfter : input.resumeAfter;
  if (resumed?.done) return { resumeAfter, done: true, ...before };
  const total = (progress: RangeProgress) => ({
    resumeAfter: progress.resumeAfter,
    documents: before.documents + progress.documents,
    bytes: before.bytes + progress.bytes,
  });
  const result = await copyRange(clients, { ...input, resumeAfter }, Date.now() + input.maxDurationMs, (progress) =>
    context.heartbeat({ ...total(progress), done: false } satisfies ChunkHeartbeat),
  );
  if (result.done) context.heartbeat({ ...total(result), done: true } satisfies ChunkHeartbeat);
  return { ...total(result), done: result.done };
}
