// The engine as users run it, with an application that renames collections with validators
// while the copy runs (with and without dropTarget) and again during change event application,
// and a kill -9 of the worker right after, so that events are replayed onto a destination that
// already holds their result. The sync must keep applying, commit, and end with clusters equal:
// documents, options and every index with its exact options (pairs of indexes on one key
// pattern, one of each unique, included).
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
import { type AnyDocument, sampleDocument, SeededRandom, seed } from '../support/workload';
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

async function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'c2c-sync.js'), 'worker', '--temporal-address', env.address, '--task-queue', taskQueue], {
    cwd: root,
    env: { ...process.env, C2C_SYNC_FROM_SOURCE: '1', C2C_CLUSTER0: pair.uris.cluster0, C2C_CLUSTER1: pair.uris.cluster1, ...(await prebuiltBundleEnv()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(`worker exited with ${code}: ${output}`);
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

const VALIDATOR = { validator: { seq: { $exists: true } } };

test('renames with validators during the copy and during event application, with a kill -9 between, converge with exact indexes', async () => {
  const random = new SeededRandom(11);
  await seed(pair.admin.cluster0, [
    { db: 'bulk', coll: 'big', documents: 5000 },
    {
      db: 'app',
      coll: 'orders',
      documents: 300,
      options: VALIDATOR,
      indexes: [
        { key: { name: 1 }, name: 'name_en_unique', unique: true, collation: { locale: 'en', strength: 2 } },
        { key: { name: 1 }, name: 'name_fr', collation: { locale: 'fr' } },
        { key: { seq: 1 }, name: 'seq_big_unique', unique: true, partialFilterExpression: { seq: { $gt: 100 } } },
        { key: { seq: 1 }, name: 'seq_small', partialFilterExpression: { seq: { $lt: 50 } } },
      ],
    },
    { db: 'app', coll: 'target', documents: 200, options: VALIDATOR },
  ]);
  const taskQueue = uniqueTaskQueue('ddl-replay');
  const controller = new SyncController({
    client: env.client,
    syncId: taskQueue,
    taskQueue,
    tuning: { ...TEST_TUNING, copyConcurrency: 1, copyChunkMaxMs: 1000, copyBatchSize: 100, heartbeatTimeoutMs: 3000 },
  });
  let worker = await startWorkerProcess(taskQueue);
  await controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: 'destinationOnly' });
  const app = pair.admin.cluster0.db('app');

  await waitForProgress(controller, (p) => Number((p.collectionCopy as { estimatedCopiedBytes?: number } | null)?.estimatedCopiedBytes) > 0, 120_000);
  assert.equal((await controller.state())!.copy.done, false, 'the renames land during the copy');
  // With dropTarget: a validated collection replaces `target` (as $out does).
  await app.createCollection('staged', VALIDATOR);
  await app.collection<AnyDocument>('staged').insertMany(Array.from({ length: 50 }, (_, n) => sampleDocument(random, 1000 + n)));
  await app.collection('staged').rename('target', { dropTarget: true });
  // Without dropTarget: a pre-existing validated collection with its indexes, and a fresh one.
  await app.collection('orders').rename('orders_v2');
  await app.createCollection('fresh', VALIDATOR);
  await app.collection<AnyDocument>('fresh').insertOne(sampleDocument(random, 1));
  await app.collection('fresh').rename('fresh_renamed');

  await waitForProgress(controller, (p) => p.info === 'change event application', 180_000);
  await app.collection('orders_v2').rename('orders_v3');
  await app.collection<AnyDocument>('orders_v3').updateMany({ _id: { $lt: 20 } }, { $set: { touched: true } });
  await app.createCollection('staged', VALIDATOR);
  await app.collection<AnyDocument>('staged').insertOne(sampleDocument(random, 2));
  await app.collection('staged').rename('fresh_renamed', { dropTarget: true });
  await kill(worker);
  worker = await startWorkerProcess(taskQueue);

  await waitForProgress(controller, (p) => p.canCommit === true, 300_000);
  await controller.commit();
  await waitForProgress(controller, (p) => p.state === 'COMMITTED', 300_000);
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  await env.client.workflow.getHandle(controller.workflowId).terminate('test finished');
  await kill(worker);
});
