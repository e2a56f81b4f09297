// Warms a freshly started worker (docs/copy-plan.md, "From /start to the first copied document"):
// runs workerWarmUpWorkflow (src/workflows/warm-up.ts) on the worker's task queue, so the first
// /start finds the workflow sandbox compiled and the clusters connected. Best-effort: it never
// throws, and a worker that could not warm up works as before, with a slower first sync.
import { Client, type ConnectionLike } from '@temporalio/client';
import type { WarmUpClustersResult } from '../activities/warm-up';
import type { WarmUpInput, workerWarmUpWorkflow } from '../workflows/warm-up';

const WARM_UP_WORKFLOW_TYPE = 'workerWarmUpWorkflow';

export interface WarmUpOptions {
  /** a client connection (a worker's NativeConnection will do) */
  connection: ConnectionLike;
  namespace: string;
  taskQueue: string;
  /** give up waiting after this long (the run goes on, and ends, by itself) */
  timeoutMs?: number;
}

export type WarmUpOutcome = { ok: true; ms: number; clusters: WarmUpClustersResult } | { ok: false; ms: number; error: string };

/** The warm-up run's workflow id: one per task queue (two workers starting at once share the run). */
export function warmUpWorkflowId(taskQueue: string): string {
  return `c2c-sync-worker-warm-up-${taskQueue}`;
}

export async function warmUpWorker(options: WarmUpOptions): Promise<WarmUpOutcome> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  const client = new Client({ connection: options.connection, namespace: options.namespace });
  const input: WarmUpInput = {};
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = client.workflow.execute<typeof workerWarmUpWorkflow>(WARM_UP_WORKFLOW_TYPE, {
      workflowId: warmUpWorkflowId(options.taskQueue),
      taskQueue: options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowExecutionTimeout: '2 minutes',
      staticSummary: 'c2c-sync worker warm-up (not a sync)',
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${options.timeoutMs ?? 60_000} ms`)), options.timeoutMs ?? 60_000);
    });
    const clusters = await Promise.race([run, timeout]);
    return { ok: true, ms: ms(), clusters };
  } catch (error) {
    return { ok: false, ms: ms(), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
