// The embedded verifier's catalog check at commit, in a real sync (simulated replica sets, or real
// ones with TEST_CLUSTER0_URI/TEST_CLUSTER1_URI; a real Temporal dev server and worker): identical
// catalogs, with every relaxation the sync makes during CEA (unique, TTL, hidden, capped) and a
// collection created during CEA, commit with no false report (so does an index dropped on the
// destination, which the commit's restore rebuilds before the check); a collection option, a view's
// pipeline or an index changed on the destination during CEA (behind the sync's back: the admin
// bypasses the write block) fails the commit with VerificationFailed naming it, and the
// destination stays write-blocked. Every wait polls a condition.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type MongoClient, MongoServerError } from 'mongodb';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import type { Progress } from '../../src/sync/progress';
import { compareCatalog } from '../../src/verify/compare-catalog';
import { compareClusters } from '../support/compare-clusters';
import { type SyncHarness, useSyncFixture, waitForProgress } from '../support/sync-harness';

const fixture = useSyncFixture();
const harness = fixture.harness;

const IN_A_DAY = new Date(Date.now() + 86_400_000);

/**
 * A catalog with every kind of entry the sync relaxes or copies as is: a validator, a unique, a
 * TTL, a hidden and a partial index with a collation, a capped collection and a view.
 */
async function seedCatalog(client: MongoClient): Promise<void> {
  const db = client.db('app');
  await db.createCollection('items', { validator: { qty: { $gte: 0 } }, validationLevel: 'moderate' });
  await db.collection('items').insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, email: `u${i}@example.com`, qty: i, at: IN_A_DAY, h: i, name: `n${i}` }) as never));
  await db.collection('items').createIndex({ email: 1 }, { name: 'email_1', unique: true });
  await db.collection('items').createIndex({ at: 1 }, { name: 'at_1', expireAfterSeconds: 3600 });
  await db.collection('items').createIndex({ h: 1 }, { name: 'h_1', hidden: true });
  await db.collection('items').createIndex({ name: 1 }, { name: 'name_partial', partialFilterExpression: { qty: { $gt: 5 } }, collation: { locale: 'fr', strength: 2 } });
  await db.createCollection('log', { capped: true, size: 65536, max: 50 });
  await db.collection('log').insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, line: `line ${i}` }) as never));
  await db.createCollection('recent', { viewOn: 'items', pipeline: [{ $match: { qty: { $gt: 50 } } }] });
}

const mismatchWarnings = (p: Progress) => (p.warnings ?? []).filter((w) => w.startsWith('verification mismatch'));

async function expectWriteBlocked(client: MongoClient): Promise<void> {
  await assert.rejects(
    client.db('app').collection('blocked_probe').insertOne({ probe: true }),
    (error: unknown) => error instanceof MongoServerError && error.code === 371,
  );
}

/** Commits and waits for the sync to end: COMMITTED or FAILED. */
async function commit(h: SyncHarness): Promise<Progress> {
  await h.controller.commit();
  return waitForProgress(h.controller, (p) => p.state === 'COMMITTED' || p.state === 'FAILED', 180_000);
}

/** The catalog differences the verifier recorded in its store on the destination. */
async function recordedCatalogMismatches(): Promise<string[]> {
  const entries = await fixture.pair.admin.cluster1
    .db(C2C_VERIFIER_DB)
    .collection<{ _id: { db: string; coll: string; catalog: string } }>('mismatches')
    .find({ '_id.catalog': { $exists: true } })
    .toArray();
  return entries.map((entry) => `${entry._id.db}.${entry._id.coll} ${entry._id.catalog}`).sort();
}

async function expectVerificationFailed(h: SyncHarness, ended: Progress, named: RegExp[]): Promise<void> {
  assert.equal(ended.state, 'FAILED', JSON.stringify(ended));
  assert.equal(ended.error, 'VerificationFailed');
  for (const pattern of named) assert.match(String(ended.errorDescription), pattern);
  assert.match(String(ended.errorDescription), /catalog difference/);
  assert.match(String(ended.errorDescription), /destination stays write-blocked/);
  const warned = await waitForProgress(h.controller, (p) => mismatchWarnings(p).length >= named.length, 30_000);
  for (const pattern of named) assert.ok(mismatchWarnings(warned).some((w) => pattern.test(w)), `a /progress warning matches ${String(pattern)}: ${JSON.stringify(warned.warnings)}`);
  await expectWriteBlocked(fixture.pair.app.cluster1);
  const state = (await h.controller.state())!;
  assert.equal(state.destinationWritesBlocked, true);
  assert.equal(state.commit.canWrite, false);
  assert.equal(state.verification!.mismatchCount, named.length);
}

