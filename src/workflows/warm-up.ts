// The worker's warm-up run (started by src/temporal/warm-up.ts when a worker starts): a short
// workflow on the worker's task queue that makes the worker do once, before any /start, what a
// sync's first steps cost only the first time in a worker: the first workflow task in its
// workflow sandbox (the SDK's runtime and the sync's modules loaded and compiled, 0.3-1.5 s on a
// loaded machine), the first activity task, and the connections to both clusters.
//
// It runs the sync's own code that issues no command (its state, /progress and details), then
// one activity that opens the connections. It sets no search attribute, so no sync listing shows
// it, and it never fails on an unreachable cluster (the result says which did not answer).
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { WarmUpClustersResult } from '../activities/warm-up';
import { buildProgress } from '../sync/progress';
import { parseStartOptionsOrThrow } from '../sync/start-options';
import { DEFAULT_TUNING } from '../sync/state';
import { detailsMarkdown } from './details';
import { SyncJob } from './sync-job';

export interface WarmUpInput {
  /** pooled connections to open per cluster */
  connections?: number;
}

export async function workerWarmUpWorkflow(input: WarmUpInput = {}): Promise<WarmUpClustersResult> {
  const job = new SyncJob({ syncId: 'worker-warm-up', options: parseStartOptionsOrThrow({ source: 'cluster0', destination: 'cluster1' }) });
  buildProgress(job.s);
  detailsMarkdown(job.s);
  const { warmUpClusters } = proxyActivities<SyncActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });
  const result = await warmUpClusters({ connections: input.connections ?? DEFAULT_TUNING.copyConcurrency + 2, timeoutMs: 20_000 });
  setCurrentDetails(`c2c-sync worker warm-up: ${JSON.stringify(result)}`);
  return result;
}
