// The commit check's catalog activity (verifyCatalog) on two simulated clusters (or real ones with
// TEST_CLUSTER0_URI/TEST_CLUSTER1_URI): it reads the catalog a page at a time, records each
// difference in the verifier's store once, heartbeats its position in namespace order and, when
// retried, resumes after it; the namespace filter and the buildIndexes mode apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { MongoClient } from 'mongodb';
import { verifyCatalog, type VerifyCatalogInput, type VerifyCatalogResult } from '../../src/activities/verify-catalog';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import { compareCatalogPages } from '../../src/verify/compare-catalog';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

const INPUT: VerifyCatalogInput = { source: 'cluster0', destination: 'cluster1', includeNamespaces: [], excludeNamespaces: [], buildIndexes: 'afterDataCopy', pageSize: 10 };
const COLLECTIONS = 35;
const name = (i: number) => `c${String(i).padStart(3, '0')}`;

/** The same collections on both sides, each with an index; every fifth one's index differs on the destination. */
async function seedBoth(): Promise<void> {
  const make = async (client: MongoClient, differ: boolean): Promise<void> => {
    const db = client.db('many');
    for (let i = 0; i < COLLECTIONS; i++) {
      await db.createCollection(name(i));
      await db.collection(name(i)).createIndex({ a: 1 }, { name: 'a_1', ...(differ && i % 5 === 0 ? { sparse: true } : {}) });
    }
  };
  await make(pair.admin.cluster0, false);
  await make(pair.admin.cluster1, true);
}

const recorded = async (): Promise<string[]> =>
  (await pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: { coll: string; catalog: string } }>('mismatches').find({}).toArray())
    .map((entry) => `${entry._id.coll} ${entry._id.catalog}`)
    .sort();

test('the catalog is compared a page at a time, every difference recorded once and named', async () => {
  await seedBoth();
  const pages = [];
  for await (const page of compareCatalogPages(pair.admin.cluster0, pair.admin.cluster1, { pageSize: 10 })) pages.push(page);
  assert.deepEqual(pages.map((page) => page.namespaces.length), [10, 10, 10, 5], 'no page holds more than its size');
  assert.deepEqual(pages.map((page) => page.last.coll), [name(9), name(19), name(29), name(34)]);

  const env = new MockActivityEnvironment({ attempt: 1 });
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  const result = (await env.run(verifyCatalog, clusters, INPUT)) as VerifyCatalogResult;
  assert.equal(result.namespaces, COLLECTIONS);
  assert.equal(result.mismatchCount, 7);
  assert.equal(result.mismatches.length, 7);
  assert.equal(result.mismatches[0]!.ns, 'many.c000');
  assert.equal(result.mismatches[0]!.detail, "index 'a_1' option 'sparse' is absent on the source and true on the destination");
  assert.deepEqual(await recorded(), [0, 5, 10, 15, 20, 25, 30].map((i) => `${name(i)} index a_1 option sparse`));
  assert.ok(beats.length >= 2, 'it heartbeats its position');
  assert.deepEqual(beats.at(-1), { after: { db: 'many', coll: name(34) }, namespaces: COLLECTIONS });
});

test('a retried attempt resumes after the namespace of its last heartbeat and counts what the earlier one recorded', async () => {
  await seedBoth();
  // The earlier attempt compared up to c019 and recorded its differences (c000, c005, c010, c015).
  const first = new MockActivityEnvironment({ attempt: 1 });
  await first.run(verifyCatalog, clusters, INPUT);
  const earlier = (await recorded()).filter((entry) => entry < name(20));
  await pair.admin.cluster1.db(C2C_VERIFIER_DB).collection('mismatches').deleteMany({ '_id.coll': { $gte: name(20) } });
  // What a retry must not look at again: a difference before the resume point that was not recorded.
  await pair.admin.cluster1.db('many').collection(name(1)).createIndex({ b: 1 }, { name: 'b_1' });

  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { after: { db: 'many', coll: name(19) }, namespaces: 20 } });
  const result = (await env.run(verifyCatalog, clusters, INPUT)) as VerifyCatalogResult;
  assert.equal(result.namespaces, COLLECTIONS, 'the count carries on from the heartbeat');
  assert.equal(result.mismatchCount, 7);
  assert.deepEqual(await recorded(), [...earlier, ...[20, 25, 30].map((i) => `${name(i)} index a_1 option sparse`)]);
});

test('the filter and the buildIndexes mode apply; a unique index prepared for its conversion is not a difference', async () => {
  const source = pair.admin.cluster0.db('app');
  const destination = pair.admin.cluster1.db('app');
  for (const db of [source, destination]) {
    await db.createCollection('items');
    await db.createCollection('skipped', { validator: { a: { $exists: db === source } } });
  }
  await source.collection('items').createIndex({ h: 'hashed' }, { name: 'h_hashed' });
  await source.collection('items').createIndex({ u: 1 }, { name: 'u_1', unique: true });
  await destination.collection('items').createIndex({ u: 1 }, { name: 'u_1' });
  await destination.command({ collMod: 'items', index: { name: 'u_1', prepareUnique: true } });
  const filtered: VerifyCatalogInput = { ...INPUT, excludeNamespaces: [{ database: 'app', collections: ['skipped'] }], buildIndexes: 'excludeHashed' };
  const result = (await new MockActivityEnvironment().run(verifyCatalog, clusters, filtered)) as VerifyCatalogResult;
  assert.deepEqual(result, { namespaces: 1, mismatchCount: 0, mismatches: [] });

  const all = (await new MockActivityEnvironment().run(verifyCatalog, clusters, INPUT)) as VerifyCatalogResult;
  assert.deepEqual(all.mismatches.map((m) => m.detail?.split(' is ')[0] ?? m.kind), ["index 'h_hashed'", "option 'validator'"]);
});

test('pages resume after a namespace across databases, a database on one side only included', async () => {
  for (const coll of ['k', 'm', 'n']) await pair.admin.cluster0.db('a').createCollection(coll);
  for (const coll of ['k', 'm', 'n']) await pair.admin.cluster1.db('a').createCollection(coll);
  await pair.admin.cluster0.db('b').createCollection('x');
  await pair.admin.cluster1.db('c').createCollection('y');
  const seen: string[] = [];
  for await (const page of compareCatalogPages(pair.admin.cluster0, pair.admin.cluster1, { after: { db: 'a', coll: 'm' }, pageSize: 2 })) {
    seen.push(...page.namespaces.map((ns) => `${ns.db}.${ns.coll}`));
    seen.push(...page.mismatches.map((m) => m.kind));
  }
  assert.deepEqual(seen, ['a.n', 'b.x', 'collectionMissingOnDestination', 'c.y', 'collectionExtraOnDestination']);
});
