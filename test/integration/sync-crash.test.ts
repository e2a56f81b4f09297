// Killing the worker process with SIGKILL during the copy and during change event application
// loses nothing and duplicates nothing: another worker takes over from the last checkpoints. The
// history, recorded across the restarts, then replays (a worker that took over once recorded
// commands a replay did not issue: src/workflows/completion-order.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { SyncController } from '../../src/client/sync-controller';
import { compareClusters } from '../support/compare-clusters';
import { TEST_TUNING, waitForProgress } from '../support/sync-harness';
import { uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { killWorker, useWorkerProcesses } from '../support/worker-process';
import { ConcurrentWriter, seed } from '../support/workload';

const fixture = useWorkerProcesses();

test('SIGKILL of the worker during the copy and during event application loses and duplicates nothing', async () => {
  await seed(fixture.pair.admin.cluster0, [
    { db: 'crash', coll: 'big', documents: 6000, indexes: [{ key: { oid: 1 }, name: 'oid_1', unique: true, sparse: true }] },
    { db: 'crash', coll: 'small', documents: 500 },
  ]);
  const taskQueue = uniqueTaskQueue('crash');
  const controller = new SyncController({
    client: fixture.env.client,
    syncId: taskQueue,
    taskQueue,
    tuning: { ...TEST_TUNING, copyConcurrency: 2, copyChunkMaxMs: 2000, copyBatchSize: 100, heartbeatTimeoutMs: 3000 },
  });
  let worker = await fixture.worker(taskQueue);
  await controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: 'destinationOnly' });
  const writer = new ConcurrentWriter(fixture.pair.app.cluster0, 'crash', ['big', 'small'], { firstId: 100_000, maxId: 6000, seed: 3 }).start();

  await waitForProgress(controller, (p) => Number((p.collectionCopy as { estimatedCopiedBytes?: number } | null)?.estimatedCopiedBytes) > 0, 120_000);
  const beforeKill = await controller.state();
  assert.equal(beforeKill!.copy.done, false, 'the first kill lands during the copy');
  await killWorker(worker);
  worker = await fixture.worker(taskQueue);

  await waitForProgress(controller, (p) => p.info === 'change event application', 180_000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await killWorker(worker);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  worker = await fixture.worker(taskQueue);

  const stats = await writer.stop();
  assert.deepEqual(stats.errors, []);
  await waitForProgress(controller, (p) => p.canCommit === true, 120_000);
  await controller.commit();
  await waitForProgress(controller, (p) => p.state === 'COMMITTED', 120_000);
  assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  const state = await controller.state();
  assert.ok(state!.copy.copiedDocuments >= 6500, `copied ${state!.copy.copiedDocuments} documents`);
  const handle = fixture.env.client.workflow.getHandle(controller.workflowId);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), controller.workflowId);
  await handle.terminate('test finished');
  await killWorker(worker);
});
