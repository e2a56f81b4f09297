// A source of many tiny collections (a multi-tenant source): every collection and every document
// arrives, and the test prints how many collections a second the sync reached canCommit at, and
// the time each activity type took. The rate is printed, not asserted: this machine is shared,
// so a timed assertion would flake. As in production, the worker runs in a process of its own,
// not in the one that hosts the simulated clusters (MANY_COLLECTIONS_INLINE_WORKER=1 runs it
// in this process).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { DEFAULT_TUNING } from '../../src/sync/state';
import { SyncController } from '../../src/client/sync-controller';
import { activitySummary } from '../support/activity-summary';
import { pollUntil } from '../support/poll';
import { startSyncHarness, TEST_TUNING, waitForProgress } from '../support/sync-harness';
import { createTemporalTestEnv, uniqueTaskQueue } from '../support/temporal';
import { startWorkerProcess } from '../support/worker-process';

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

/** A sync whose worker runs in its own process (or in this one when asked). */
async function startSync(): Promise<{ controller: SyncController; close(): Promise<void> }> {
  // production tuning for the copy (the test tuning slices work into 300 ms pieces)
  const tuning = {
    ...TEST_TUNING,
    copyConcurrency: DEFAULT_TUNING.copyConcurrency,
    copyChunkMaxMs: DEFAULT_TUNING.copyChunkMaxMs,
    copyBatchSize: DEFAULT_TUNING.copyBatchSize,
  };
  if (process.env.MANY_COLLECTIONS_INLINE_WORKER === '1') {
    const harness = await startSyncHarness(env, pair, { tuning });
    return { controller: harness.controller, close: () => harness.close() };
  }
  const taskQueue = uniqueTaskQueue('many');
  const worker = await startWorkerProcess(env.address, taskQueue, pair.uris);
  // The clock starts at /start: wait until the worker (which bundles the workflow code first) polls.
  await pollUntil(
    async () => {
      const { pollers } = await env.client.workflowService.describeTaskQueue({
        namespace: env.namespace ?? 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
      });
      return pollers && pollers.length > 0 ? true : undefined;
    },
    { what: 'the worker process polling', timeoutMs: 180_000 },
  );
  const controller = new SyncController({ client: env.client, syncId: taskQueue, taskQueue, tuning });
  return {
    controller,
    async close() {
      await env.client.workflow
        .getHandle(controller.workflowId)
        .terminate('test finished')
        .catch(() => undefined);
      await new Promise<void>((resolve) => {
        if (worker.exitCode !== null) return resolve();
        worker.once('exit', () => resolve());
        worker.kill('SIGKILL');
      });
    },
  };
}

/** Collections seeded (and read back) at once: their round trips overlap instead of adding up. */
const PARALLEL_ROUND_TRIPS = 16;

/** Runs `task(0)` … `task(count - 1)`, at most `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, task: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

const dbOf = (n: number): string => `tenants${n % DATABASES}`;
const collOf = (n: number): string => `t${String(n).padStart(6, '0')}`;

test(`${COLLECTIONS} collections of ${DOCUMENTS} documents each all arrive`, async () => {
  const source = pair.admin.cluster0;
  // The worker process loads while the source is seeded (the rate's clock starts at /start).
  const seeded = inParallel(COLLECTIONS, PARALLEL_ROUND_TRIPS, async (n) => {
    const docs = Array.from({ length: DOCUMENTS }, (_, i) => ({ _id: i, tenant: n, name: `doc ${i} of ${collOf(n)}` }));
    await source.db(dbOf(n)).collection<{ _id: number; tenant: number; name: string }>(collOf(n)).insertMany(docs);
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  const harness = await startSync();
  try {
    const seedFailure = await seeded;
    if (seedFailure) throw seedFailure;
    const startedAt = Date.now();
    await harness.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(harness.controller, (p) => p.canCommit === true, 30 * 60_000);
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(
      `[many collections] ${COLLECTIONS} collections x ${DOCUMENTS} documents: /start to canCommit in ${seconds.toFixed(1)} s, ` +
        `${(COLLECTIONS / seconds).toFixed(1)} collections/s`,
    );

    console.log(`[many collections] activities: ${await activitySummary(env.client, harness.controller.workflowId)}`);

    const destination = pair.admin.cluster1;
    let collections = 0;
    for (let d = 0; d < DATABASES; d++) {
      const db = `tenants${d}`;
      const names = new Set((await destination.db(db).listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name));
      await inParallel(Math.ceil((COLLECTIONS - d) / DATABASES), PARALLEL_ROUND_TRIPS, async (k) => {
        const n = d + k * DATABASES;
        assert.ok(names.has(collOf(n)), `${db}.${collOf(n)} exists on the destination`);
        const docs = await destination.db(db).collection(collOf(n)).find({}, { sort: { _id: 1 } }).toArray();
        assert.deepEqual(
          docs,
          Array.from({ length: DOCUMENTS }, (_, i) => ({ _id: i, tenant: n, name: `doc ${i} of ${collOf(n)}` })),
          `${db}.${collOf(n)} holds every document once`,
        );
        collections++;
      });
      assert.equal(names.size, Math.ceil((COLLECTIONS - d) / DATABASES), `${db} holds no other collection`);
    }
    assert.equal(collections, COLLECTIONS);
    const state = (await harness.controller.state())!;
    assert.equal(state.copy.copiedDocuments, COLLECTIONS * DOCUMENTS, 'every document copied once');
  } finally {
    await harness.close();
  }
});
