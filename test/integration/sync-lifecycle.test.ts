// The whole mongosync lifecycle on a real Temporal dev server and two replica sets (simulated,
// or real ones from TEST_CLUSTER0_URI/TEST_CLUSTER1_URI): copy with concurrent writes of every
// kind and DDL, change event application, commit with write blocking, reverse, commit again.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type MongoClient, MongoServerError } from 'mongodb';
import { SyncError } from '../../src/sync/errors';
import { commitSignal, pauseSignal, resumeSignal } from '../../src/workflows/messages';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { type SyncHarness, useSyncFixture, waitForProgress } from '../support/sync-harness';
import { type AnyDocument, ConcurrentWriter, seed, type SeedSpec } from '../support/workload';
import type { Progress } from '../../src/sync/progress';

const fixture = useSyncFixture();
const harness = fixture.harness;

const SHOP: SeedSpec[] = [
  {
    db: 'shop',
    coll: 'orders',
    documents: 600,
    indexes: [
      { key: { oid: 1 }, name: 'oid_unique', unique: true, sparse: true },
      { key: { 'nested.level.when': 1 }, name: 'ttl', expireAfterSeconds: 2_000_000_000 },
      { key: { name: 1, seq: -1 }, name: 'compound' },
      { key: { tags: 1 }, name: 'hidden_tags', hidden: true },
      { key: { price: 1 }, name: 'partial', partialFilterExpression: { seq: { $gt: 10 } } },
      { key: { missing: 1 }, name: 'sparse', sparse: true },
    ],
  },
  { db: 'shop', coll: 'log', documents: 50, options: { capped: true, size: 1024 * 1024, max: 500 } },
  {
    db: 'shop',
    coll: 'validated',
    documents: 40,
    options: { validator: { seq: { $exists: true } }, validationLevel: 'strict', collation: { locale: 'en', strength: 2 } },
  },
  { db: 'crm', coll: 'people', documents: 300 },
  { db: 'crm', coll: 'clustered', documents: 120, options: { clusteredIndex: { key: { _id: 1 }, unique: true, name: 'by_id' } } },
];

async function expectWriteBlocked(client: MongoClient, db: string): Promise<void> {
  await assert.rejects(
    client.db(db).collection('blocked_probe').insertOne({ probe: true }),
    (error: unknown) => error instanceof MongoServerError && error.code === 371,
  );
}

