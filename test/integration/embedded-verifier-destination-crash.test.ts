// A difference made on the destination while c2c-sync is down: the worker process is killed
// (SIGKILL) during change event application, after the verifier's first pass; a document the
// applier never writes is changed on the destination while no worker runs; a new worker resumes
// the follower of the destination's change stream from its position in the verifier's store,
// reads that write, and the commit fails with VerificationFailed naming the document.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SyncController } from '../../src/client/sync-controller';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { pollUntil, waitUntil } from '../support/poll';
import { TEST_TUNING, waitForProgress } from '../support/sync-harness';
import { createTemporalTestEnv, uniqueTaskQueue } from '../support/temporal';
import { killWorker, startWorkerProcess } from '../support/worker-process';
import { type AnyDocument, seed } from '../support/workload';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
const workers: ChildProcess[] = [];

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

after(async () => {
  for (const worker of workers) await killWorker(worker);
  await pair?.close();
  await env?.teardown();
});

async function worker(taskQueue: string): Promise<ChildProcess> {
  const child = await startWorkerProcess(env.address, taskQueue, pair.uris);
  workers.push(child);
  return child;
}

test('a difference made on the destination while every worker is down is found after restart and fails the commit', async () => {
  await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 500 }]);
  const taskQueue = uniqueTaskQueue('verify-dest-crash');
  const controller = new SyncController({
    client: env.client,
    syncId: taskQueue,
    taskQueue,
    tuning: { ...TEST_TUNING, verifyChunkMaxMs: 2000, heartbeatTimeoutMs: 3000 },
  });
  const first = await worker(taskQueue);
  await controller.start({ source: 'cluster0', destination: 'cluster1' });
  await waitForProgress(controller, (p) => p.canCommit === true, 120_000);

  // The follower has a durable position: it ran before the kill.
  const positions = pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: string; resumeToken: { _data: string } | null }>('streamPosition');
  const before = await pollUntil(async () => (await positions.findOne({ _id: 'destinationEvents' }))?.resumeToken ?? undefined, {
    what: 'a follower position in the verifier store',
    timeoutMs: 60_000,
  });
  await killWorker(first);

  // No worker runs: the destination is changed behind the sync's back.
  await pair.admin.cluster1.db('app').collection<AnyDocument>('items').updateOne({ _id: 77 }, { $set: { name: 'changed while c2c-sync was down' } });
  const changed = pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: { db: string; coll: string; id: unknown } }>('changed');
  assert.equal(await changed.countDocuments({ _id: { db: 'app', coll: 'items', id: 77 } }), 0, 'nothing recorded it while no worker ran');

  await worker(taskQueue);
  // The new worker's follower resumes from the stored position and reads the write made meanwhile.
  await waitUntil(async () => (await changed.countDocuments({ _id: { db: 'app', coll: 'items', id: 77 } })) === 1, {
    timeoutMs: 120_000,
    what: 'the write made while no worker ran, in the changed set',
  });
  const after = await positions.findOne({ _id: 'destinationEvents' });
  assert.notEqual(after?.resumeToken?._data, before._data, 'the follower moved on from its stored position');

  await waitForProgress(controller, (p) => p.canCommit === true, 120_000);
  await controller.commit();
  const ended = await waitForProgress(controller, (p) => p.state === 'FAILED' || p.state === 'COMMITTED', 120_000);
  assert.equal(ended.state, 'FAILED', JSON.stringify(ended));
  assert.equal(ended.error, 'VerificationFailed');
  assert.match(String(ended.errorDescription), /app\.items document _id \{"\$numberInt":"77"\} differs/);
  await env.client.workflow.getHandle(controller.workflowId).terminate('test finished').catch(() => undefined);
});
