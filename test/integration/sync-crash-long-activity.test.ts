// SIGKILL of the worker in the middle of a long activity of a real sync: buildIndexes, while
// the destination takes longer over each index build than the heartbeat timeout. The activity
// heartbeats while each build runs (without that, every attempt would time out and start over,
// forever), the worker is killed once it has recorded finished collections, the next worker's
// attempt takes over from them, and the sync converges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncController } from '../../src/client/sync-controller';
import { compareClusters } from '../support/compare-clusters';
import { pollUntil } from '../support/poll';
import { TEST_TUNING, waitForProgress } from '../support/sync-harness';
import { uniqueTaskQueue } from '../support/temporal';
import { killWorker, useWorkerProcesses } from '../support/worker-process';
import { seed } from '../support/workload';

const fixture = useWorkerProcesses();

const COLLECTIONS = ['c1', 'c2', 'c3', 'c4', 'c5'];
const HEARTBEAT_TIMEOUT_MS = 2000;
const BUILD_MS = 2500;

interface PendingActivity {
  type: string;
  attempt: number;
  details: unknown;
}

async function pendingActivities(workflowId: string): Promise<PendingActivity[]> {
  const description = await fixture.env.client.workflow.getHandle(workflowId).describe();
  return (description.raw.pendingActivities ?? []).map((activity) => {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    return {
      type: activity.activityType?.name ?? '',
      attempt: activity.attempt ?? 0,
      // undefined details arrive as an empty binary/null payload
      details: payload?.data && payload.data.length > 0 ? JSON.parse(Buffer.from(payload.data).toString()) : undefined,
    };
  });
}

test('SIGKILL of the worker during buildIndexes: the next attempt resumes after the collections done and the sync converges', async () => {
  await seed(
    fixture.pair.admin.cluster0,
    COLLECTIONS.map((coll) => ({ db: 'slow', coll, documents: 50, indexes: [{ key: { oid: 1 }, name: 'oid_1' }] })),
  );
  // Every index build on the destination takes longer than the heartbeat timeout.
  await fixture.pair.admin.cluster1.db('admin').command({
    configureFailPoint: 'failCommand',
    mode: 'alwaysOn',
    data: { failCommands: ['createIndexes'], blockConnection: true, blockTimeMS: BUILD_MS },
  });
  const taskQueue = uniqueTaskQueue('crash-long');
  const controller = new SyncController({ client: fixture.env.client, syncId: taskQueue, taskQueue, tuning: { ...TEST_TUNING, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, indexBuildConcurrency: 1 } });
  let worker = await fixture.worker(taskQueue);
  await controller.start({ source: 'cluster0', destination: 'cluster1' });

  // Killed once the activity has heartbeated two finished collections.
  await pollUntil(
    async () => {
      const building = (await pendingActivities(controller.workflowId)).find((activity) => activity.type === 'buildIndexes');
      const details = building?.details as { after?: { coll: string }; progress?: { collectionsFinished: number } } | undefined;
      return details?.after && (details.progress?.collectionsFinished ?? 0) >= 2 ? details : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 200, what: 'buildIndexes to heartbeat two finished collections' },
  );
  await killWorker(worker);
  worker = await fixture.worker(taskQueue);
  // The server retries the attempt once its heartbeat timeout passed; the retry starts from the
  // recorded details (activity-level tests show what it skips: index-heartbeats.test.ts).
  await pollUntil(
    async () => {
      const building = (await pendingActivities(controller.workflowId)).find((activity) => activity.type === 'buildIndexes');
      return building && building.attempt >= 2 ? building : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'a retried buildIndexes attempt' },
  );

  await waitForProgress(controller, (p) => p.canCommit === true, 180_000);
  await fixture.pair.admin.cluster1.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  await controller.commit();
  await waitForProgress(controller, (p) => p.state === 'COMMITTED', 120_000);
  assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);

  await fixture.env.client.workflow.getHandle(controller.workflowId).terminate('test finished');
});
