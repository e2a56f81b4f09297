// The Temporal worker: runs the sync workflow and its activities on a task queue.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';

export const DEFAULT_TASK_QUEUE = 'c2c-sync';

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** a prebuilt bundle (tests build one per file); without it the workflows are bundled here */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export const workflowsPath = require.resolve('./workflows');

export async function createSyncWorker(options: SyncWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: createActivities(options.deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
  });
}

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  try {
    const worker = await createSyncWorker({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE,
      taskQueue: process.env.C2C_TASK_QUEUE,
      deps: { clusterLabels: ['cluster0', 'cluster1'] },
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
