// The embedded verifier follows the destination's change stream (src/activities/
// verify-destination-events.ts) in a real sync (simulated replica sets, or real ones with
// TEST_CLUSTER0_URI/TEST_CLUSTER1_URI, a real Temporal dev server and worker): a document changed
// directly on the destination after the first pass compared it, which the applier never writes,
// fails the commit with VerificationFailed naming it; so does one the applier wrote before (its
// changed-set entry stays, the follower does not record it again); so does a collection dropped there; the
// applier's own writes, which the stream shows too, cause no false report. Every wait polls.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { type SyncHarness, useSyncFixture, waitForProgress } from '../support/sync-harness';
import { type AnyDocument, ConcurrentWriter, seed } from '../support/workload';
import type { Progress } from '../../src/sync/progress';

const fixture = useSyncFixture({ tuning: { verifyChunkMaxMs: 1000 } });
const harness = fixture.harness;

const mismatchWarnings = (p: Progress) => (p.warnings ?? []).filter((w) => w.startsWith('verification mismatch'));

/** The follower's results in the workflow history. */
async function followerResults(h: SyncHarness): Promise<{ events: number; documentEvents: number }[]> {
  const history = await fixture.env.client.workflow.getHandle(h.controller.workflowId).fetchHistory();
  return (history.events ?? [])
    .map((event) => event.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data)
    .filter((data): data is Uint8Array => data instanceof Uint8Array)
    .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as unknown)
    .filter((result): result is { events: number; documentEvents: number } => typeof result === 'object' && result !== null && 'documentEvents' in result);
}

async function commitFails(h: SyncHarness): Promise<Progress> {
  await h.controller.commit();
  const ended = await waitForProgress(h.controller, (p) => p.state === 'FAILED' || p.state === 'COMMITTED', 120_000);
  assert.equal(ended.state, 'FAILED', JSON.stringify(ended));
  assert.equal(ended.error, 'VerificationFailed');
  return ended;
}

describe('embedded verifier: writes made directly on the destination', () => {
  test('a document the applier never writes, changed on the destination after its range was compared, fails the commit', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 300 }]);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    // The first pass is over (canCommit): every range was compared, and found equal.
    const ready = await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);
    assert.equal(ready.verification?.destination.phase, 'stream hashing');
    assert.deepEqual(mismatchWarnings(ready), []);

    await fixture.pair.admin.cluster1.db('app').collection<AnyDocument>('items').updateOne({ _id: 42 }, { $set: { name: 'changed on the destination' } });
    // The follower records it during change event application, before any commit.
    const changed = fixture.pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: { db: string; coll: string; id: unknown } }>('changed');
    await waitUntil(async () => (await changed.countDocuments({ _id: { db: 'app', coll: 'items', id: 42 } })) === 1, { timeoutMs: 60_000, what: 'the destination write in the changed set' });

    const failed = await commitFails(h);
    assert.match(String(failed.errorDescription), /app\.items document _id \{"\$numberInt":"42"\} differs/);
    assert.ok(!/_id \{"\$numberInt":"(?!42")/.test(String(failed.errorDescription)), `only the changed document is named: ${failed.errorDescription}`);
  });

  test('a document the applier wrote, then changed on the destination by someone else, fails the commit', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 300 }]);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);

    await fixture.pair.admin.cluster0.db('app').collection<AnyDocument>('items').updateOne({ _id: 7 }, { $set: { name: 'from the source' } });
    const items = fixture.pair.admin.cluster1.db('app').collection<AnyDocument>('items');
    const changed = fixture.pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: { db: string; coll: string; id: unknown } }>('changed');
    // applied and recorded: the worker knows the changed set holds it, so the follower does not record it again
    await waitUntil(async () => (await items.countDocuments({ _id: 7, name: 'from the source' })) === 1 && (await changed.countDocuments({ _id: { db: 'app', coll: 'items', id: 7 } })) === 1, {
      timeoutMs: 60_000,
      what: 'the source write applied and recorded',
    });
    await items.updateOne({ _id: 7 }, { $set: { name: 'changed on the destination' } });

    const failed = await commitFails(h);
    assert.match(String(failed.errorDescription), /app\.items document _id \{"\$numberInt":"7"\} differs/);
  });

  test('a collection dropped on the destination after its ranges were compared fails the commit, naming its documents', async () => {
    await seed(fixture.pair.admin.cluster0, [
      { db: 'app', coll: 'items', documents: 100 },
      { db: 'app', coll: 'other', documents: 5 },
    ]);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);

    await fixture.pair.admin.cluster1.db('app').collection('other').drop();
    const failed = await commitFails(h);
    assert.match(String(failed.errorDescription), /5 documents that differ/);
    assert.match(String(failed.errorDescription), /app\.other document _id \{"\$numberInt":"\d"\} is missing on the destination/);
  });

  test('the applier’s own writes, which the destination stream shows too, cause no false report', async () => {
    await seed(fixture.pair.admin.cluster0, [
      { db: 'app', coll: 'items', documents: 400 },
      { db: 'app', coll: 'small', documents: 20 },
    ]);
    const h = await harness();
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);

    const writer = new ConcurrentWriter(fixture.pair.app.cluster0, 'app', ['items', 'small'], { firstId: 10_000, maxId: 420, seed: 23 }).start();
    // Writes go on until the follower has read some of the applier's writes on the destination.
    await waitUntil(async () => (await followerResults(h)).some((r) => r.documentEvents > 0), { timeoutMs: 60_000, what: 'the follower reading applied writes' });
    const stats = await writer.stop();
    assert.deepEqual(stats.errors, []);
    const read = (await followerResults(h)).reduce((sum, r) => sum + r.documentEvents, 0);
    console.log(`writer: ${JSON.stringify(stats)}; destination events the follower read: ${read}`);

    await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);
    await h.controller.commit();
    const committed = await waitForProgress(h.controller, (p) => p.state === 'COMMITTED' || p.state === 'FAILED', 120_000);
    assert.equal(committed.state, 'COMMITTED', JSON.stringify(committed));
    assert.deepEqual(mismatchWarnings(committed), []);
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });
});
