// Killing the worker process with SIGKILL during the copy and during change event application
// loses nothing and duplicates nothing: another worker takes over from the last checkpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SyncController } from '../../src/client/sync-controller';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { TEST_TUNING, waitForProgress } from '../support/sync-harness';
import { createTemporalTestEnv, uniqueTaskQueue } from '../support/temporal';
import { ConcurrentWriter, seed } from '../support/workload';
import { prebuiltBundleEnv } from '../support/workflow-bundle-cache';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
const workers: ChildProcess[] = [];

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

after(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await pair?.close();
  await env?.teardown();
});

const root = join(__dirname, '..', '..');

/** Starts `c2c-sync worker` as its own process, exactly as an operator adds a worker. */
async function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'c2c-sync.js'), 'worker', '--temporal-address', env.address, '--task-queue', taskQueue], {
    cwd: root,
    env: {
      ...process.env,
      C2C_SYNC_FROM_SOURCE: '1',
      C2C_CLUSTER0: pair.uris.cluster0,
      C2C_CLUSTER1: pair.uris.cluster1,
      ...(await prebuiltBundleEnv()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.on('exit', (code, signal) => {
    if (code !== null && code !== 0) console.error(`worker exited with ${code}: ${output}`);
    void signal;
  });
  workers.push(child);
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('SIGKILL of the worker during the copy and during event application loses and duplicates nothing', async () => {
  await seed(pair.admin.cluster0, [
    { db: 'crash', coll: 'big', documents: 6000, indexes: [{ key: { oid: 1 }, name: 'oid_1', unique: true, sparse: true }] },
    { db: 'crash', coll: 'small', documents: 500 },
  ]);
  const taskQueue = uniqueTaskQueue('crash');
  const controller = new SyncController({
    client: env.client,
    syncId: taskQueue,
    taskQueue,
    tuning: { ...TEST_TUNING, copyConcurrency: 2, copyChunkMaxMs: 2000, copyBatchSize: 100, heartbeatTimeoutMs: 3000 },
  });
  let worker = await startWorkerProcess(taskQueue);
  await controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: 'destinationOnly' });
  const writer = new ConcurrentWriter(pair.app.cluster0, 'crash', ['big', 'small'], { firstId: 100_000, maxId: 6000, seed: 3 }).start();

  await waitForProgress(controller, (p) => Number((p.collectionCopy as { estimatedCopiedBytes?: number } | null)?.estimatedCopiedBytes) > 0, 120_000);
  const beforeKill = await controller.state();
  assert.equal(beforeKill!.copy.done, false, 'the first kill lands during the copy');
  await kill(worker);
  worker = await startWorkerProcess(taskQueue);

  await waitForProgress(controller, (p) => p.info === 'change event application', 180_000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await kill(worker);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  worker = await startWorkerProcess(taskQueue);

  const stats = await writer.stop();
  assert.deepEqual(stats.errors, []);
  await waitForProgress(controller, (p) => p.canCommit === true, 120_000);
  await controller.commit();
  await waitForProgress(controller, (p) => p.state === 'COMMITTED', 120_000);
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  const state = await controller.state();
  assert.ok(state!.copy.copiedDocuments >= 6500, `copied ${state!.copy.copiedDocuments} documents`);
  await env.client.workflow.getHandle(controller.workflowId).terminate('test finished');
  await kill(worker);
});
