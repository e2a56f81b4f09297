// The worker's warm-up activity (src/temporal/warm-up.ts): opens the connections a sync's first
// steps use, so that the first /start after the worker started does not pay for them.
import { Context } from '@temporalio/activity';
import type { ClusterClients } from '../mongo/cluster-clients';
import { redactedMessage } from '../mongo/redact';
import { CLUSTER_LABELS, type ClusterLabel } from '../sync/vocabulary';

export interface WarmUpClustersInput {
  /** pooled connections to open per cluster (a sync's first steps use about copyConcurrency + 2) */
  connections: number;
  /** give up on a cluster after this long (a cluster that is down must not hold the worker's start) */
  timeoutMs: number;
}

/** Per cluster: how long opening its connections took, or why it could not. */
export type WarmUpClustersResult = Record<ClusterLabel, { ms: number } | { error: string }>;

/**
 * Sends `connections` pings at once to each cluster: each waits for a pooled connection, so the
 * pool opens that many (with their handshake and authentication), and keeps them for the sync.
 * Never fails: a cluster it cannot reach is reported in the result, and preflight reports it.
 * Ends at once when cancelled (the worker shutting down).
 */
export async function warmUpClusters(clusters: ClusterClients, input: WarmUpClustersInput): Promise<WarmUpClustersResult> {
  const warm = async (label: ClusterLabel): Promise<{ ms: number } | { error: string }> => {
    const started = performance.now();
    const admin = clusters.client(label).db('admin');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${input.timeoutMs} ms`)), input.timeoutMs);
    });
    try {
      const pings = Promise.all(Array.from({ length: Math.max(1, input.connections) }, () => admin.command({ ping: 1 })));
      await Promise.race([pings, timeout, Context.current().cancelled]);
      return { ms: Math.round(performance.now() - started) };
    } catch (error) {
      return { error: redactedMessage(error) };
    } finally {
      clearTimeout(timer);
    }
  };
  const [cluster0, cluster1] = await Promise.all(CLUSTER_LABELS.map(warm));
  return { cluster0: cluster0!, cluster1: cluster1! };
}
