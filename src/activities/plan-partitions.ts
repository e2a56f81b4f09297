// Plans the _id-range partitions of one collection from its size and _id boundaries found
// without reading the collection (id-boundaries.ts: a bounded $sample, or a walk of the _id
// index that heartbeats its position and resumes after it).
import { isNamespaceNotFound } from '../mongo/server-errors';
import type { ClusterConnections } from '../mongo/cluster-clients';
import type { ClusterLabel, ClusterTime, PartitionRange } from '../sync/vocabulary';
import { readAtOrAfter } from '../mongo/read-at';
import { averageDocumentSize } from '../sync/document-size';
import { planPartitions as planRanges } from '../sync/partition-plan';
import { ActivityProgress } from './heartbeat';
import { type IdWalkPosition, sampleIdBoundaries } from './id-boundaries';

export interface PlanPartitionsInput {
  source: ClusterLabel;
  db: string;
  coll: string;
  targetPartitionBytes: number;
  maxPartitions: number;
  /** partitions wanted for parallel copiers whatever the size (partition-plan.ts); default 1 */
  minPartitions?: number;
  /** the sync's start point: the _id sample reads majority-committed data at or after it */
  startPoint?: ClusterTime | null;
}

export interface PlanPartitionsResult {
  ranges: PartitionRange[];
  documents: number;
}


/** How the planning of one collection reports its walk of the _id index, and where it resumes. */
export interface CollectionPlanTracking {
  progress: ActivityProgress<unknown>;
  /** a walk of this collection's _id index an earlier attempt heartbeated */
  resumeFrom?: IdWalkPosition;
  /** called with the walk's position as it goes: the caller heartbeats it */
  onWalk(position: IdWalkPosition): void;
}

/** Plans one collection's partitions inside any activity, which owns the heartbeat details. */
export async function planCollectionPartitions(
  clients: ClusterConnections,
  input: PlanPartitionsInput,
  tracking: CollectionPlanTracking,
): Promise<PlanPartitionsResult> {
  const collection = clients.client(input.source).db(input.db).collection(input.coll);
  let size = 0;
  let count = 0;
  try {
    const [stats] = await tracking.progress.during(collection.aggregate([{ $collStats: { storageStats: {} } }]).toArray());
    size = Number(stats?.storageStats?.size ?? 0);
    count = Number(stats?.storageStats?.count ?? 0);
  } catch (error) {
    // Dropped since the catalog was read: one full-range partition copies whatever is there.
    if (!isNamespaceNotFound(error)) throw error;
  }
  const stats = { documentCount: count, averageDocumentSize: averageDocumentSize({ size, count }) };
  const limits = { targetPartitionBytes: input.targetPartitionBytes, maxPartitions: input.maxPartitions, minPartitions: input.minPartitions ?? 1 };
  const readAt = readAtOrAfter(clients.client(input.source), input.startPoint);
  const sampledIds = await sampleIdBoundaries(collection, stats, limits, {
    readAt,
    progress: tracking.progress,
    ...(tracking.resumeFrom ? { resumeFrom: tracking.resumeFrom } : {}),
    onWalk: (position) => tracking.onWalk({ ...position, boundaries: [...position.boundaries] }),
  }).finally(() => readAt.session.endSession());
  const ranges = planRanges({ ...stats, sampledIds }, limits).map((range) => ({ db: input.db, coll: input.coll, ...range }));
  return { ranges, documents: count };
}

/** The activity: one collection, its walk position as the heartbeat details. */
export async function planPartitions(clients: ClusterConnections, input: PlanPartitionsInput): Promise<PlanPartitionsResult> {
  let walk: IdWalkPosition | null = null;
  const heartbeat = new ActivityProgress(() => walk);
  const resumed = heartbeat.resumed ?? undefined;
  walk = resumed ?? null;
  return planCollectionPartitions(clients, input, {
    progress: heartbeat,
    ...(resumed ? { resumeFrom: resumed } : {}),
    onWalk: (position) => {
      walk = position;
      heartbeat.beat();
    },
  });
}
