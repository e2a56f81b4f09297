// Scenarios whose histories are recorded as replay fixtures (scripts/record-histories.ts).
// Each drives the sync workflow through the messages it handles, on simulated clusters.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { pauseSignal, resumeSignal } from '../../src/workflows/messages';
import { startClusterPair } from './cluster-pair';
import { startSyncHarness, waitForProgress } from './sync-harness';
import { seed } from './workload';

export interface RecordingScenario {
  name: string;
  run(env: TestWorkflowEnvironment): Promise<WorkflowHandle>;
}

export const recordingScenarios: RecordingScenario[] = [
  {
    name: 'sync-full-lifecycle',
    async run(env) {
      const pair = await startClusterPair();
      const harness = await startSyncHarness(env, pair);
      try {
        await seed(pair.admin.cluster0, [{ db: 'rec', coll: 'docs', documents: 400, indexes: [{ key: { seq: 1 }, unique: true }] }]);
        const { controller } = harness;
        const handle = env.client.workflow.getHandle(controller.workflowId);
        await controller.start({ source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true });
        await waitForProgress(controller, (p) => p.canCommit === true);
        await controller.pause();
        await handle.signal(resumeSignal);
        await waitForProgress(controller, (p) => p.state === 'RUNNING');
        await handle.signal(pauseSignal);
        await waitForProgress(controller, (p) => p.state === 'PAUSED');
        await controller.resume();
        await pair.admin.cluster0.db('rec').collection('docs').insertOne({ late: true });
        await waitForProgress(controller, (p) => p.canCommit === true);
        await controller.commit();
        await waitForProgress(controller, (p) => p.state === 'COMMITTED');
        await controller.reverse();
        await waitForProgress(controller, (p) => p.canCommit === true);
        await controller.commit();
        await waitForProgress(controller, (p) => p.state === 'COMMITTED');
        await handle.terminate('recording done');
        return handle;
      } finally {
        await harness.close();
        await pair.close();
      }
    },
  },
  {
    // The embedded verifier through its first pass, a recheck and the commit check.
    name: 'sync-verifier-commit',
    async run(env) {
      const pair = await startClusterPair();
      const harness = await startSyncHarness(env, pair, { tuning: { verifyChunkMaxMs: 1000 } });
      try {
        await seed(pair.admin.cluster0, [
          { db: 'rec', coll: 'docs', documents: 300 },
          { db: 'rec', coll: 'small', documents: 10 },
        ]);
        const { controller } = harness;
        const handle = env.client.workflow.getHandle(controller.workflowId);
        await controller.start({ source: 'cluster0', destination: 'cluster1' });
        await waitForProgress(controller, (p) => p.canCommit === true);
        await pair.admin.cluster0.db('rec').collection<{ _id: number }>('docs').updateOne({ _id: 3 }, { $set: { late: true } });
        await pair.admin.cluster0.db('rec').collection('small').insertOne({ late: true });
        await waitForProgress(controller, (p) => p.canCommit === true && (p.verification?.source.hashedDocumentCount ?? 0) >= 310);
        await controller.commit();
        await waitForProgress(controller, (p) => p.state === 'COMMITTED');
        await handle.terminate('recording done');
        return handle;
      } finally {
        await harness.close();
        await pair.close();
      }
    },
  },
];
