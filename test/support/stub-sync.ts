// The hooks every file that drives the real sync workflow with stub activities shares: one
// Temporal server for the file, and `syncWith`, which starts a worker running the stubs on a task
// queue of its own and a SyncController for it. After each test the sync it started is terminated
// and its worker shut down (with whatever else the test added to `cleanups`, last first).
import { after, afterEach, before } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SyncController, type SyncControllerOptions } from '../../src/client/sync-controller';
import type { Progress } from '../../src/sync/progress';
import type { SyncTuning } from '../../src/sync/state';
import { pollUntil } from './poll';
import type { StubActivities } from './stub-activities';
import { createTemporalTestEnv, uniqueTaskQueue, workflowBundle } from './temporal';

export interface StubSyncDefaults {
  /** how each test's task queue (and sync id) begins */
  taskQueuePrefix: string;
  /** the file's tuning; the tuning a test passes to `syncWith` is laid over it */
  tuning: Partial<SyncTuning>;
  /** how long `progress` waits for its condition: 30 s unless given */
  progressTimeoutMs?: number;
}

export interface StubSync {
  controller: SyncController;
  /** the handle of the sync's workflow (its current run) */
  handle: () => WorkflowHandle;
  /** reads /progress until `done` holds, and answers that progress; `what` names the wait in a timeout */
  progress: (done: (p: Progress) => boolean, what: string) => Promise<Progress>;
  taskQueue: string;
}

export interface StubSyncHooks {
  /** A worker running `stubs` and a controller (with `controllerOptions`, e.g. pings) whose syncs use the file's tuning with `tuning` over it. */
  syncWith(stubs: StubActivities, tuning?: Partial<SyncTuning>, controllerOptions?: Pick<SyncControllerOptions, 'pings'>): Promise<StubSync>;
  /** the Temporal server every test of the file shares */
  readonly env: TestWorkflowEnvironment;
  /** run after each test, last first: a test may add its own (a gate to release before the worker stops) */
  readonly cleanups: (() => Promise<void>)[];
}

export function useStubSync(defaults: StubSyncDefaults): StubSyncHooks {
  let env: TestWorkflowEnvironment | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    env = await createTemporalTestEnv();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  after(async () => {
    await env?.teardown();
  });

  async function syncWith(stubs: StubActivities, tuning: Partial<SyncTuning> = {}, controllerOptions: Pick<SyncControllerOptions, 'pings'> = {}): Promise<StubSync> {
    const { client, nativeConnection } = env!;
    const taskQueue = uniqueTaskQueue(defaults.taskQueuePrefix);
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: stubs.activities });
    const running = worker.run();
    const controller = new SyncController({ client, syncId: taskQueue, taskQueue, ...controllerOptions, tuning: { ...defaults.tuning, ...tuning } });
    const handle = () => client.workflow.getHandle(controller.workflowId);
    cleanups.push(async () => {
      await handle()
        .terminate('test finished')
        .catch(() => undefined);
      worker.shutdown();
      await running;
    });
    const progress = (done: (p: Progress) => boolean, what: string) =>
      pollUntil(
        async () => {
          const p = await controller.progress();
          return done(p) ? p : undefined;
        },
        { what, timeoutMs: defaults.progressTimeoutMs ?? 30_000 },
      );
    return { controller, handle, progress, taskQueue };
  }

  return {
    syncWith,
    get env() {
      return env!;
    },
    cleanups,
  };
}
