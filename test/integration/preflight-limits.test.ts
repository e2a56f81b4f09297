// Preflight refuses a source beyond the scale limits (src/sync/scale-limits.ts) with an error
// naming the limit, before anything is written; views and collections the filter excludes do
// not count. The limit is lowered for the test: the check is the same at 100,000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { preflight, type PreflightInput } from '../../src/activities/preflight';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { C2C_METADATA_DB } from '../../src/sync/namespace-names';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started), {
  seed: async () => {
    for (const [db, coll] of [
      ['shop', 'a'],
      ['shop', 'b'],
      ['shop', 'c'],
      ['crm', 'd'],
      ['crm', 'e'],
      ['crm', 'f'],
    ]) {
      await pair.admin.cluster0.db(db!).collection(coll!).insertOne({ x: 1 });
    }
    await pair.admin.cluster0.db('shop').command({ create: 'recent', viewOn: 'a', pipeline: [] });
  },
});

const INPUT: PreflightInput = {
  source: 'cluster0',
  destination: 'cluster1',
  writeBlocking: 'none',
  ignoredDestinationDatabases: [C2C_METADATA_DB],
};

test('a source with more collections than the limit is refused, naming the limit, and nothing is written', async () => {
  await preflight(clusters, { ...INPUT, collectionLimit: 6 });
  await assert.rejects(preflight(clusters, { ...INPUT, collectionLimit: 5 }), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure);
    assert.equal(error.type, 'PreflightFailed');
    assert.equal(error.nonRetryable, true);
    assert.match(error.message, /more than 5 collections that the namespace filter includes; c2c-sync syncs at most 5 collections/);
    return true;
  });
  const { databases } = await pair.admin.cluster1.db('admin').command({ listDatabases: 1, nameOnly: true });
  assert.deepEqual(
    (databases as { name: string }[]).map((db) => db.name).filter((name) => !['admin', 'config', 'local'].includes(name)),
    [],
    'the destination holds nothing',
  );
});

test('only the collections the namespace filter includes count', async () => {
  await preflight(clusters, { ...INPUT, collectionLimit: 3, includeNamespaces: [{ database: 'shop' }], excludeNamespaces: [] });
  await preflight(clusters, { ...INPUT, collectionLimit: 4, includeNamespaces: [], excludeNamespaces: [{ database: 'crm', collections: ['d', 'e'] }] });
  await assert.rejects(preflight(clusters, { ...INPUT, collectionLimit: 2, includeNamespaces: [{ database: 'shop' }], excludeNamespaces: [] }), /more than 2 collections/);
});
