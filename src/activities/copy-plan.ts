// The copy plan on the destination (src/sync/copy-plan.ts says what it holds and why): the
// catalog copy records the included collections, planCopyPage turns a page of them into work
// units, and copyWorkUnit (copy-work-unit.ts) reads one unit back.
import { ApplicationFailure } from '@temporalio/activity';
import type { AnyBulkWriteOperation, MongoClient } from 'mongodb';
import type { ClusterConnections } from '../mongo/cluster-clients';
import type { ClusterLabel, ClusterTime, PartitionRange } from '../sync/vocabulary';
import { FULL_RANGE, packUnits, pageLength, parallelPartitions, type PlannedCollection, type PlanRange, planKey } from '../sync/copy-plan';
import { desiredPartitionCount } from '../sync/partition-plan';
import { SyncErrorName } from '../sync/errors';
import { C2C_METADATA_DB } from '../sync/namespace-names';
import { ActivityProgress } from './heartbeat';
import type { IdWalkPosition } from './id-boundaries';
import { planCollectionPartitions } from './plan-partitions';

/** planCopyPage's heartbeat: the collection whose _id index it is walking, and where. */
interface PlanPageHeartbeat {
  sampling: string | null;
  walk: IdWalkPosition | null;
}

const PLAN = 'copyPlan';
const UNITS = 'copyUnits';

/** A collection's record in the plan; `_id` is its planKey. */
export interface PlanRecord {
  _id: string;
  db: string;
  coll: string;
  estimatedBytes: number;
  documents: number;
  /** set once by the planner, never changed after */
  ranges?: PlanRange[];
}

interface UnitRecord {
  _id: number;
  partitions: PartitionRange[];
  estimatedBytes: number;
}

function planOf(destination: MongoClient) {
  return destination.db(C2C_METADATA_DB).collection<PlanRecord>(PLAN);
}

function unitsOf(destination: MongoClient) {
  return destination.db(C2C_METADATA_DB).collection<UnitRecord>(UNITS);
}

/**
 * Records collections in the plan (idempotent: a collection recorded again keeps its ranges).
 */
