// The sync workflow's commands do not depend on how its events are grouped into activations
// (src/workflows/completion-order.ts): a sync with stub activities runs through the copy (work
// units beside the event buffer reader) into change event application (the applier beside the
// verifier's units and follower); its history is then replayed as recorded and with each pair of
// consecutive workflow tasks started by completions merged into one, as a worker that applied
// the completions in one activation would have recorded it. Before the fix, a merge of a copy
// unit's task with the buffer reader's (or the applier's with the follower's) failed with
// "[TMPRL1100] Nondeterminism error: Activity type of scheduled event ... does not match".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SyncController } from '../../src/client/sync-controller';
import { mergedHistories } from '../support/history-merge';
import { pollUntil } from '../support/poll';
import { stubActivities } from '../support/stub-activities';
import { SeededRandom } from '../support/workload';
import { createTemporalTestEnv, uniqueTaskQueue, workflowBundle } from '../support/temporal';

let env: TestWorkflowEnvironment;

before(async () => {
  env = await createTemporalTestEnv();
});

after(async () => {
  await env?.teardown();
});

const copyBesideBuffer = (label: string) => /copyWorkUnit/.test(label) && /bufferChangeEvents/.test(label);
const applierBesideVerifier = (label: string) => /applyChangeEvents/.test(label) && /verifyWorkUnit|followDestinationEvents/.test(label);

test('the sync workflow replays its history with the completions of consecutive workflow tasks delivered together', async () => {
  const random = new SeededRandom(7);
  const stubs = stubActivities({ partitions: 8, collections: 2, bufferPauseMs: 0, applyPauseMs: 0 });
  // Each call of the parts that run side by side ends after its own random delay, so their
  // completions come in varied orders, mostly one per workflow task.
  const jittered = ['copyWorkUnit', 'bufferChangeEvents', 'planCopyPage', 'applyChangeEvents', 'verifyWorkUnit', 'followDestinationEvents'] as const;
  for (const name of jittered) {
    const run = stubs.defaults[name] as (input: never) => Promise<unknown>;
    (stubs.override as Record<string, unknown>)[name] = async (input: never) => {
      await new Promise((resolve) => setTimeout(resolve, 5 + random.int(60)));
      return run(input);
    };
  }
  const taskQueue = uniqueTaskQueue('completion-order');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: stubs.activities });
  const running = worker.run();
  const controller = new SyncController({
    client: env.client,
    syncId: taskQueue,
    taskQueue,
    tuning: { copyConcurrency: 3, unitMaxPartitions: 2, heartbeatTimeoutMs: 5000, stallWarningAttempts: 2, stallRetryDelayMs: 100 },
  });
  const handle = env.client.workflow.getHandle(controller.workflowId);
  let history: Awaited<ReturnType<typeof handle.fetchHistory>>;
  try {
    await controller.start({ source: 'cluster0', destination: 'cluster1' });
    // Until the history holds both kinds of pair the test is about: which completions end up in
    // consecutive tasks depends on timing, so the sync runs on until it has them.
    history = await pollUntil(
      async () => {
        const progress = await controller.progress();
        if (!progress.canCommit || (progress.totalEventsApplied ?? 0) < 5) return undefined;
        const recorded = await handle.fetchHistory();
        const labels = mergedHistories(recorded, 80).map((merge) => merge.label);
        return labels.some(copyBesideBuffer) && labels.some(applierBesideVerifier) ? recorded : undefined;
      },
      { what: 'canCommit, and a copy unit and a buffer iteration, and the applier and the verifier, completing in consecutive tasks', timeoutMs: 120_000, intervalMs: 500 },
    );
  } finally {
    await handle.terminate('test finished').catch(() => undefined);
    worker.shutdown();
    await running;
  }

  const merges = mergedHistories(history, 80);
  const labels = merges.map((merge) => merge.label);
  assert.ok(labels.some(copyBesideBuffer), `a copy unit merged with a buffer iteration: ${labels.join('; ')}`);
  assert.ok(labels.some(applierBesideVerifier), `the applier merged with the verifier: ${labels.join('; ')}`);

  const failures: string[] = [];
  const histories = [{ workflowId: 'as recorded', history }, ...merges.map((merge, i) => ({ workflowId: `merge ${i}: ${merge.label}`, history: merge.history }))];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    if (!result.error) continue;
    const message = String(result.error.message);
    failures.push(`${result.workflowId}: ${message.slice(Math.max(0, message.indexOf('Nondeterminism error')), message.indexOf('Nondeterminism error') + 220)}`);
  }
  assert.deepEqual(failures, [], `${failures.length} of ${histories.length} histories failed to replay`);
});
