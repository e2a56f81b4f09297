// Temporal Schedules drive syncs: one starts a sync from mongosync's /start body, another
// sends commands (pause, resume, commit) to a running sync through syncCommandWorkflow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SyncController } from '../../src/client/sync-controller';
import { progressQuery } from '../../src/workflows/messages';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { pollUntil } from '../support/poll';
import { startSyncHarness, TEST_TUNING, waitForProgress, type SyncHarness } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';
import { seed } from '../support/workload';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
let harness: SyncHarness;

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
  harness = await startSyncHarness(env, pair);
});

after(async () => {
  await harness?.close();
  await pair?.close();
  await env?.teardown();
});

const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> =>
  pollUntil(probe, { timeoutMs, intervalMs: 250, ignoreErrors: true });

test('a schedule sends pause, resume and commit to a running sync', async () => {
  await seed(pair.admin.cluster0, [{ db: 'sched', coll: 'docs', documents: 100 }]);
  await harness.controller.start({ source: 'cluster0', destination: 'cluster1' });
  await waitForProgress(harness.controller, (p) => p.canCommit === true);

  const command = async (name: string): Promise<void> => {
    const schedule = await env.client.schedule.create({
      scheduleId: `${harness.syncId}-${name}`,
      spec: { calendars: [{ year: 2099 }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'syncCommandWorkflow',
        taskQueue: harness.taskQueue,
        args: [{ syncId: harness.syncId, command: name }],
      },
    });
    await schedule.trigger();
    await eventually(async () => ((await schedule.describe()).info.recentActions.length > 0 ? true : undefined));
    await schedule.delete();
  };
  await command('pause');
  await waitForProgress(harness.controller, (p) => p.state === 'PAUSED');
  await command('resume');
  await waitForProgress(harness.controller, (p) => p.canCommit === true);
  await command('commit');
  await waitForProgress(harness.controller, (p) => p.state === 'COMMITTED');
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  await env.client.workflow.getHandle(harness.controller.workflowId).terminate('test finished');
});

test("a schedule starts a sync from mongosync's /start body; a bad body fails it with the error named", async () => {
  await pair.reset();
  await seed(pair.admin.cluster0, [{ db: 'nightly', coll: 'docs', documents: 50 }]);
  const syncId = `${harness.syncId}-nightly`;
  const schedule = await env.client.schedule.create({
    scheduleId: syncId,
    spec: { calendars: [{ year: 2099 }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'syncWorkflow',
      workflowId: `c2c-sync-${syncId}`,
      taskQueue: harness.taskQueue,
      args: [{ syncId, body: { source: 'cluster0', destination: 'cluster1' }, tuning: TEST_TUNING }],
    },
  });
  await schedule.trigger();
  const workflowId = await eventually(async () => {
    for await (const execution of env.client.workflow.list({ query: `C2cSyncId = '${syncId}'` })) return execution.workflowId;
    return undefined;
  });
  assert.match(workflowId, new RegExp(`^c2c-sync-${syncId}`));
  const handle = env.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.query(progressQuery)).canCommit === true ? true : undefined));
  assert.equal((await handle.query(progressQuery)).state, 'RUNNING');
  await handle.terminate('test finished');
  await schedule.delete();

  const bad = await env.client.workflow.start('syncWorkflow', {
    workflowId: `c2c-sync-${syncId}-bad`,
    taskQueue: harness.taskQueue,
    args: [{ syncId: `${syncId}-bad`, body: { source: 'cluster0', destination: 'cluster0' } }],
  });
  await assert.rejects(bad.result(), (error: Error) => /InvalidStartRequest|different clusters/.test(String((error.cause as Error | undefined)?.message ?? error.message)));
  const controller = new SyncController({ client: env.client, syncId: `${syncId}-bad`, taskQueue: harness.taskQueue });
  assert.equal((await controller.progress()).state, 'IDLE');
});
