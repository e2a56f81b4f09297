// Prometheus metrics of one sync, served at GET /metrics on the API port. Sync gauges are
// refreshed on each scrape from the workflow's `progress` and `state` queries, so they show
// what Temporal holds, whichever worker did the work.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { MetricsEndpoint } from '../api/server';
import type { PingSource } from '../mongo/ping-monitor';
import type { Progress } from '../sync/progress';
import { SYNC_STATE_NAMES, type SyncStateName } from '../sync/vocabulary';
import { partitionCounts, type SyncWorkflowState } from '../sync/state';

export const SYNC_STATES: readonly SyncStateName[] = SYNC_STATE_NAMES;

/** SyncController provides both. */
export interface SyncStateSource {
  progress(): Promise<Progress>;
  state(): Promise<SyncWorkflowState | undefined>;
}

export interface SyncMetricsOptions {
  source: SyncStateSource;
  syncId: string;
  /** also export the Node.js process metrics (default true) */
  processMetrics?: boolean;
  /** the service's ping round trips to the clusters */
  pings?: PingSource;
}

export interface SyncMetrics extends MetricsEndpoint {
  registry: Registry;
  /** queries the workflow and updates the gauges; false when Temporal could not be asked */
  refresh(): Promise<boolean>;
}

export function createSyncMetrics(options: SyncMetricsOptions): SyncMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ sync_id: options.syncId });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });

  const state = gauge('c2c_sync_state', 'mongosync state of the sync: 1 for the current state, 0 for the others', ['state']);
  const copiedBytes = gauge('c2c_sync_copied_bytes', 'bytes copied by the initial collection copy (estimatedCopiedBytes)');
  const totalBytes = gauge('c2c_sync_estimated_total_bytes', 'estimated bytes the initial collection copy will copy (estimatedTotalBytes)');
  const copiedDocuments = gauge('c2c_sync_copied_documents', 'documents copied by the initial collection copy');
  const pendingPartitions = gauge('c2c_sync_copy_partitions_pending', 'copy partitions planned but not finished');
  const eventsApplied = gauge('c2c_sync_events_applied', 'change events applied to the destination (totalEventsApplied)');
  const lag = gauge('c2c_sync_lag_seconds', 'seconds the destination trails the source (lagTimeSeconds); NaN when not applicable');
  const canCommit = gauge('c2c_sync_can_commit', '1 when /commit would succeed');
  const canWrite = gauge('c2c_sync_can_write', '1 when the destination accepts writes');
  const reversals = gauge('c2c_sync_reversals', 'completed /reverse calls');
  const failed = gauge('c2c_sync_failed', '1 while the sync is FAILED, labelled with the error that stopped it', ['error']);
  const warnings = gauge('c2c_sync_warnings', 'warnings in /progress (stalled activities, low oplog, source write block)');
  const pingLatency = gauge('c2c_sync_ping_latency_seconds', 'last ping round trip to the cluster; NaN before the first and after a failed one', ['cluster']);
  const pingFailed = gauge('c2c_sync_ping_failed', '1 when the last ping to the cluster failed', ['cluster']);
  const verificationMismatches = gauge(
    'c2c_sync_verification_mismatches',
    'documents the embedded verifier confirmed different between source and destination (names in /progress warnings and the logs)',
  );
  const verificationHashed = gauge('c2c_sync_verification_hashed_documents', 'documents compared by the embedded verifier, per cluster', ['cluster']);
  const verificationCandidates = gauge('c2c_sync_verification_candidates', 'differences waiting for a recheck (documents that changed while compared)');
  const refreshOk = gauge('c2c_sync_metrics_refresh_success', '1 when the last refresh from the Temporal workflow succeeded');
  const requests = new Counter({
    name: 'c2c_sync_api_requests_total',
    help: 'HTTP API requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });

  const setState = (current: string): void => {
    for (const name of SYNC_STATES) state.set({ state: name }, name === current ? 1 : 0);
  };
  setState('IDLE');

  function refreshPings(): void {
    if (!options.pings) return;
    for (const [cluster, ms] of Object.entries(options.pings.latest())) {
      pingLatency.set({ cluster }, typeof ms === 'number' && ms >= 0 ? ms / 1000 : Number.NaN);
      pingFailed.set({ cluster }, ms === -1 ? 1 : 0);
    }
  }

  async function refresh(): Promise<boolean> {
    let progress: Progress;
    let internal: SyncWorkflowState | undefined;
    try {
      [progress, internal] = await Promise.all([options.source.progress(), options.source.state()]);
    } catch {
      refreshPings();
      refreshOk.set(0);
      return false;
    }
    refreshPings();
    setState(progress.state);
    failed.reset();
    if (progress.state === 'FAILED') failed.set({ error: String(progress.error) }, 1);
    warnings.set(progress.warnings?.length ?? 0);
    copiedBytes.set(progress.collectionCopy?.estimatedCopiedBytes ?? 0);
    totalBytes.set(progress.collectionCopy?.estimatedTotalBytes ?? 0);
    eventsApplied.set(progress.totalEventsApplied ?? 0);
    lag.set(progress.lagTimeSeconds ?? Number.NaN);
    canCommit.set(progress.canCommit ? 1 : 0);
    canWrite.set(progress.canWrite === true ? 1 : 0);
    copiedDocuments.set(internal?.copy.copiedDocuments ?? 0);
    const partitions = internal ? partitionCounts(internal.copy) : { total: 0, done: 0 };
    pendingPartitions.set(partitions.total - partitions.done);
    reversals.set(internal?.reversals ?? 0);
    const verification = internal?.verification ?? null;
    verificationMismatches.set(verification?.mismatchCount ?? 0);
    verificationCandidates.set(verification?.candidates ?? 0);
    verificationHashed.set({ cluster: 'source' }, verification?.sourceDocuments ?? 0);
    verificationHashed.set({ cluster: 'destination' }, verification?.destinationDocuments ?? 0);
    refreshOk.set(1);
    return true;
  }

  return {
    registry,
    contentType: registry.contentType,
    refresh,
    async render() {
      await refresh();
      return registry.metrics();
    },
    observeRequest(route, method, status) {
      requests.inc({ route, method, status: String(status) });
    },
  };
}
