// The worker's warm-up (src/temporal/warm-up.ts): a short run on the worker's task queue that
// opens the connections to both clusters, and never fails, even when a cluster is unreachable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClusterClients } from '../../src/mongo/cluster-clients';
import { warmUpWorker, warmUpWorkflowId } from '../../src/temporal/warm-up';
import { startWorker, useSyncFixture } from '../support/sync-harness';
import { uniqueTaskQueue } from '../support/temporal';

describe('worker warm-up', () => {
  const fixture = useSyncFixture();

  test('runs on the worker, opens pooled connections to both clusters, and leaves no sync behind', async () => {
    const h = await fixture.harness();
    const outcome = await warmUpWorker({ connection: fixture.env.nativeConnection, namespace: 'default', taskQueue: h.taskQueue });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.ok(outcome.ok && 'ms' in outcome.clusters.cluster0 && 'ms' in outcome.clusters.cluster1, JSON.stringify(outcome));
    const description = await fixture.env.client.workflow.getHandle(warmUpWorkflowId(h.taskQueue)).describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal((await h.controller.progress()).state, 'IDLE', 'no sync was started');
  });

  test('reports a cluster it cannot reach instead of failing', async () => {
    const taskQueue = uniqueTaskQueue('warm-up');
    // cluster1 points at a port nothing listens on
    const clusters = createClusterClients({ cluster0: fixture.pair.uris.cluster0, cluster1: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500' });
    const worker = await startWorker(fixture.env, clusters, taskQueue);
    const running = worker.run();
    try {
      const outcome = await warmUpWorker({ connection: fixture.env.nativeConnection, namespace: 'default', taskQueue });
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      assert.ok(outcome.ok && 'ms' in outcome.clusters.cluster0, JSON.stringify(outcome));
      assert.ok(outcome.ok && 'error' in outcome.clusters.cluster1, JSON.stringify(outcome));
    } finally {
      worker.shutdown();
      await running;
      await clusters.close();
    }
  });
});
