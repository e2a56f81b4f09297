// The Temporal worker: runs the sync workflow and its activities on a task queue.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { createClusterClients } from './mongo/cluster-clients';
import { redactedMessage } from './mongo/redact';

export const DEFAULT_TASK_QUEUE = 'c2c-sync';

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

export async function createSyncWorker(options: SyncWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    activities: createActivities(options.deps),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 16,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: give the connection string of that cluster`);
  return value;
}

/** `node dist/worker.js`: a worker configured from the environment. */
async function main(): Promise<void> {
  const clusters = createClusterClients({ cluster0: requiredEnv('C2C_CLUSTER0'), cluster1: requiredEnv('C2C_CLUSTER1') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  try {
    const worker = await createSyncWorker({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE,
      taskQueue: process.env.C2C_TASK_QUEUE,
      deps: { clusters },
    });
    await worker.run();
  } finally {
    await connection.close();
    await clusters.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`c2c-sync worker: ${redactedMessage(error)}`);
    process.exit(1);
  });
}
