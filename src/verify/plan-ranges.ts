// Splits a collection into _id ranges to compare in parallel, with the copy's planning: the
// collection's size from $collStats, _id boundaries from a bounded $sample or a walk of the _id
// index (src/activities/id-boundaries.ts), evenly spaced quantiles (src/sync/partition-plan.ts).
import type { Collection, Document } from 'mongodb';
import { decodeId } from '../activities/copy-partition';
import { sampleIdBoundaries } from '../activities/id-boundaries';
import { readAtOrAfter } from '../mongo/read-at';
import { isNamespaceNotFound } from '../mongo/server-errors';
import { averageDocumentSize } from '../sync/document-size';
import { planPartitions } from '../sync/partition-plan';
import type { RangeBounds } from './compare-range';

export interface CollectionPlan {
  /** documents in the collection, as $collStats counts them */
  documents: number;
  bytes: number;
  ranges: RangeBounds[];
}

export interface RangePlanLimits {
  /** wanted bytes per range (default: the collection split in 2 ranges per parallel slot, within 16 to 256 MiB) */
  targetRangeBytes?: number;
  /** ranges compared at once, for the default range size */
  parallelism: number;
  maxRanges: number;
}

const MIB = 1024 * 1024;

/**
 * Each range costs a query and a seek on both sides: below 16 MiB splitting buys no
 * parallelism worth it. Two ranges per slot even out ranges of unequal speed.
 */
function defaultRangeBytes(collectionBytes: number, parallelism: number): number {
  return Math.min(256 * MIB, Math.max(16 * MIB, Math.ceil(collectionBytes / (2 * Math.max(1, parallelism)))));
}

async function sizeOf(collection: Collection<Document>): Promise<{ count: number; size: number }> {
  try {
    const [stats] = await collection.aggregate([{ $collStats: { storageStats: {} } }]).toArray();
    return { count: Number(stats?.storageStats?.count ?? 0), size: Number(stats?.storageStats?.size ?? 0) };
  } catch (error) {
    if (isNamespaceNotFound(error)) return { count: 0, size: 0 };
    throw error;
  }
}

/** The ranges of `collection` (one open range when it is small or missing). */
export async function planCollectionRanges(collection: Collection<Document>, limits: RangePlanLimits, signal?: AbortSignal): Promise<CollectionPlan> {
  const { count, size } = await sizeOf(collection);
  const stats = { documentCount: count, averageDocumentSize: averageDocumentSize({ size, count }) };
  const planLimits = {
    targetPartitionBytes: Math.max(1, limits.targetRangeBytes ?? defaultRangeBytes(size, limits.parallelism)),
    maxPartitions: Math.max(1, limits.maxRanges),
  };
  const readAt = readAtOrAfter(collection.db.client, null);
  try {
    const sampled = await sampleIdBoundaries(collection, stats, planLimits, {
      readAt,
      progress: { during: (work) => work, throwIfCancelled: () => signal?.throwIfAborted() },
    });
    const ranges = planPartitions({ ...stats, sampledIds: sampled }, planLimits).map((range) => ({
      ...(range.min !== null ? { min: decodeId(range.min) } : {}),
      ...(range.max !== null ? { max: decodeId(range.max) } : {}),
    }));
    return { documents: count, bytes: size, ranges };
  } finally {
    await readAt.session.endSession();
  }
}
