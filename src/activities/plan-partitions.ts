// Plans the _id-range partitions of one collection from its size and a server-side sample of
// _id values (sorted by the server, so mixed-type _ids come in BSON order).
import { BSON } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { isNamespaceNotFound } from '../mongo/server-errors';
import type { ClusterConnections, ClusterLabel } from '../mongo/cluster-clients';
import type { OpTime } from '../mongo/op-time';
import { readAtOrAfter } from '../mongo/read-at';
import { averageDocumentSize } from '../sync/document-size';
import { planPartitions as planRanges, sampleSizeFor } from '../sync/partition-plan';
import type { PartitionRange } from '../workflows/state';

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
  const collection = clients.client(input.source).db(input.db).collection(input.coll);
  let size = 0;
  let count = 0;
  try {
    const [stats] = await collection.aggregate([{ $collStats: { storageStats: {} } }]).toArray();
    size = Number(stats?.storageStats?.size ?? 0);
    count = Number(stats?.storageStats?.count ?? 0);
  } catch (error) {
    // Dropped since the catalog was read: one full-range partition copies whatever is there.
    if (!isNamespaceNotFound(error)) throw error;
  }
  const planInput = { documentCount: count, averageDocumentSize: averageDocumentSize({ size, count }), sampledIds: [] as string[] };
  const limits = { targetPartitionBytes: input.targetPartitionBytes, maxPartitions: input.maxPartitions };
  const sampleSize = sampleSizeFor(planInput, limits);
  if (sampleSize > 0) {
    const readAt = readAtOrAfter(clients.client(input.source), input.startPoint);
    const samples = await collection
      .aggregate([{ $sample: { size: sampleSize } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }], { ...TYPED_READ, ...readAt })
      .toArray()
      .finally(() => readAt.session.endSession());
    planInput.sampledIds = samples.map((doc) => BSON.EJSON.stringify(doc._id, { relaxed: false }));
  }
  const ranges = planRanges(planInput, limits).map((range) => ({ db: input.db, coll: input.coll, ...range }));
  return { ranges, documents: count };
}
