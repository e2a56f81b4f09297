// The embedded verifier in a real sync (simulated replica sets, a real Temporal dev server and
// worker): identical clusters with writes during verification pass and commit without a false
// report; a difference made on the destination during the copy is found, named and blocks the
// commit; a difference the commit check finds fails the commit and keeps the destination
// write-blocked. Every wait polls a condition.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type MongoClient, MongoServerError } from 'mongodb';
import { SyncError } from '../../src/sync/errors';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { useSyncFixture, waitForProgress } from '../support/sync-harness';
import { type AnyDocument, ConcurrentWriter, seed } from '../support/workload';
import type { Progress } from '../../src/sync/progress';

const fixture = useSyncFixture();
const harness = fixture.harness;

const verificationOf = (p: Progress) => p.verification;
const mismatchWarnings = (p: Progress) => (p.warnings ?? []).filter((w) => w.startsWith('verification mismatch'));

async function expectWriteBlocked(client: MongoClient, db: string): Promise<void> {
  await assert.rejects(
    client.db(db).collection('blocked_probe').insertOne({ probe: true }),
    (error: unknown) => error instanceof MongoServerError && error.code === 371,
  );
}

describe('embedded verifier', () => {
  test('identical clusters with writes during verification: no false report, the first pass opens canCommit, the commit passes', async () => {
    await seed(fixture.pair.admin.cluster0, [
      { db: 'app', coll: 'items', documents: 1500 },
      { db: 'app', coll: 'small', documents: 30 },
    ]);
    const h = await harness({ tuning: { verifyBatchSize: 50, verifyConcurrency: 2 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    const writer = new ConcurrentWriter(fixture.pair.app.cluster0, 'app', ['items', 'small'], { firstId: 10_000, maxId: 1600, seed: 11 }).start();

    const falseReports: string[] = [];
    const watch = (p: Progress) => {
      falseReports.push(...mismatchWarnings(p));
      return falseReports.length > 0;
    };
    // Writes go on through the copy and the verifier's whole first pass.
    await waitForProgress(h.controller, (p) => watch(p) || verificationOf(p)?.source.phase === 'stream hashing', 120_000);
    const stats = await writer.stop();
    assert.deepEqual(stats.errors, []);
    assert.ok(stats.updates > 0 && stats.deletes > 0, JSON.stringify(stats));
    const ready = await waitForProgress(h.controller, (p) => watch(p) || p.canCommit === true, 120_000);
    assert.deepEqual(falseReports, [], 'documents that changed while compared are not reported');
    const verification = verificationOf(ready)!;
    assert.equal(verification.source.phase, 'stream hashing');
    assert.equal(verification.source.totalCollectionCount, 2);
    assert.equal(verification.source.scannedCollectionCount, 2);
    assert.ok(verification.source.hashedDocumentCount >= 1500, JSON.stringify(verification));
    const state = await h.controller.state();
    const found = state!.verification!.candidatesFound ?? 0;
    console.log(`first pass: ${state!.verification!.sourceDocuments} documents, ${found} differences found, ${state!.verification!.candidates} left`);
    assert.ok(found > 0, 'documents changed while they were compared (the recheck path ran), none was reported');

    await h.controller.commit();
    const committed = await waitForProgress(h.controller, (p) => p.state === 'COMMITTED' || p.state === 'FAILED', 120_000);
    assert.equal(committed.state, 'COMMITTED', JSON.stringify(committed));
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
    const databases = await fixture.pair.admin.cluster1.db('admin').admin().listDatabases({ nameOnly: true });
    assert.ok(!databases.databases.some((d) => d.name === C2C_VERIFIER_DB), 'a passed commit check drops the verifier store');
  });

  test('a difference made on the destination during the copy is found, named, and blocks the commit', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 3000 }]);
    const h = await harness({ tuning: { copyConcurrency: 1, copyBatchSize: 50, copyChunkMaxMs: 200 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    const items = fixture.pair.admin.cluster1.db('app').collection<AnyDocument>('items');
    await waitUntil(async () => (await items.countDocuments({ _id: { $in: [5, 6] } })) === 2, { timeoutMs: 60_000, intervalMs: 20 });
    await h.controller.pause();
    const paused = await h.controller.state();
    assert.equal(paused!.phase, 'copying', 'the test changes the destination before the verifier starts');
    await items.updateOne({ _id: 5 }, { $set: { name: 'changed on the destination' } });
    await items.deleteOne({ _id: 6 });
    await h.controller.resume();

    const found = await waitForProgress(h.controller, (p) => mismatchWarnings(p).length >= 2, 120_000);
    const warnings = mismatchWarnings(found).join('\n');
    assert.match(warnings, /app\.items document _id \{"\$numberInt":"5"\} differs/);
    assert.match(warnings, /app\.items document _id \{"\$numberInt":"6"\} is missing on the destination/);
    assert.equal(found.canCommit, false);
    await assert.rejects(h.controller.commit(), (e: unknown) => {
      assert.ok(e instanceof SyncError, String(e));
      assert.equal(e.error, 'CannotCommit');
      assert.match(e.errorDescription, /verification found 2 mismatches/);
      return true;
    });
    const state = await h.controller.state();
    assert.equal(state!.verification!.mismatchCount, 2);
    const recorded = await fixture.pair.admin.cluster1.db(C2C_VERIFIER_DB).collection('mismatches').countDocuments();
    assert.equal(recorded, 2, 'the mismatches are kept on the destination');
  });

  test('a difference found by the commit check fails the commit with VerificationFailed and leaves the destination blocked', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 200 }]);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: true, reversible: true });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);
    // A document the applier writes (so the commit check rechecks it), then changed on the
    // destination behind the sync's back (the admin bypasses the write block).
    await fixture.pair.app.cluster0.db('app').collection<AnyDocument>('items').updateOne({ _id: 7 }, { $set: { name: 'updated on the source' } });
    const destinationItems = fixture.pair.admin.cluster1.db('app').collection<AnyDocument>('items');
    await waitUntil(async () => (await destinationItems.findOne({ _id: 7 }))?.name === 'updated on the source', { timeoutMs: 60_000 });
    await destinationItems.updateOne({ _id: 7 }, { $set: { name: 'changed on the destination' } });

    await h.controller.commit();
    const failed = await waitForProgress(h.controller, (p) => p.state === 'FAILED' || p.state === 'COMMITTED', 120_000);
    assert.equal(failed.state, 'FAILED', JSON.stringify(failed));
    assert.equal(failed.error, 'VerificationFailed');
    assert.match(String(failed.errorDescription), /app\.items document _id \{"\$numberInt":"7"\} differs/);
    assert.match(String(failed.errorDescription), /destination stays write-blocked/);
    await expectWriteBlocked(fixture.pair.app.cluster1, 'app');
    const state = await h.controller.state();
    assert.equal(state!.destinationWritesBlocked, true);
    assert.equal(state!.sourceWritesBlocked, false, 'the source is released: it is still the system of record');
  });
});
