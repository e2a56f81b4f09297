// The walking skeleton on a real Temporal dev server: worker, workflow, activity, query, update,
// signal and search attributes, driven from a client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { createSyncWorker } from '../../src/worker';
import { pauseSignal, pauseUpdate, progressQuery, resumeUpdate, workflowIdFor } from '../../src/workflows/messages';
import { SyncStateAttribute } from '../../src/workflows/search-attributes';
import { createTemporalTestEnv, uniqueTaskQueue, workflowBundle } from '../support/temporal';

let env: TestWorkflowEnvironment;

before(async () => {
  env = await createTemporalTestEnv();
});

after(async () => {
  await env?.teardown();
});

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a worker runs the sync workflow; its activity, query, updates and signals work on the dev server', async () => {
  const taskQueue = uniqueTaskQueue('skeleton');
  const worker = await createSyncWorker({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    deps: { clusterLabels: ['cluster0', 'cluster1'] },
  });
  await worker.runUntil(async () => {
    const syncId = taskQueue;
    const handle = await env.client.workflow.start('syncWorkflow', {
      taskQueue,
      workflowId: workflowIdFor(syncId),
      args: [{ syncId }],
    });

    const progress = await waitFor(
      () => handle.query(progressQuery),
      (p) => p.clusters !== null,
    );
    assert.deepEqual(progress, { state: 'RUNNING', syncId, clusters: ['cluster0', 'cluster1'] });

    await handle.executeUpdate(resumeUpdate).then(
      () => assert.fail('resume while RUNNING must be rejected'),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowUpdateFailedError);
        assert.match(String((error.cause as Error).message), /cannot resume in state RUNNING/);
      },
    );

    await handle.executeUpdate(pauseUpdate);
    assert.equal((await handle.query(progressQuery)).state, 'PAUSED');
    await handle.executeUpdate(resumeUpdate);
    assert.equal((await handle.query(progressQuery)).state, 'RUNNING');

    await handle.signal(pauseSignal);
    await waitFor(
      () => handle.query(progressQuery),
      (p) => p.state === 'PAUSED',
    );
    assert.equal((await handle.query(progressQuery)).state, 'PAUSED');

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(SyncStateAttribute), 'PAUSED');
    await handle.terminate('test done');
  });
});
