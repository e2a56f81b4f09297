// The Temporal worker: runs the sync workflow and its activities on a task queue. The c2c-sync
// command (service and `c2c-sync worker`) creates it.
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { DEFAULT_TASK_QUEUE } from './workflows/messages';

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** a prebuilt bundle (tests build one per process); without it the workflows are bundled here */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** parallel activity executions on this worker */
  maxConcurrentActivities?: number;
}

export const workflowsPath = require.resolve('./workflows');

/**
 * Heartbeats reach the server at least this often (the SDK otherwise holds them back for 80% of
 * the heartbeat timeout). A cancellation reaches an activity only in a heartbeat's answer, and a
 * commit cancels the running change event application to end it early.
 */
const HEARTBEAT_THROTTLE = '500 milliseconds';

export async function createSyncWorker(options: SyncWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: createActivities(options.deps),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 16,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
  });
}
