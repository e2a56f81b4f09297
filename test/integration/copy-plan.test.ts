// The copy plan's activities on simulated replica sets: the catalog copy records every included
// collection in the plan and resumes from its heartbeat cursor; planning pages cover every
// collection once (small ones whole, a large one split) and a page planned again writes the
// same units; work units copy every document once, resuming from their heartbeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Document } from 'mongodb';
import { copyCatalog, type CatalogInput, type CopyCatalogInput, type CopyCatalogResult } from '../../src/activities/catalog';
import { planCopyPage, recordCollections, type PlanCopyPageInput, type PlanCopyPageResult } from '../../src/activities/copy-plan';
import { copyWorkUnit, type CopyWorkUnitResult } from '../../src/activities/copy-work-unit';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { C2C_METADATA_DB } from '../../src/sync/namespace-names';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

const SMALL = 25;
const BIG_DOCUMENTS = 400;
const name = (i: number): string => `c${String(i).padStart(3, '0')}`;

useClusterClients((started) => ({ pair, clusters } = started), {
  seed: async () => {
    const source = pair.admin.cluster0;
    for (let i = 0; i < SMALL; i++) {
      await source.db(i % 2 === 0 ? 'even' : 'odd').collection<{ _id: number; i: number }>(name(i)).insertMany([{ _id: 1, i }, { _id: 2, i }]);
    }
    await source.db('even').collection<{ _id: string }>('empty').insertOne({ _id: 'gone' });
    await source.db('even').collection('empty').deleteMany({});
    await source
      .db('odd')
      .collection<{ _id: number; pad: string }>('big')
      .insertMany(Array.from({ length: BIG_DOCUMENTS }, (_, i) => ({ _id: i, pad: 'x'.repeat(200) })));
    await source.db('odd').command({ create: 'bigView', viewOn: 'big', pipeline: [] });
  },
});

const CATALOG: CatalogInput = { source: 'cluster0', destination: 'cluster1', includeNamespaces: [], excludeNamespaces: [], buildIndexes: 'never' };
const PAGE: Omit<PlanCopyPageInput, 'after' | 'firstUnit'> = {
  source: 'cluster0',
  destination: 'cluster1',
  maxCollections: 10,
  maxPagePartitions: 1000,
  targetPartitionBytes: 20 * 1024,
  maxPartitionsPerCollection: 8,
  unitMaxPartitions: 4,
  unitMaxBytes: 1024 * 1024,
};

const planRecords = (): Promise<Document[]> => pair.admin.cluster1.db(C2C_METADATA_DB).collection('copyPlan').find({}, { sort: { _id: 1 } }).toArray();

