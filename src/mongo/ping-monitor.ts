// The ping round trip to each cluster, for /progress source/destination.pingLatencyMs and the
// ping gauges of /metrics. Measured in the service process on its own cluster clients, on
// demand: reading /progress of a sync that is not IDLE starts a new measurement when the last
// one is older than the interval (mongosync refreshes every 30 s), so an idle service or one
// nobody watches sends no pings, and a busy page or scraper sends at most one per interval.
import { performance } from 'node:perf_hooks';
import type { ClusterPings } from '../sync/progress';
import type { ClusterConnections } from './cluster-clients';
import { CLUSTER_LABELS, type ClusterLabel } from '../sync/vocabulary';

export const PING_INTERVAL_MS = 30_000;
export const PING_TIMEOUT_MS = 10_000;

export interface PingMonitorOptions {
  clusters: ClusterConnections;
  /** a measurement older than this is refreshed on the next read (default 30 s) */
  intervalMs?: number;
  /** a ping unanswered after this counts as failed (default 10 s) */
  timeoutMs?: number;
}

/** What the controller and the metrics read. */
export interface PingSource {
  /** last round trip per cluster label in ms: -1 when it failed, null before the first */
  latest(): ClusterPings;
  /** starts a measurement unless one is running or the last is recent */
  refreshIfStale(): void;
}

export class PingMonitor implements PingSource {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly values: Record<ClusterLabel, number | null> = { cluster0: null, cluster1: null };
  private measuredAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: PingMonitorOptions) {
    this.intervalMs = options.intervalMs ?? PING_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? PING_TIMEOUT_MS;
  }

  latest(): ClusterPings {
    return { ...this.values };
  }

  refreshIfStale(): void {
    if (this.inFlight || performance.now() - this.measuredAt < this.intervalMs) return;
    void this.refresh();
  }

  /** Measures both clusters now (or joins the measurement under way). */
  refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        await Promise.all(CLUSTER_LABELS.map(async (label) => (this.values[label] = await this.measure(label))));
        this.measuredAt = performance.now();
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /**
   * Two pings, the faster one counts: the first on a client not yet connected also pays for the
   * connection's handshake, which is not the round trip.
   */
  private async measure(label: ClusterLabel): Promise<number> {
    try {
      const first = await this.pingOnce(label);
      const second = await this.pingOnce(label);
      return Math.min(first, second);
    } catch {
      return -1;
    }
  }

  private async pingOnce(label: ClusterLabel): Promise<number> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      // Not unref'd: it is always cleared, and a ping nobody answers must still end.
      timer = setTimeout(() => reject(new Error(`ping of ${label} unanswered after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.options.clusters.client(label).db('admin').command({ ping: 1 }), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return performance.now() - started;
  }
}
