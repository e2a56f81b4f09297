// A sync under test: a worker on its own task queue (in this process) and a controller that
// drives the sync exactly as the HTTP API does.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { activitySummary } from './activity-summary';
import { SyncController } from '../../src/client/sync-controller';
import { createClusterClients, type ClusterClients } from '../../src/mongo/cluster-clients';
import { createSyncWorker } from '../../src/worker';
import type { SyncTuning } from '../../src/sync/state';
import type { ClusterPair } from './cluster-pair';
import { pollProgress } from './poll';
import { type ServerAndClusters, useServerAndClusters } from './shared-clusters';
import { uniqueTaskQueue, workflowBundle } from './temporal';
import type { Progress } from '../../src/sync/progress';

/** Small partitions and short iterations, so tests see every phase quickly. */
export const TEST_TUNING: Partial<SyncTuning> = {
  copyConcurrency: 3,
  partitionTargetBytes: 64 * 1024,
  copyBatchSize: 200,
  copyChunkMaxMs: 300,
  applyIterationMs: 700,
  applyBatchEvents: 200,
  bufferIterationMs: 700,
  heartbeatTimeoutMs: 5_000,
};

export interface SyncHarness {
  controller: SyncController;
  taskQueue: string;
  syncId: string;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startWorker(env: TestWorkflowEnvironment, clusters: ClusterClients, taskQueue: string): Promise<Worker> {
  return createSyncWorker({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    deps: { clusters },
  });
}

export interface SyncHarnessOptions {
  tuning?: Partial<SyncTuning>;
  /** false: no worker (the test starts its own) */
  worker?: boolean;
}

export async function startSyncHarness(env: TestWorkflowEnvironment, pair: ClusterPair, options: SyncHarnessOptions = {}): Promise<SyncHarness> {
  const taskQueue = uniqueTaskQueue('sync');
  const syncId = taskQueue;
  const clusters = createClusterClients(pair.uris);
  let running: Promise<void> | undefined;
  let worker: Worker | undefined;
  if (options.worker !== false) {
    worker = await startWorker(env, clusters, taskQueue);
    running = worker.run();
  }
  const controller = new SyncController({ client: env.client, syncId, taskQueue, tuning: { ...TEST_TUNING, ...options.tuning } });
  const stopWorker = async (): Promise<void> => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return {
    controller,
    taskQueue,
    syncId,
    stopWorker,
    async close() {
      const handle = env.client.workflow.getHandle(controller.workflowId);
      const summary = process.env.C2C_TEST_ACTIVITY_SUMMARY;
      if (summary === '1' || summary === 'timeline') {
        const text = await activitySummary(env.client, controller.workflowId, { timeline: summary === 'timeline' }).catch((e: unknown) => String(e));
        console.log(`[activities] ${text}`);
      }
      await handle.terminate('test finished').catch(() => undefined);
      await stopWorker();
      await clusters.close();
    },
  };
}

/** Polls progress until `done` holds; fails with the last progress after `timeoutMs`. */
export async function waitForProgress(
  controller: SyncController,
  done: (progress: Progress) => boolean,
  timeoutMs = 60_000,
): Promise<Progress> {
  // A query times out while no worker is up (one was just killed and another is starting).
  const read = async (): Promise<Progress | null> => {
    try {
      return await controller.progress();
    } catch (error) {
      if ((error as Error).name !== 'ServiceError') throw error;
      return null;
    }
  };
  return pollProgress(read, done, timeoutMs);
}

export interface SyncFixture extends ServerAndClusters {
  /** a sync harness, closed before the next test starts */
  harness(options?: SyncHarnessOptions): Promise<SyncHarness>;
}

/**
 * Registers the hooks of a test file whose tests run syncs on one Temporal server and one pair
 * of clusters: both started once, the previous test's harnesses closed and the clusters reset
 * before each test. `defaults` are the options of every harness the file starts.
 */
export function useSyncFixture(defaults: SyncHarnessOptions = {}): SyncFixture {
  const harnesses: SyncHarness[] = [];
  const shared = useServerAndClusters(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });
  return {
    get env() {
      return shared.env;
    },
    get pair() {
      return shared.pair;
    },
    async harness(options = defaults) {
      const harness = await startSyncHarness(shared.env, shared.pair, options);
      harnesses.push(harness);
      return harness;
    },
  };
}