test('catalog, plan and work units copy every collection and document once, each resuming from its heartbeat', async () => {
  const first = (await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, clusters, CATALOG)) as CopyCatalogResult;
  assert.equal(first.collectionsTotal, SMALL + 2, 'every collection, views not counted');
  const records = await planRecords();
  assert.deepEqual(
    records.map((r) => r._id),
    ['odd.big', 'even.empty', ...Array.from({ length: SMALL }, (_, i) => `${i % 2 === 0 ? 'even' : 'odd'}.${name(i)}`)].sort(),
  );
  assert.ok(records.find((r) => r._id === 'odd.big')!.estimatedBytes > PAGE.targetPartitionBytes, 'the large collection is estimated as such');

  // A retried attempt resumes after its heartbeat cursor; what it writes again is idempotent.
  const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { db: 'odd', after: name(13) } });
  const beats: { db: string; after: string | null }[] = [];
  retry.on('heartbeat', (details: { db: string; after: string | null }) => beats.push(details));
  const second = (await retry.run(copyCatalog, clusters, CATALOG)) as CopyCatalogResult;
  assert.deepEqual(second, first);
  assert.ok(beats.every((beat) => beat.db >= 'odd'), `no database before the cursor is visited again: ${JSON.stringify(beats)}`);
  assert.equal((await planRecords()).length, SMALL + 2);
  const views = await pair.admin.cluster1.db('odd').listCollections({ type: 'view' }).toArray();
  assert.deepEqual(views.map((v) => v.name), ['bigView']);

  // Plan page after page.
  const pages: PlanCopyPageResult[] = [];
  let after: string | null = null;
  let firstUnit = 0;
  for (;;) {
    const input: PlanCopyPageInput = { ...PAGE, after, firstUnit };
    const page = (await new MockActivityEnvironment({ attempt: 1 }).run(planCopyPage, clusters, input)) as PlanCopyPageResult;
    const again = (await new MockActivityEnvironment({ attempt: 2 }).run(planCopyPage, clusters, input)) as PlanCopyPageResult;
    assert.deepEqual(again, page, 'a page planned again gives the same units');
    pages.push(page);
    firstUnit += page.units;
    after = page.last;
    if (page.done) break;
  }
  assert.equal(
    pages.reduce((sum, page) => sum + page.collections, 0),
    SMALL + 2,
  );
  const units = await pair.admin.cluster1.db(C2C_METADATA_DB).collection('copyUnits').find({}, { sort: { _id: 1 } }).toArray();
  assert.deepEqual(
    units.map((u) => u._id),
    Array.from({ length: firstUnit }, (_, i) => i),
  );
  const bigUnits = units.filter((u) => (u.partitions as { coll: string }[]).some((p) => p.coll === 'big'));
  assert.ok(bigUnits.length > 1, 'the large collection is split');
  assert.ok(bigUnits.every((u) => (u.partitions as unknown[]).length === 1), 'each of its ranges is a unit alone');
  assert.ok(units.every((u) => (u.partitions as unknown[]).length <= PAGE.unitMaxPartitions));

  // Copy every unit; the first one as a retry resuming after its first partition.
  let documents = 0;
  for (const unit of units) {
    const unitNumber = unit._id as unknown as number;
    const partitions = unit.partitions as unknown[];
    const resumed = unitNumber === 0 && partitions.length > 1;
    const env = resumed
      ? new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { resume: { partition: 1, resumeAfter: null }, documents: 2, bytes: 1, partitionsDone: 1 } })
      : new MockActivityEnvironment({ attempt: 1 });
    const input = { source: 'cluster0', destination: 'cluster1', unit: unitNumber, resume: null, maxDurationMs: 60_000, batchSize: 50 } as const;
    const result = (await env.run(copyWorkUnit, clusters, input)) as CopyWorkUnitResult;
    assert.equal(result.done, true);
    assert.equal(result.partitionsDone, partitions.length);
    documents += result.documents;
    if (resumed) {
      const skipped = partitions[0] as { db: string; coll: string };
      assert.equal(await pair.admin.cluster1.db(skipped.db).collection(skipped.coll).countDocuments(), 0, 'the partition before the heartbeat is not copied again');
      await pair.admin.cluster1.db(skipped.db).collection(skipped.coll).insertMany(await pair.admin.cluster0.db(skipped.db).collection(skipped.coll).find().toArray());
    }
  }
  assert.equal(documents, SMALL * 2 + BIG_DOCUMENTS, 'the counters count every document once');
  for (let i = 0; i < SMALL; i++) {
    const db = i % 2 === 0 ? 'even' : 'odd';
    assert.deepEqual(await pair.admin.cluster1.db(db).collection(name(i)).find({}, { sort: { _id: 1 } }).toArray(), [{ _id: 1, i }, { _id: 2, i }]);
  }
  assert.equal(await pair.admin.cluster1.db('odd').collection('big').countDocuments(), BIG_DOCUMENTS);
  assert.equal(await pair.admin.cluster1.db('even').collection('empty').countDocuments(), 0);
});

test('a collection alone is split so that every parallel copier has a share, even below the partition target size', async () => {
  await pair.admin.cluster1.db(C2C_METADATA_DB).dropDatabase();
  const documents = 5000;
  const solo = pair.admin.cluster0.db('solo').collection<{ _id: number; pad: string }>('one');
  for (let i = 0; i < documents; i += 500) {
    await solo.insertMany(Array.from({ length: 500 }, (_, k) => ({ _id: i + k, pad: 'x'.repeat(1000) })));
  }
  const estimatedBytes = documents * 1030;
  await recordCollections(pair.admin.cluster1, [{ db: 'solo', coll: 'one', estimatedBytes, documents }]);
  const input: PlanCopyPageInput = {
    ...PAGE,
    targetPartitionBytes: 64 * 1024 * 1024,
    unitMaxBytes: 64 * 1024 * 1024,
    after: null,
    firstUnit: 0,
    parallelism: { workers: 4, totalBytes: estimatedBytes },
  };
  const page = (await new MockActivityEnvironment({ attempt: 1 }).run(planCopyPage, clusters, input)) as PlanCopyPageResult;
  // about 5 MB, far below the target size: a part for each of the 4 workers, each above 1 MiB
  assert.deepEqual({ collections: page.collections, partitions: page.partitions, units: page.units, done: page.done }, { collections: 1, partitions: 4, units: 4, done: true });
  const units = await pair.admin.cluster1.db(C2C_METADATA_DB).collection('copyUnits').find({}, { sort: { _id: 1 } }).toArray();
  const ranges = units.map((u) => (u.partitions as { min: string | null; max: string | null }[])[0]!);
  assert.equal(ranges[0]!.min, null);
  assert.equal(ranges.at(-1)!.max, null);
  for (let k = 0; k + 1 < ranges.length; k++) assert.equal(ranges[k]!.max, ranges[k + 1]!.min, 'contiguous ranges');

  let copied = 0;
  for (const unit of units) {
    const run = { source: 'cluster0', destination: 'cluster1', unit: unit._id as unknown as number, resume: null, maxDurationMs: 60_000, batchSize: 400 } as const;
    const result = (await new MockActivityEnvironment({ attempt: 1 }).run(copyWorkUnit, clusters, run)) as CopyWorkUnitResult;
    assert.ok(result.documents > 0, `unit ${String(unit._id)} copies a share`);
    copied += result.documents;
  }
  assert.equal(copied, documents);
  assert.equal(await pair.admin.cluster1.db('solo').collection('one').countDocuments(), documents);
});

