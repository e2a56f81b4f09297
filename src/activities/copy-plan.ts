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
export interface PlanPageHeartbeat {
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
  /** when the copyCatalog attempt that wrote it was scheduled, if one did (PageTracking.catalogAttemptAt) */
  catalogAttemptAt?: number;
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

/** planCopyPage's input without the clusters: what copyCatalog needs to plan the first page itself. */
export type PagePlanning = Omit<PlanCopyPageInput, 'source' | 'destination'>;

/**
 * How a page's planning records its progress, in planCopyPage or in copyCatalog (which plans the
 * first page itself): the heartbeat it shares with the activity, the position an earlier attempt
 * heartbeated, and where it reports its own.
 */
export interface PageTracking {
  progress: ActivityProgress<unknown>;
  resumed: PlanPageHeartbeat | undefined;
  report(position: PlanPageHeartbeat): void;
  /**
   * Set when the page is planned by an attempt of copyCatalog: the time the attempt was scheduled
   * (later for every retry, and for a call scheduled again after a stall). Its units are written
   * only over units that no later attempt wrote, so that an attempt still running after its retry
   * began (a heartbeat timeout) cannot replace the units of the retry, or of a planCopyPage, which
   * may have seen another catalog; the page is then left to planCopyPage. Units planCopyPage
   * writes carry no such time and replace any.
   */
  catalogAttemptAt?: number;
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
  const progress = new ActivityProgress(() => position);
  const page = await planPage(clients, input, {
    progress,
    resumed: progress.resumed,
    report: (next) => (position = next),
  });
  if (!page) throw ApplicationFailure.nonRetryable('planCopyPage wrote no units (a bug: it replaces any)', SyncErrorName.InternalError);
  return page;
}

/**
 * planCopyPage's work, inside any activity (tracking says how it heartbeats); null only when a
 * copyCatalog attempt found units it may not replace (PageTracking.catalogAttemptAt).
 */
export async function planPage(clients: ClusterConnections, input: PlanCopyPageInput, tracking: PageTracking): Promise<PlanCopyPageResult | null> {
  const heartbeat = tracking.progress;
  const resumed = tracking.resumed;
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
    tracking.report({ sampling: record._id, walk: resumeFrom });
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
          tracking.report({ sampling: record._id, walk });
          heartbeat.beat();
        },
      },
    );
    const ranges = planned.ranges.map(({ min, max }) => ({ min, max }));
    await plan.updateOne({ _id: record._id, ranges: { $exists: false } }, { $set: { ranges } });
    tracking.report({ sampling: null, walk: null });
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
  heartbeat.throwIfCancelled();
  // Units this attempt may not replace: the workflow plans the page again with planCopyPage.
  if (!(await writeUnits(destination, units, tracking.catalogAttemptAt))) return null;
  return {
    collections: page.length,
    partitions: page.reduce((sum, c) => sum + c.ranges!.length, 0),
    units: units.length,
    last: planKey(page.at(-1)!.db, page.at(-1)!.coll),
    done: !more && length === planned.length,
  };
}

/**
 * Writes a page's units; with a catalog attempt's time, only over units no later attempt wrote
 * (PageTracking), and false when some unit was not written for that reason.
 */
async function writeUnits(destination: MongoClient, units: ReturnType<typeof packUnits>, catalogAttemptAt: number | undefined): Promise<boolean> {
  if (units.length === 0) return true;
  const record = (unit: (typeof units)[number]) => ({ partitions: unit.partitions, estimatedBytes: unit.estimatedBytes });
  if (catalogAttemptAt === undefined) {
    await unitsOf(destination).bulkWrite(
      units.map((unit) => ({ replaceOne: { filter: { _id: unit.unit }, replacement: record(unit), upsert: true } })),
      { ordered: false },
    );
    return true;
  }
  try {
    await unitsOf(destination).bulkWrite(
      units.map((unit) => ({
        replaceOne: {
          // a unit that a later attempt, or planCopyPage (which sets no time), wrote does not
          // match: the upsert then collides with its _id
          filter: { _id: unit.unit, catalogAttemptAt: { $lte: catalogAttemptAt } },
          replacement: { ...record(unit), catalogAttemptAt },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: unknown; writeErrors?: { code?: unknown }[] } | null;
  return e?.code === 11000 || (Array.isArray(e?.writeErrors) && e.writeErrors.some((w) => w.code === 11000));
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
