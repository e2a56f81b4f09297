// Indexes are never missing silently: an index whose relaxed build collides with an index the
// destination already holds on the same key pattern is deferred, the commit-time finalize
// builds it with its exact source options (and drops what the source does not have), and an
// index the finalize cannot build fails the sync with an error naming it. Runs the catalog
// activities against two simulated replica sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { buildIndexes, type CatalogInput, copyCatalog, finalizeDestination } from '../../src/activities/catalog';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';
import { compareClusters } from '../support/compare-clusters';
import { type AnyDocument } from '../support/workload';

let pair: ClusterPair;
let clients: ClusterClients;

useClusterClients((started) => ({ pair, clusters: clients } = started));

const INPUT: CatalogInput = { source: 'cluster0', destination: 'cluster1', includeNamespaces: [], excludeNamespaces: [], buildIndexes: 'afterDataCopy' };

async function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment({ attempt: 1 }).run(fn, ...args);
}

async function copyDocuments(coll: string): Promise<void> {
  const docs = await pair.admin.cluster0.db('shop').collection<AnyDocument>(coll).find().toArray();
  if (docs.length > 0) await pair.admin.cluster1.db('shop').collection<AnyDocument>(coll).insertMany(docs);
}

test('an index deferred because its relaxed form collides on the destination is built exactly at commit', async () => {
  const shop = pair.admin.cluster0.db('shop');
  await shop.createCollection('users');
  await shop.collection<AnyDocument>('users').insertMany(Array.from({ length: 20 }, (_, n) => ({ _id: n, email: `u${n}@x`, name: `n${n}` })));
  await shop.collection('users').createIndex({ email: 1 }, { name: 'email_unique', unique: true });
  await shop.collection('users').createIndex({ name: 1 }, { name: 'name_en_unique', unique: true, collation: { locale: 'en', strength: 2 } });
  await shop.collection('users').createIndex({ name: 1 }, { name: 'name_fr', collation: { locale: 'fr' } });
  await run(copyCatalog, clients, INPUT);
  await copyDocuments('users');
  // A destination index on the same key pattern under another name (left by a later state):
  // the relaxed build of email_unique would be the same index, which the server refuses (85).
  await pair.admin.cluster1.db('shop').collection('users').createIndex({ email: 1 }, { name: 'email_other' });

  await run(buildIndexes, clients, INPUT);
  const during = (await pair.admin.cluster1.db('shop').collection('users').listIndexes().toArray()).map((spec) => String(spec.name)).sort();
  assert.deepEqual(during, ['_id_', 'email_other', 'name_en_unique', 'name_fr'], 'email_unique waits for the commit');

  await run(finalizeDestination, clients, { ...INPUT, stage: 'beforeCanWrite' });
  await run(finalizeDestination, clients, { ...INPUT, stage: 'afterCanWrite' });
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
});

test('an index the commit cannot build with its source options fails the sync naming it', async () => {
  const shop = pair.admin.cluster0.db('shop');
  await shop.createCollection('users');
  await shop.collection<AnyDocument>('users').insertMany([{ _id: 1, email: 'a' }, { _id: 2, email: 'b' }]);
  await shop.collection('users').createIndex({ email: 1 }, { name: 'email_unique', unique: true });
  await run(copyCatalog, clients, INPUT);
  // The destination holds documents the unique index refuses, and the index was never built.
  await pair.admin.cluster1.db('shop').collection<AnyDocument>('users').insertMany([{ _id: 1, email: 'a' }, { _id: 2, email: 'a' }]);
  await assert.rejects(run(finalizeDestination, clients, { ...INPUT, stage: 'beforeCanWrite' }), (error: Error) => {
    assert.match(error.message, /index 'email_unique' of shop\.users/);
    return true;
  });
});