test('copyCatalog plans the first page as planCopyPage would, and an attempt cannot replace the units of a later one', async () => {
  const destination = pair.admin.cluster1;
  for (const { name: db } of (await destination.db('admin').command({ listDatabases: 1, nameOnly: true })).databases as { name: string }[]) {
    if (!['admin', 'config', 'local'].includes(db)) await destination.db(db).dropDatabase();
  }
  const units = () => destination.db(C2C_METADATA_DB).collection('copyUnits').find({}, { sort: { _id: 1 } }).toArray();
  // every collection in one page, so that the large one is sampled in it
  const planFirstPage = { ...PAGE, maxCollections: 100, workers: 4 } as Partial<typeof PAGE> & { workers: number };
  delete planFirstPage.source;
  delete planFirstPage.destination;
  const input: CopyCatalogInput = { ...CATALOG, planFirstPage: planFirstPage as CopyCatalogInput['planFirstPage'] & object };
  const attemptAt = (at: number, attempt = 1) => new MockActivityEnvironment({ attempt, currentAttemptScheduledTimestampMs: at });

  const first = attemptAt(2_000);
  const beats: ({ db: string; planning?: { sampling: string | null } } | undefined)[] = [];
  first.on('heartbeat', (details: (typeof beats)[number]) => beats.push(details));
  const copied = (await first.run(copyCatalog, clusters, input)) as CopyCatalogResult;
  assert.ok(copied.firstPage, 'the first page is planned');
  assert.ok(beats.some((beat) => beat?.planning?.sampling === 'odd.big'), 'the planning of the first page heartbeats with the catalog cursor');
  const written = await units();
  assert.equal(written.length, copied.firstPage.units);
  assert.ok(written.every((unit) => unit.catalogAttemptAt === 2_000));

  // The same page from planCopyPage, with the input the workflow would give it.
  const page = (await new MockActivityEnvironment({ attempt: 1 }).run(planCopyPage, clusters, {
    ...PAGE,
    maxCollections: 100,
    after: null,
    firstUnit: 0,
    parallelism: { workers: 4, totalBytes: Math.max(1, copied.estimatedTotalBytes) },
  })) as PlanCopyPageResult;
  assert.deepEqual(page, copied.firstPage);
  const replanned = await units();
  assert.deepEqual(replanned.map((unit) => unit.partitions), written.map((unit) => unit.partitions), 'the same units');

  // An earlier attempt still running (its retry began after a heartbeat timeout) replaces neither
  // planCopyPage's units nor a later attempt's; it reports no page, and the workflow would plan it.
  const late = (await attemptAt(1_000, 2).run(copyCatalog, clusters, input)) as CopyCatalogResult;
  assert.equal(late.firstPage, undefined);
  assert.deepEqual(await units(), replanned);
  await destination.db(C2C_METADATA_DB).collection('copyUnits').updateMany({}, { $set: { catalogAttemptAt: 3_000 } });
  const stale = (await attemptAt(1_000, 2).run(copyCatalog, clusters, input)) as CopyCatalogResult;
  assert.equal(stale.firstPage, undefined);
  assert.ok((await units()).every((unit) => unit.catalogAttemptAt === 3_000));
  // a later attempt replaces an earlier one's
  const later = (await attemptAt(4_000, 3).run(copyCatalog, clusters, input)) as CopyCatalogResult;
  assert.deepEqual(later.firstPage, copied.firstPage);
  assert.ok((await units()).every((unit) => unit.catalogAttemptAt === 4_000));

  // A retry of an attempt that was planning resumes from its heartbeat and plans the same page.
  const retry = new MockActivityEnvironment({
    attempt: 4,
    currentAttemptScheduledTimestampMs: 5_000,
    heartbeatDetails: { db: 'solo', after: 'one', planning: { sampling: null, walk: null } },
  });
  assert.deepEqual(((await retry.run(copyCatalog, clusters, input)) as CopyCatalogResult).firstPage, copied.firstPage);
});