describe('embedded verifier: the catalog at commit', () => {
  test('identical catalogs, relaxed during the sync, with a collection created during CEA and an index the restore rebuilds, commit with no false report', async () => {
    await seedCatalog(fixture.pair.admin.cluster0);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: true, reversible: true });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 180_000);
    // The destination holds the relaxed forms while the sync runs.
    const relaxed = await compareCatalog(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1);
    assert.deepEqual(relaxed.mismatches.map((m) => `${m.coll} ${m.index ?? ''} ${m.option ?? ''}`.trim()).sort(), [
      'items at_1 expireAfterSeconds',
      'items email_1 unique',
      'items h_1 hidden',
      'log  max',
      'log  size',
    ]);
    // DDL during CEA: a new collection with a validator and a unique index, a changed validator.
    const source = fixture.pair.admin.cluster0.db('app');
    await source.createCollection('later', { validator: { x: { $exists: true } } });
    await source.collection('later').createIndex({ k: 1 }, { name: 'k_1', unique: true });
    await source.collection('later').insertOne({ x: 1, k: 1 });
    await source.command({ collMod: 'items', validator: { qty: { $gte: -1 } } });
    // An index dropped on the destination is rebuilt by the commit's restore: nothing to report.
    await fixture.pair.admin.cluster1.db('app').collection('items').dropIndex('name_partial');

    const ended = await commit(h);
    assert.equal(ended.state, 'COMMITTED', JSON.stringify(ended));
    assert.deepEqual(mismatchWarnings(ended), []);
    const state = (await h.controller.state())!;
    assert.equal(state.verification!.catalogNamespaces, 4, 'the commit check compared items, later, log and recent');
    assert.equal(state.verification!.mismatchCount, 0);
    assert.deepEqual((await compareCatalog(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1)).mismatches, [], 'after the commit the catalogs are equal');
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });

  // One sync carries three independent differences, each on a collection of its own: a collection
  // option changed, a collection created and a view's pipeline changed on the destination. The
  // lists of reported and recorded differences are compared whole, so none of them hides a false
  // report about another.
  test('a collection option changed, a collection created and a view whose pipeline differs on the destination during CEA fail the commit, each named', async () => {
    await seedCatalog(fixture.pair.admin.cluster0);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: true, reversible: true });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 180_000);
    const destination = fixture.pair.admin.cluster1.db('app');
    await destination.command({ collMod: 'items', validator: { qty: { $gte: 1000 } } });
    await destination.createCollection('stray');
    await destination.command({ collMod: 'recent', viewOn: 'items', pipeline: [{ $match: { qty: { $gt: 0 } } }] });

    const ended = await commit(h);
    await expectVerificationFailed(h, ended, [
      /app\.items: option 'validator' is \{"qty":\{"\$gte":0\}\} on the source and \{"qty":\{"\$gte":1000\}\} on the destination/,
      /app\.stray: the collection exists only on the destination/,
      /app\.recent: option 'pipeline' is \[\{"\$match":\{"qty":\{"\$gt":50\}\}\}\] on the source and \[\{"\$match":\{"qty":\{"\$gt":0\}\}\}\] on the destination/,
    ]);
    assert.deepEqual(await recordedCatalogMismatches(), ['app.items option validator', 'app.recent option pipeline', 'app.stray collectionExtraOnDestination']);
  });

  test('an index created on the destination of a sync that builds none fails the commit, named; the indexes it does not build are not expected', async () => {
    await seedCatalog(fixture.pair.admin.cluster0);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: true, buildIndexes: 'never' });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 180_000);
    await fixture.pair.admin.cluster1.db('app').collection('items').createIndex({ qty: 1 }, { name: 'qty_1' });

    const ended = await commit(h);
    await expectVerificationFailed(h, ended, [/app\.items: index 'qty_1' exists only on the destination/]);
    assert.deepEqual(await recordedCatalogMismatches(), ['app.items index qty_1']);
  });
});
