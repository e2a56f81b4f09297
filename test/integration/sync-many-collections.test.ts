// A source of many tiny collections (a multi-tenant source): every collection and every document
// arrives, and the test prints how many collections a second the sync reached canCommit at.
// The rate is printed, not asserted: this machine is shared, so a timed assertion would flake.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { startSyncHarness, waitForProgress } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';

const COLLECTIONS = Number(process.env.MANY_COLLECTIONS ?? 2000);
const DOCUMENTS = 3;
const DATABASES = 4;

let env: TestWorkflowEnvironment;
let pair: ClusterPair;

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

after(async () => {
  await pair?.close();
  await env?.teardown();
});

/** Per activity type, over every run of the workflow: how many ran and their wall time. */
async function activitySummary(env: TestWorkflowEnvironment, workflowId: string): Promise<string> {
  const totals = new Map<string, { count: number; ms: number }>();
  let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  const runs: string[] = [];
  // walk back through continue-as-new to the first run
  while (runId) {
    runs.push(runId);
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const previous: string | null | undefined = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = previous || undefined;
    const scheduled = new Map<string, { name: string; at: number }>();
    for (const event of history.events ?? []) {
      const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor(Number(event.eventTime?.nanos ?? 0) / 1e6);
      const s = event.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(event.eventId), { name: s.activityType?.name ?? '?', at });
      const done = event.activityTaskCompletedEventAttributes;
      if (done) {
        const from = scheduled.get(String(done.scheduledEventId));
        if (!from) continue;
        const total = totals.get(from.name) ?? { count: 0, ms: 0 };
        total.count += 1;
        total.ms += at - from.at;
        totals.set(from.name, total);
      }
    }
  }
  const parts = [...totals].map(([name, { count, ms }]) => `${name} ${count}x ${(ms / 1000).toFixed(1)} s`);
  return `${runs.length} runs; ${parts.join(', ')}`;
}

const dbOf = (n: number): string => `tenants${n % DATABASES}`;
const collOf = (n: number): string => `t${String(n).padStart(6, '0')}`;

test(`${COLLECTIONS} collections of ${DOCUMENTS} documents each all arrive`, async () => {
  const source = pair.admin.cluster0;
  for (let n = 0; n < COLLECTIONS; n++) {
    const docs = Array.from({ length: DOCUMENTS }, (_, i) => ({ _id: i, tenant: n, name: `doc ${i} of ${collOf(n)}` }));
    await source.db(dbOf(n)).collection<{ _id: number; tenant: number; name: string }>(collOf(n)).insertMany(docs);
  }
  const harness = await startSyncHarness(env, pair, { tuning: { copyConcurrency: 4 } });
  try {
    const startedAt = Date.now();
    await harness.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(harness.controller, (p) => p.canCommit === true, 30 * 60_000);
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(
      `[many collections] ${COLLECTIONS} collections x ${DOCUMENTS} documents: /start to canCommit in ${seconds.toFixed(1)} s, ` +
        `${(COLLECTIONS / seconds).toFixed(1)} collections/s`,
    );

    console.log(`[many collections] activities: ${await activitySummary(env, harness.controller.workflowId)}`);

    const destination = pair.admin.cluster1;
    let collections = 0;
    for (let d = 0; d < DATABASES; d++) {
      const db = `tenants${d}`;
      const names = new Set((await destination.db(db).listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name));
      for (let n = d; n < COLLECTIONS; n += DATABASES) {
        assert.ok(names.has(collOf(n)), `${db}.${collOf(n)} exists on the destination`);
        const docs = await destination.db(db).collection(collOf(n)).find({}, { sort: { _id: 1 } }).toArray();
        assert.deepEqual(
          docs,
          Array.from({ length: DOCUMENTS }, (_, i) => ({ _id: i, tenant: n, name: `doc ${i} of ${collOf(n)}` })),
          `${db}.${collOf(n)} holds every document once`,
        );
        collections++;
      }
      assert.equal(names.size, Math.ceil((COLLECTIONS - d) / DATABASES), `${db} holds no other collection`);
    }
    assert.equal(collections, COLLECTIONS);
    const state = (await harness.controller.state())!;
    assert.equal(state.copy.copiedDocuments, COLLECTIONS * DOCUMENTS, 'every document copied once');
  } finally {
    await harness.close();
  }
});