export async function recordCollections(destination: MongoClient, collections: Omit<PlanRecord, '_id' | 'ranges'>[]): Promise<void> {
  if (collections.length === 0) return;
  await planOf(destination).bulkWrite(
    collections.map((c) => ({
      updateOne: {
        filter: { _id: planKey(c.db, c.coll) },
        update: { $set: { db: c.db, coll: c.coll, estimatedBytes: c.estimatedBytes, documents: c.documents } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}

/** Forgets a collection the catalog copy recorded that is no longer part of the sync. */
export async function forgetCollection(destination: MongoClient, db: string, coll: string): Promise<void> {
  await planOf(destination).deleteOne({ _id: planKey(db, coll) });
}

/** How many collections the plan holds, and their estimated bytes. */
export async function planTotals(destination: MongoClient): Promise<{ collections: number; estimatedBytes: number }> {
  const [totals] = await planOf(destination)
    .aggregate<{ collections: number; estimatedBytes: number }>([
      { $group: { _id: null, collections: { $sum: 1 }, estimatedBytes: { $sum: '$estimatedBytes' } } },
    ])
    .toArray();
  return { collections: Number(totals?.collections ?? 0), estimatedBytes: Number(totals?.estimatedBytes ?? 0) };
}

export interface PlanCopyPageInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  /** plan key of the last collection planned before; null = from the first */
  after: string | null;
  /** the number the page's first unit gets */
  firstUnit: number;
  /** collections per page, at most */
  maxCollections: number;
  /** partitions per page: a page ends at the collection that reaches it */
  maxPagePartitions: number;
  targetPartitionBytes: number;
  maxPartitionsPerCollection: number;
  unitMaxPartitions: number;
  unitMaxBytes: number;
  /**
   * parallel copiers and the copy's estimated bytes: a collection with a large share of the copy
   * is split so that the copiers share it (parallelPartitions); absent = by size alone
   */
  parallelism?: { workers: number; totalBytes: number };
  startPoint?: ClusterTime | null;
}

export interface PlanCopyPageResult {
  collections: number;
  partitions: number;
  units: number;
  /** plan key of the page's last collection: where the next page starts after */
  last: string | null;
  /** no collection is left after this page */
  done: boolean;
}

/**
 * Plans the next page of collections: ranges for those without (the full range for a small
 * collection, a sample for a larger one, each recorded at once so a retry does not sample it
 * again), then the page's work units.
 */
export async function planCopyPage(clients: ClusterConnections, input: PlanCopyPageInput): Promise<PlanCopyPageResult> {
  // Collections already sampled are recorded in the plan; the heartbeat keeps the walk of the
  // _id index of the collection being sampled, so that a retry resumes it.
  let position: PlanPageHeartbeat = { sampling: null, walk: null };
  const heartbeat = new ActivityProgress(() => position);
  const resumed = heartbeat.resumed;
  const destination = clients.client(input.destination);
  const plan = planOf(destination);
  const afterFilter = input.after === null ? {} : { _id: { $gt: input.after } };
  const readPage = () => plan.find(afterFilter, { sort: { _id: 1 }, limit: input.maxCollections + 1 }).toArray();

  let records = await readPage();
  const more = records.length > input.maxCollections;
  records = records.slice(0, input.maxCollections);
  if (records.length === 0) return { collections: 0, partitions: 0, units: 0, last: input.after, done: true };

  const small: AnyBulkWriteOperation<PlanRecord>[] = [];
  for (const record of records) {
    if (record.ranges) continue;
    const minPartitions = input.parallelism
      ? parallelPartitions(record.estimatedBytes, input.parallelism.totalBytes, input.parallelism.workers)
      : 1;
    const limits = { targetPartitionBytes: input.targetPartitionBytes, maxPartitions: input.maxPartitionsPerCollection, minPartitions };
    if (desiredPartitionCount({ documentCount: 1, averageDocumentSize: Math.max(0, record.estimatedBytes), sampledIds: [] }, limits) === 1) {
      small.push({ updateOne: { filter: { _id: record._id, ranges: { $exists: false } }, update: { $set: { ranges: [...FULL_RANGE] } } } });
      continue;
    }
    const resumeFrom = resumed?.sampling === record._id ? resumed.walk : null;
    position = { sampling: record._id, walk: resumeFrom };
    const planned = await planCollectionPartitions(
      clients,
      {
        source: input.source,
        db: record.db,
        coll: record.coll,
        targetPartitionBytes: input.targetPartitionBytes,
        maxPartitions: input.maxPartitionsPerCollection,
        minPartitions,
        startPoint: input.startPoint,
      },
      {
        progress: heartbeat,
        ...(resumeFrom ? { resumeFrom } : {}),
        onWalk: (walk) => {
          position = { sampling: record._id, walk };
          heartbeat.beat();
        },
      },
    );
    const ranges = planned.ranges.map(({ min, max }) => ({ min, max }));
    await plan.updateOne({ _id: record._id, ranges: { $exists: false } }, { $set: { ranges } });
    position = { sampling: null, walk: null };
    heartbeat.beatNow();
  }
  if (small.length > 0) await plan.bulkWrite(small, { ordered: false });

  // The ranges as recorded: another attempt may have recorded a collection's first.
  const planned: PlannedCollection[] = (await readPage()).slice(0, records.length).map((record) => {
    if (!record.ranges) throw ApplicationFailure.retryable(`the plan of ${record._id} was not recorded`, SyncErrorName.InternalError);
    return { db: record.db, coll: record.coll, estimatedBytes: record.estimatedBytes, ranges: record.ranges };
  });
  const length = pageLength(planned, input.maxPagePartitions);
  const page = planned.slice(0, length);
  const units = packUnits(page, { maxPartitions: input.unitMaxPartitions, maxBytes: input.unitMaxBytes }, input.firstUnit);
  await unitsOf(destination).bulkWrite(
    units.map((unit) => ({
      replaceOne: { filter: { _id: unit.unit }, replacement: { partitions: unit.partitions, estimatedBytes: unit.estimatedBytes }, upsert: true },
    })),
    { ordered: false },
  );
  return {
    collections: page.length,
    partitions: page.reduce((sum, c) => sum + c.ranges!.length, 0),
    units: units.length,
    last: planKey(page.at(-1)!.db, page.at(-1)!.coll),
    done: !more && length === planned.length,
  };
}

/** The partitions of work unit `unit`; fails when the plan does not hold it. */
export async function readUnit(destination: MongoClient, unit: number): Promise<PartitionRange[]> {
  const record = await unitsOf(destination).findOne({ _id: unit });
  if (!record) {
    throw ApplicationFailure.nonRetryable(
      `work unit ${unit} of the copy plan is missing from ${C2C_METADATA_DB}.${UNITS} on the destination; ` +
        `was ${C2C_METADATA_DB} dropped during the sync? Start the sync again`,
      SyncErrorName.InternalError,
    );
  }
  return record.partitions;
}
