// compareCatalog against two simulated clusters: collections, options, indexes and views as the
// server lists them; equal catalogs give nothing, each difference is named.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCatalog } from '../../src/verify/compare-catalog';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';

let pair: ClusterPair;

before(async () => {
  pair = await startClusterPair();
});

after(async () => {
  await pair?.close();
});

async function seed(label: 'cluster0' | 'cluster1', variant: boolean): Promise<void> {
  const db = pair.admin[label].db('shop');
  await db.createCollection('orders', { validator: { total: { $gte: variant ? 1 : 0 } } });
  await db.collection('orders').createIndex({ customer: 1, at: -1 }, { name: 'customer_at' });
  await db.collection('orders').createIndex({ email: 1 }, { name: 'email', unique: !variant });
  await db.createCollection('names', { collation: { locale: 'fr', strength: 2 } });
  await db.createCollection('recent', { viewOn: 'orders', pipeline: [{ $match: { total: { $gt: variant ? 10 : 5 } } }] });
  await pair.admin[label].db('other').collection('things').insertOne({ _id: 1 } as never);
}

test('equal catalogs give no mismatch; each difference names its namespace and option or index', async () => {
  await pair.reset();
  await seed('cluster0', false);
  await seed('cluster1', false);
  const equal = await compareCatalog(pair.admin.cluster0, pair.admin.cluster1);
  assert.deepEqual(equal.mismatches, []);
  assert.deepEqual(
    equal.namespaces.map((n) => `${n.db}.${n.coll}:${n.type}`),
    ['other.things:collection', 'shop.names:collection', 'shop.orders:collection', 'shop.recent:view'],
    'system collections (system.views) and system databases are left out',
  );

  await pair.reset();
  await seed('cluster0', false);
  await seed('cluster1', true);
  await pair.admin.cluster1.db('shop').collection('orders').createIndex({ extra: 1 }, { name: 'extra' });
  await pair.admin.cluster0.db('shop').createCollection('onlyHere');
  const different = await compareCatalog(pair.admin.cluster0, pair.admin.cluster1);
  assert.deepEqual(
    different.mismatches.map((m) => `${m.kind} ${m.db}.${m.coll} ${m.index ?? ''} ${m.option ?? ''}`.trim()),
    [
      'collectionMissingOnDestination shop.onlyHere',
      'optionDiffers shop.orders  validator',
      'indexOptionDiffers shop.orders email unique',
      'indexExtraOnDestination shop.orders extra',
      'optionDiffers shop.recent  pipeline',
    ],
  );
  const filtered = await compareCatalog(pair.admin.cluster0, pair.admin.cluster1, { includeNamespace: (db) => db === 'other' });
  assert.deepEqual(filtered.mismatches, []);
  assert.deepEqual(filtered.namespaces.map((n) => n.coll), ['things']);
  const relaxed = await compareCatalog(pair.admin.cluster0, pair.admin.cluster1, { relaxedDuringSync: true, includeNamespace: (_db, coll) => coll === 'orders' });
  assert.deepEqual(relaxed.mismatches.map((m) => m.option ?? m.index), ['validator', 'extra'], 'a unique index built non-unique is the sync\'s relaxation');
});
