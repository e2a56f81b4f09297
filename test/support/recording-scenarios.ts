// Scenarios whose histories are recorded as replay fixtures (scripts/record-histories.ts).
// Each drives one workflow shape through the messages it handles, then ends it.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createSyncWorker } from '../../src/worker';
import { pauseSignal, pauseUpdate, progressQuery, resumeUpdate, workflowIdFor } from '../../src/workflows/messages';
import { uniqueTaskQueue, workflowBundle } from './temporal';

export interface RecordingScenario {
  name: string;
  run(env: TestWorkflowEnvironment): Promise<WorkflowHandle>;
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('scenario timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const recordingScenarios: RecordingScenario[] = [
  {
    name: 'sync-skeleton-pause-resume',
    async run(env) {
      const taskQueue = uniqueTaskQueue('record');
      const worker = await createSyncWorker({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: await workflowBundle(),
        deps: { clusterLabels: ['cluster0', 'cluster1'] },
      });
      return worker.runUntil(async () => {
        const handle = await env.client.workflow.start('syncWorkflow', {
          taskQueue,
          workflowId: workflowIdFor('recording'),
          args: [{ syncId: 'recording' }],
        });
        await until(async () => (await handle.query(progressQuery)).clusters !== null);
        await handle.executeUpdate(pauseUpdate);
        await handle.executeUpdate(resumeUpdate);
        await handle.signal(pauseSignal);
        await until(async () => (await handle.query(progressQuery)).state === 'PAUSED');
        await handle.terminate('recording done');
        return handle;
      });
    },
  },
];
