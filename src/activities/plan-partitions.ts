// Plans the _id-range partitions of one collection from its size and _id boundaries found
// without reading the collection (id-boundaries.ts: a bounded $sample, or a walk of the _id
// index that heartbeats its position and resumes after it).
import { isNamespaceNotFound } from '../mongo/server-errors';
import type { ClusterConnections, ClusterLabel } from '../mongo/cluster-clients';
import type { OpTime } from '../mongo/op-time';
import { readAtOrAfter } from '../mongo/read-at';
import { averageDocumentSize } from '../sync/document-size';
import { planPartitions as planRanges } from '../sync/partition-plan';
import type { PartitionRange } from '../workflows/state';
import { ActivityProgress } from './heartbeat';
import { type IdWalkPosition, sampleIdBoundaries } from './id-boundaries';

export interface PlanPartitionsInput {
  source: ClusterLabel;
  db: string;
  coll: string;
  targetPartitionBytes: number;
  maxPartitions: number;
  /** the sync's start point: the _id sample reads majority-committed data at or after it */
  startPoint?: OpTime | null;
}

export interface PlanPartitionsResult {
  ranges: PartitionRange[];
  documents: number;
}


export async function planPartitions(
  clients: ClusterConnections,
  input: PlanPartitionsInput,
): Promise<PlanPartitionsResult> {
  let walk: IdWalkPosition | null = null;
  const heartbeat = new ActivityProgress(() => walk);
  const resumed = heartbeat.resumed ?? undefined;
  walk = resumed ?? null;
  const collection = clients.client(input.source).db(input.db).collection(input.coll);
  let size = 0;
  let count = 0;
  try {
    const [stats] = await heartbeat.during(collection.aggregate([{ $collStats: { storageStats: {} } }]).toArray());
    size = Number(stats?.storageStats?.size ?? 0);
    count = Number(stats?.storageStats?.count ?? 0);
  } catch (error) {
    // Dropped since the catalog was read: one full-range partition copies whatever is there.
    if (!isNamespaceNotFound(error)) throw error;
  }
  const stats = { documentCount: count, averageDocumentSize: averageDocumentSize({ size, count }) };
  const limits = { targetPartitionBytes: input.targetPartitionBytes, maxPartitions: input.maxPartitions };
  const readAt = readAtOrAfter(clients.client(input.source), input.startPoint);
  const sampledIds = await sampleIdBoundaries(collection, stats, limits, {
    readAt,
    progress: heartbeat,
    ...(resumed ? { resumeFrom: resumed } : {}),
    onWalk: (position) => {
      walk = { ...position, boundaries: [...position.boundaries] };
      heartbeat.beat();
    },
  }).finally(() => readAt.session.endSession());
  const ranges = planRanges({ ...stats, sampledIds }, limits).map((range) => ({ db: input.db, coll: input.coll, ...range }));
  return { ranges, documents: count };
}
