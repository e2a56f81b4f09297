// After the change stream is resumed (pause then resume, or a worker restart), change event
// application must go on in full batches: many events per applyChangeEvents iteration, not one.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { pollUntil } from '../support/poll';
import { startSyncHarness, waitForProgress, type SyncHarness } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';
import { seed } from '../support/workload';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
const harnesses: SyncHarness[] = [];

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

after(async () => {
  for (const harness of harnesses) await harness.close();
  await pair?.close();
  await env?.teardown();
});

beforeEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
  await pair.reset();
});

interface ApplyResult {
  eventsApplied: number;
}

/** The results of every applyChangeEvents activity of the sync, in order. */
async function applyResults(h: SyncHarness): Promise<ApplyResult[]> {
  const history = await env.client.workflow.getHandle(h.controller.workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const results: ApplyResult[] = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '');
    const c = event.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === 'applyChangeEvents') {
      const payload = c.result?.payloads?.[0]?.data;
      results.push(JSON.parse(Buffer.from(payload!).toString('utf8')) as ApplyResult);
    }
  }
  return results;
}

describe('change event application after a resumed stream', () => {
  test('pause, many writes, resume: the backlog is applied in full batches, each event once', async () => {
    await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 20 }]);
    const batchEvents = 200;
    // Iterations shorter than opening a stream on the backlog takes on a busy machine.
    const h = await startSyncHarness(env, pair, { tuning: { applyBatchEvents: batchEvents, applyIterationMs: 300 } });
    harnesses.push(h);
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

    const items = pair.app.cluster0.db('app').collection<{ _id: number; n: number }>('items');
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
    assert.equal(await pair.admin.cluster1.db('app').collection('items').countDocuments(), 20 + writes);
    await h.controller.commit();
    await waitForProgress(h.controller, (p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  });
});
