// Change event application iterations on a real worker and simulated clusters: after the change
// stream is resumed (pause then resume) application goes on in full batches, not one event per
// iteration; a commit ends the running iteration early, and that iteration still returns its
// result, so every event is applied once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareClusters } from '../support/compare-clusters';
import { pollUntil } from '../support/poll';
import { type SyncHarness, useSyncFixture, waitForProgress } from '../support/sync-harness';
import { seed } from '../support/workload';

const fixture = useSyncFixture();

interface ApplyResult {
  eventsApplied: number;
  reachedStopAt: boolean;
  /** a cancellation was requested before the activity completed */
  cancelRequested: boolean;
}

/** The results of every applyChangeEvents activity of the sync, in order. */
async function applyResults(h: SyncHarness): Promise<ApplyResult[]> {
  const history = await fixture.env.client.workflow.getHandle(h.controller.workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const cancelRequested = new Set<string>();
  const results: ApplyResult[] = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '');
    const r = event.activityTaskCancelRequestedEventAttributes;
    if (r) cancelRequested.add(String(r.scheduledEventId));
    const c = event.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === 'applyChangeEvents') {
      const payload = c.result?.payloads?.[0]?.data;
      const result = JSON.parse(Buffer.from(payload!).toString('utf8')) as Omit<ApplyResult, 'cancelRequested'>;
      results.push({ ...result, cancelRequested: cancelRequested.has(String(c.scheduledEventId)) });
    }
  }
  return results;
}

describe('change event application after a resumed stream', () => {
  test('pause, many writes, resume: the backlog is applied in full batches, each event once', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 20 }]);
    const batchEvents = 200;
    // Iterations shorter than opening a stream on the backlog takes on a busy machine.
    const h = await fixture.harness({ tuning: { applyBatchEvents: batchEvents, applyIterationMs: 300 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    await h.controller.pause();
    // the iteration running at the pause ends, and none starts
    const state = await pollUntil(
      async () => {
        const s = await h.controller.state();
        return s && (await applyResults(h)).length === s.apply.iterations ? s : undefined;
      },
      { what: 'the running iteration to end' },
    );
    const before = state.apply.iterations;

    const items = fixture.pair.app.cluster0.db('app').collection<{ _id: number; n: number }>('items');
    const writes = 2_000;
    await items.insertMany(Array.from({ length: writes }, (_, i) => ({ _id: 1_000 + i, n: i })));
    await h.controller.resume();
    const resumed = await pollUntil(
      async () => {
        const results = (await applyResults(h)).slice(before);
        return results.reduce((sum, r) => sum + r.eventsApplied, 0) >= writes ? results : undefined;
      },
      { what: `the ${writes} events to be applied`, timeoutMs: 120_000 },
    );
    const counts = resumed.map((r) => r.eventsApplied).filter((n) => n > 0);
    assert.equal(
      counts.reduce((sum, n) => sum + n, 0),
      writes,
      `each event applied once: ${counts.join(',')}`,
    );
    // Each iteration reads at least one batch; the server has a full one ready until the last.
    assert.ok(
      counts.slice(0, -1).every((n) => n >= batchEvents),
      `every iteration before the last applied a full batch of ${batchEvents} or more: ${counts.join(',')}`,
    );
    assert.equal(await fixture.pair.admin.cluster1.db('app').collection('items').countDocuments(), 20 + writes);
    await h.controller.commit();
    await waitForProgress(h.controller, (p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });

  test('a commit ends the running iteration early with its result: every event applied once', async () => {
    await seed(fixture.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 20 }]);
    // Iterations much longer than the writes and the commit request below take.
    const h = await fixture.harness({ tuning: { applyIterationMs: 30_000 } });
    await h.controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: true, verification: { enabled: false } });
    // canCommit once the first iteration has drained the copy's events
    await waitForProgress(h.controller, (p) => p.canCommit === true);
    const before = (await applyResults(h)).length;
    const items = fixture.pair.app.cluster0.db('app').collection<{ _id: number; n: number }>('items');
    const writes = 300;
    for (let i = 0; i < writes; i += 50) {
      await items.insertMany(Array.from({ length: 50 }, (_, k) => ({ _id: 1_000 + i + k, n: i + k })));
    }
    const destination = fixture.pair.admin.cluster1.db('app').collection('items');
    await pollUntil(async () => ((await destination.countDocuments()) === 20 + writes ? true : undefined), { what: 'the writes to be applied' });

    await h.controller.commit();
    await waitForProgress(h.controller, (p) => p.state === 'COMMITTED' && p.canWrite === true, 120_000);
    const results = (await applyResults(h)).slice(before);
    const ended = results[0]!;
    assert.equal(ended.cancelRequested, true, 'the commit asked the running iteration to end');
    assert.equal(ended.reachedStopAt, false);
    assert.equal(ended.eventsApplied, writes, 'the ended iteration reports every event it applied');
    assert.equal(
      results.reduce((sum, r) => sum + r.eventsApplied, 0),
      writes,
      `each event applied once: ${results.map((r) => r.eventsApplied).join(',')}`,
    );
    assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  });
});
