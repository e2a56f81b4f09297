// The commit-time resync reads the resync set in pages in _id order, forgets each page once it is
// done, heartbeats the last entry done, and a retried attempt resumes after it: entries up to it
// are not resynced again (nor is the part of a whole collection already written).
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { BSON, type Document } from 'mongodb';
import { resyncDocuments, type ResyncInput } from '../../src/activities/resync';
import { recordCollectionForResync, recordForResync, type ResyncProgress, resyncRecorded } from '../../src/activities/resync-set';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { C2C_METADATA_DB } from '../../src/sync/namespace-names';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

const INPUT: ResyncInput = { source: 'cluster0', destination: 'cluster1', pageSize: 10 };
const NAMESPACES = ['a', 'b', 'c'].map((coll) => ({ db: 'paged', coll }));
const PER_NAMESPACE = 40;

/** Source documents v: 1; the destination holds each at v: 0 and every one is recorded. */
beforeEach(async () => {
  await pair.admin.cluster1.db(C2C_METADATA_DB).dropDatabase();
  for (const ns of NAMESPACES) {
    const ids = Array.from({ length: PER_NAMESPACE }, (_, i) => i);
    await pair.admin.cluster0.db(ns.db).collection(ns.coll).insertMany(ids.map((_id) => ({ _id, v: 1 })) as Document[]);
    await pair.admin.cluster1.db(ns.db).collection(ns.coll).insertMany(ids.map((_id) => ({ _id, v: 0 })) as Document[]);
    await recordForResync(pair.admin.cluster1, ns, ids);
  }
});

const entryId = (coll: string, id: number): string => BSON.EJSON.stringify({ db: 'paged', coll, id }, { relaxed: false });

/** The _ids of `coll` whose destination copy was replaced from the source. */
async function resynced(coll: string): Promise<number[]> {
  const docs = await pair.admin.cluster1.db('paged').collection<{ _id: number; v: number }>(coll).find({ v: 1 }, { sort: { _id: 1 } }).toArray();
  return docs.map((doc) => doc._id);
}

const remainingEntries = (): Promise<number> => pair.admin.cluster1.db(C2C_METADATA_DB).collection('resync').countDocuments();

test('the resync set is processed in pages in _id order and each page is forgotten once done', async () => {
  const pageSize = 7;
  const total = NAMESPACES.length * PER_NAMESPACE;
  const reports: ResyncProgress[] = [];
  const remainingAfterEachPage: Promise<number>[] = [];
  const done = await resyncRecorded(clusters.client('cluster0'), clusters.client('cluster1'), {
    pageSize,
    onProgress: (progress) => {
      // Reports within a page (heartbeats) repeat the previous resume point; a page's end moves it.
      const previous = reports[reports.length - 1];
      reports.push({ ...progress });
      if (progress.after !== (previous?.after ?? null)) remainingAfterEachPage.push(remainingEntries());
      else assert.equal(progress.done, previous?.done ?? 0, 'the count moves only with the resume point');
    },
  });
  assert.equal(done, total);
  for (const { coll } of NAMESPACES) assert.equal((await resynced(coll)).length, PER_NAMESPACE, `every document of ${coll} is resynced`);
  const pages = [...new Set(reports.map((report) => report.after).filter((after) => after !== null))];
  assert.equal(pages.length, Math.ceil(total / pageSize), 'the resume point moves once per page');
  assert.ok(reports.length > pages.length, 'a page heartbeats as each of its namespaces is done');
  assert.equal(pages[0], entryId('a', pageSize - 1), 'the first page ends with the seventh entry in _id order');
  assert.equal(pages[pages.length - 1], entryId('c', PER_NAMESPACE - 1));
  const remaining = await Promise.all(remainingAfterEachPage);
  assert.ok(remaining[0]! <= total - pageSize, `the first page is forgotten once done (${remaining[0]} entries left)`);
  assert.equal(await remainingEntries(), 0);
});

test('a retried resync resumes after the entry of its last heartbeat', async () => {
  // The earlier attempt resynced a and b up to id 19 and was killed before it forgot that page.
  const heartbeat: ResyncProgress = { after: entryId('b', 19), done: PER_NAMESPACE + 20, whole: null };
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeat, heartbeatTimeoutMs: 2000 });
  const beats: ResyncProgress[] = [];
  env.on('heartbeat', (details: ResyncProgress) => beats.push(details));
  const done = await env.run(resyncDocuments, clusters, INPUT);
  assert.deepEqual(await resynced('a'), [], 'entries up to the heartbeat are not resynced again');
  assert.deepEqual(await resynced('b'), Array.from({ length: 20 }, (_, i) => 20 + i));
  assert.equal((await resynced('c')).length, PER_NAMESPACE);
  assert.equal(done, NAMESPACES.length * PER_NAMESPACE, 'the count carries on from the heartbeat');
  assert.deepEqual(beats[0], heartbeat, 'the retry first heartbeats where it resumes');
  // How many more beats there are depends on time (they are throttled); each one moves forward.
  const counts = beats.map((beat) => beat.done);
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), `every later heartbeat records more done: ${JSON.stringify(counts)}`);
  assert.ok(counts.every((count) => count >= heartbeat.done && count <= done));
});

test('a whole collection recorded for resync resumes after the last _id written', async () => {
  await pair.admin.cluster1.db(C2C_METADATA_DB).collection('resync').deleteMany({});
  await recordCollectionForResync(pair.admin.cluster1, { db: 'paged', coll: 'b' });
  const heartbeat: ResyncProgress = { after: null, done: 25, whole: { db: 'paged', coll: 'b', after: BSON.EJSON.stringify(24, { relaxed: false }) } };
  const env = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: heartbeat, heartbeatTimeoutMs: 2000 });
  const done = await env.run(resyncDocuments, clusters, INPUT);
  assert.deepEqual(await resynced('b'), Array.from({ length: 15 }, (_, i) => 25 + i), 'only the _ids after the heartbeat are rewritten');
  assert.equal(done, PER_NAMESPACE);
  assert.equal(await remainingEntries(), 0);
});

test('a whole-collection entry covers the ids recorded for the same collection', async () => {
  await recordCollectionForResync(pair.admin.cluster1, { db: 'paged', coll: 'a' });
  await pair.admin.cluster0.db('paged').collection('a').deleteOne({ _id: 3 } as Document);
  const done = await resyncRecorded(clusters.client('cluster0'), clusters.client('cluster1'), { pageSize: 9 });
  assert.equal(done, PER_NAMESPACE - 1 + 2 * PER_NAMESPACE, 'a is resynced once, whole');
  assert.deepEqual(await resynced('a'), Array.from({ length: PER_NAMESPACE }, (_, i) => i).filter((i) => i !== 3));
});