const waitFor = (check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => waitUntil(check, { timeoutMs, intervalMs: 250 });

async function waitUntilCommitted(h: SyncHarness): Promise<Progress> {
  return waitForProgress(h.controller, (p) => p.state === 'COMMITTED', 120_000);
}

describe('sync lifecycle', () => {
  test('copy with concurrent writes and DDL, commit, reverse, commit, reverse again: every cluster ends equal', async () => {
    await seed(fixture.pair.admin.cluster0, SHOP);
    await fixture.pair.admin.cluster0.db('shop').createCollection('expensive', { viewOn: 'orders', pipeline: [{ $match: { seq: { $gt: 300 } } }] });
    const h = await harness();

    await h.controller.start({ source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true });
    const writer = new ConcurrentWriter(fixture.pair.app.cluster0, 'shop', ['orders'], { firstId: 10_000, maxId: 700, ddlClient: fixture.pair.admin.cluster0, seed: 7 }).start();
    const crmWriter = new ConcurrentWriter(fixture.pair.app.cluster0, 'crm', ['people'], { firstId: 20_000, maxId: 350, seed: 8 }).start();

    const running = await waitForProgress(h.controller, (p) => p.state === 'RUNNING' && p.info === 'change event application');
    assert.equal(running.canWrite, false);
    await expectWriteBlocked(fixture.pair.app.cluster1, 'shop');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stats = [await writer.stop(), await crmWriter.stop()];
    assert.deepEqual(stats.flatMap((s) => s.errors), []);
    assert.ok(stats[0]!.inserts > 0 && stats[0]!.updates > 0 && stats[0]!.deletes > 0 && stats[0]!.ddl > 0, JSON.stringify(stats));

    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.commit();
    const committed = await waitUntilCommitted(h);
    assert.equal(committed.canWrite, true);
    assert.equal(committed.lagTimeSeconds, 0);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
    await expectWriteBlocked(fixture.pair.app.cluster0, 'shop');
    await fixture.pair.app.cluster1.db('shop').collection<AnyDocument>('orders').insertOne({ _id: 'written-after-commit', seq: 99_999 });

    await h.controller.reverse();
    const reversed = await waitForProgress(h.controller, (p) => p.state === 'RUNNING');
    assert.match(String(reversed.directionMapping?.Source), /^cluster1: /);
    assert.match(String(reversed.directionMapping?.Destination), /^cluster0: /);
    const people = fixture.pair.app.cluster1.db('crm').collection<AnyDocument>('people');
    await people.updateMany({ _id: { $lt: 50 } }, { $set: { reversed: true } });
    await people.deleteOne({ _id: 60 });
    await fixture.pair.app.cluster1.db('crm').createCollection('after_reverse');
    await fixture.pair.app.cluster1.db('crm').collection<AnyDocument>('after_reverse').insertOne({ _id: 1 });

    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.commit();
    await waitUntilCommitted(h);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster1, fixture.pair.admin.cluster0), []);
    const found = await fixture.pair.admin.cluster0.db('shop').collection<AnyDocument>('orders').findOne({ _id: 'written-after-commit' });
    assert.equal(found?.seq, 99_999);

    // Reversing again later works: back to cluster0 → cluster1.
    await fixture.pair.app.cluster0.db('crm').collection<AnyDocument>('people').insertOne({ _id: 'second-reverse' });
    await h.controller.reverse();
    const again = await waitForProgress(h.controller, (p) => p.state === 'RUNNING');
    assert.match(String(again.directionMapping?.Source), /^cluster0: /);
    await fixture.pair.app.cluster0.db('crm').collection<AnyDocument>('people').updateOne({ _id: 'second-reverse' }, { $set: { twice: true } });
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.commit();
    await waitUntilCommitted(h);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });

  test('commands in the wrong state are rejected with mongosync-style errors and change nothing', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 20 }]);
    const h = await harness();
    const rejects = async (command: Promise<unknown>, error: string, pattern: RegExp): Promise<void> => {
      await assert.rejects(command, (e: unknown) => e instanceof SyncError && e.error === error && pattern.test(e.errorDescription));
    };
    assert.equal((await h.controller.progress()).state, 'IDLE');
    for (const command of ['pause', 'resume', 'commit', 'reverse'] as const) {
      await rejects(h.controller[command](), 'InvalidState', /IDLE/);
    }
    await rejects(h.controller.start({ source: 'cluster0', destination: 'cluster0' }), 'InvalidStartRequest', /different clusters/);
    await rejects(h.controller.start({ source: 'cluster0', destination: 'cluster1', bogus: 1 }), 'InvalidStartRequest', /bogus/);
    assert.equal((await h.controller.progress()).state, 'IDLE');

    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await rejects(h.controller.start({ source: 'cluster0', destination: 'cluster1' }), 'InvalidState', /already running/);
    await rejects(h.controller.resume(), 'InvalidState', /RUNNING/);
    await rejects(h.controller.reverse(), 'InvalidState', /RUNNING/);
    await h.controller.pause();
    assert.equal((await h.controller.progress()).state, 'PAUSED');
    await rejects(h.controller.pause(), 'InvalidState', /PAUSED/);
    await rejects(h.controller.commit(), 'InvalidState', /PAUSED/);
    assert.equal((await h.controller.progress()).state, 'PAUSED');
    await h.controller.resume();
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.commit();
    await waitUntilCommitted(h);
    await rejects(h.controller.reverse(), 'NotReversible', /reversible/);
    await rejects(h.controller.commit(), 'InvalidState', /COMMITTED/);
    assert.equal((await h.controller.progress()).state, 'COMMITTED');
  });

  test('start refuses a destination that holds data, and leaves the sync IDLE', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 5 }]);
    await fixture.pair.admin.cluster1.db('already').collection('here').insertOne({ x: 1 });
    const h = await harness();
    await assert.rejects(
      h.controller.start({ source: 'cluster0', destination: 'cluster1' }),
      (e: unknown) => e instanceof SyncError && e.error === 'PreflightFailed' && /'already'/.test(e.errorDescription),
    );
    assert.equal((await h.controller.progress()).state, 'IDLE');
    assert.equal(await fixture.pair.admin.cluster1.db('app').collection('items').countDocuments(), 0);
  });

  test('pause stops copying and applying at a checkpoint; resume continues without recopying', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'big', coll: 'docs', documents: 8000 }]);
    const h = await harness({ tuning: { copyConcurrency: 1, copyChunkMaxMs: 100, copyBatchSize: 50 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(h.controller, (p) => (p.collectionCopy?.estimatedCopiedBytes ?? 0) > 0);
    await h.controller.pause();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const pausedState = await h.controller.state();
    const copiedAtPause = await fixture.pair.admin.cluster1.db('big').collection('docs').countDocuments();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await fixture.pair.admin.cluster1.db('big').collection('docs').countDocuments(), copiedAtPause, 'nothing is copied while paused');
    assert.ok(copiedAtPause > 0 && copiedAtPause < 8000, `copied ${copiedAtPause} before the pause took effect`);
    const progress = await h.controller.progress();
    assert.equal(progress.state, 'PAUSED');
    assert.equal(progress.lagTimeSeconds, null);
    assert.equal(progress.lag, null);

    await h.controller.resume();
    // the resumed copy and its verification run at the slow tuning above: a busy machine needs a while
    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);
    const resumedState = await h.controller.state();
    assert.equal(resumedState!.copy.copiedDocuments, 8000, 'each document is copied once across the pause');
    assert.ok(pausedState!.copy.copiedDocuments <= copiedAtPause);
    await h.controller.commit();
    await waitUntilCommitted(h);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });

  test('writes to documents while their collection is being copied are neither lost nor resurrected', async () => {
    await seed(fixture.pair.admin.cluster0, [
      { db: 'mid', coll: 'docs', documents: 6000 },
      { db: 'mid', coll: 'moving', documents: 800 },
    ]);
    const h = await harness({ tuning: { copyConcurrency: 1, copyBatchSize: 50, copyChunkMaxMs: 50, partitionTargetBytes: 16 * 1024 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(h.controller, (p) => (p.collectionCopy?.estimatedCopiedBytes ?? 0) > 0);
    const docs = fixture.pair.app.cluster0.db('mid').collection<AnyDocument>('docs');
    // Documents at both ends of the _id range: some already copied, some not yet.
    for (const id of [1, 2, 5998, 5999]) await docs.deleteOne({ _id: id });
    for (const id of [3, 5997]) {
      await docs.updateOne({ _id: id }, { $set: { touched: 1 }, $unset: { name: '' } });
      await docs.updateOne({ _id: id }, { $inc: { seq: 100 } });
    }
    // Removed, added back, then another field added: replayed onto the copied (later) version,
    // these events keep the values but not the field order; the commit-time resync restores it.
    await docs.updateOne({ _id: 5996 }, { $unset: { name: '' } });
    await docs.updateOne({ _id: 5996 }, { $set: { name: 'back' } });
    await docs.updateOne({ _id: 5996 }, { $set: { extra: 1 } });
    await docs.insertOne({ _id: 2, reborn: true });
    await docs.replaceOne({ _id: 4 }, { replaced: true });
    await docs.insertOne({ _id: 'new-during-copy', at: 'copy' });
    await fixture.pair.admin.cluster0.db('admin').command({ renameCollection: 'mid.moving', to: 'mid.moved' });
    await fixture.pair.app.cluster0.db('mid').collection<AnyDocument>('moved').updateOne({ _id: 799 }, { $set: { afterRename: true } });
    assert.equal((await h.controller.state())!.copy.done, false, 'the writes above land while the copy runs');

    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);
    await h.controller.commit();
    await waitUntilCommitted(h);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
    const copied = fixture.pair.admin.cluster1.db('mid').collection<AnyDocument>('docs');
    assert.equal(await copied.countDocuments({ _id: { $in: [1, 5998, 5999] } }), 0, 'deleted documents stay deleted');
    assert.deepEqual(await copied.findOne({ _id: 2 }), { _id: 2, reborn: true });
    assert.equal(await fixture.pair.admin.cluster1.db('mid').collection('moved').countDocuments(), 800);
  });

  test('signals of the same names drive the sync; the UI finds it by its state search attribute', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 50 }]);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    const handle = fixture.env.client.workflow.getHandle(h.controller.workflowId);
    await waitForProgress(h.controller, (p) => p.state === 'RUNNING' && p.info === 'change event application');

    await handle.signal(resumeSignal);
    await handle.signal(pauseSignal);
    await waitForProgress(h.controller, (p) => p.state === 'PAUSED');
    const listed = async (state: string): Promise<string[]> => {
      const ids: string[] = [];
      for await (const execution of fixture.env.client.workflow.list({ query: `C2cSyncState = '${state}' AND C2cSyncId = '${h.syncId}'` })) {
        ids.push(execution.workflowId);
      }
      return ids;
    };
    await waitFor(async () => (await listed('PAUSED')).length === 1);
    assert.deepEqual(await listed('PAUSED'), [h.controller.workflowId]);
    const description = await handle.describe();
    assert.match(String(await description.staticSummary()), /cluster0 → cluster1/);
    assert.match(String(await description.staticDetails()), /write blocking: none/);

    await handle.signal(commitSignal);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await h.controller.progress()).state, 'PAUSED', 'a commit signal in PAUSED is ignored');
    await handle.signal(resumeSignal);
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await handle.signal(commitSignal);
    await waitUntilCommitted(h);
    await waitFor(async () => (await listed('COMMITTED')).length === 1);
  });

  test('a long sync continues as new and keeps its checkpoint', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'long', coll: 'docs', documents: 200 }]);
    const h = await harness({ tuning: { continueAsNewAfterEvents: 60, applyIterationMs: 300 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    const handle = fixture.env.client.workflow.getHandle(h.controller.workflowId);
    const firstRun = (await handle.describe()).runId;
    const docs = fixture.pair.admin.cluster0.db('long').collection<AnyDocument>('docs');
    for (let i = 0; i < 20; i++) {
      await docs.updateOne({ _id: i }, { $set: { round: i } });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await waitFor(async () => (await handle.describe()).runId !== firstRun);
    // canCommit allows some lag, so the last updates may still be on their way: wait for them.
    // A counter that continue-as-new reset would never reach 20 again.
    await waitFor(async () => ((await h.controller.state())?.apply.eventsApplied ?? 0) >= 20, 60_000);
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.commit();
    await waitUntilCommitted(h);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });

  test('filtered sync copies and follows only the included namespaces', async () => {
    await seed(fixture.pair.admin.cluster0, [
      { db: 'sales', coll: 'accounts_eu', documents: 30 },
      { db: 'sales', coll: 'accounts_us', documents: 30 },
      { db: 'sales', coll: 'leads', documents: 30 },
      { db: 'marketing', coll: 'campaigns', documents: 10 },
      { db: 'hr', coll: 'staff', documents: 10 },
    ]);
    const h = await harness();
    await assert.rejects(
      h.controller.start({ source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true, includeNamespaces: [{ database: 'sales' }] }),
      (e: unknown) => e instanceof SyncError && e.error === 'InvalidStartRequest' && /reversible/.test(e.errorDescription),
    );
    await h.controller.start({
      source: 'cluster0',
      destination: 'cluster1',
      includeNamespaces: [{ database: 'sales', collectionsRegex: { pattern: '^accounts_', options: 'i' } }, { database: 'marketing' }],
      excludeNamespaces: [{ database: 'sales', collections: ['accounts_us'] }],
    });
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await fixture.pair.admin.cluster0.db('sales').collection<AnyDocument>('accounts_eu').insertOne({ _id: 'new-eu' });
    await fixture.pair.admin.cluster0.db('sales').collection<AnyDocument>('accounts_us').insertOne({ _id: 'new-us' });
    await fixture.pair.admin.cluster0.db('marketing').collection<AnyDocument>('later').insertOne({ _id: 'later' });
    await fixture.pair.admin.cluster0.db('hr').collection<AnyDocument>('staff').insertOne({ _id: 'new-staff' });
    // the included writes arrive (the excluded ones are checked after the commit)
    await waitFor(async () => (await fixture.pair.admin.cluster1.db('marketing').collection<AnyDocument>('later').countDocuments({ _id: 'later' })) === 1);
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.commit();
    await waitUntilCommitted(h);
    const included = (db: string, coll: string) => (db === 'sales' && coll === 'accounts_eu') || db === 'marketing';
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1, { namespaces: included }), []);
    const names = async (db: string) => (await fixture.pair.admin.cluster1.db(db).listCollections().toArray()).map((c) => c.name).sort();
    assert.deepEqual(await names('sales'), ['accounts_eu']);
    assert.deepEqual(await names('marketing'), ['campaigns', 'later']);
    assert.deepEqual(await names('hr'), []);
  });
});
