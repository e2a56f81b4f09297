// The service's ping measurements: on demand, at most one per interval, -1 when a ping fails or
// goes unanswered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MongoClient } from 'mongodb';
import type { ClusterConnections } from '../../../src/mongo/cluster-clients';
import type { ClusterLabel } from '../../../src/sync/vocabulary';
import { PingMonitor } from '../../../src/mongo/ping-monitor';
import { waitUntil } from '../../support/poll';

type PingBehaviour = (attempt: number) => Promise<unknown>;

function fakeClusters(behaviour: Record<ClusterLabel, PingBehaviour>): ClusterConnections & { pings: Record<ClusterLabel, number> } {
  const pings = { cluster0: 0, cluster1: 0 };
  return {
    pings,
    client: (label) =>
      ({
        db: (name: string) => ({
          command: (command: Record<string, unknown>) => {
            assert.equal(name, 'admin');
            assert.deepEqual(command, { ping: 1 });
            return behaviour[label](pings[label]++);
          },
        }),
      }) as unknown as MongoClient,
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PingMonitor', () => {
  it('reports the faster of two pings (the first may pay for the connection), -1 when a ping fails', async () => {
    const clusters = fakeClusters({
      cluster0: (attempt) => delay(attempt === 0 ? 120 : 20),
      cluster1: () => Promise.reject(new Error('connection refused')),
    });
    const monitor = new PingMonitor({ clusters });
    assert.deepEqual(monitor.latest(), { cluster0: null, cluster1: null }, 'nothing before the first measurement');
    await monitor.refresh();
    const { cluster0, cluster1 } = monitor.latest();
    assert.ok(typeof cluster0 === 'number' && cluster0 >= 19 && cluster0 < 110, `cluster0 ${cluster0}`);
    assert.equal(cluster1, -1);
  });

  it('counts a ping unanswered within the timeout as failed', async () => {
    const monitor = new PingMonitor({ clusters: fakeClusters({ cluster0: () => new Promise(() => {}), cluster1: () => delay(1) }), timeoutMs: 50 });
    await monitor.refresh();
    assert.equal(monitor.latest().cluster0, -1);
    assert.ok((monitor.latest().cluster1 ?? -1) >= 0);
  });

  it('pings again only once the last measurement is older than the interval, never two at once', async () => {
    const clusters = fakeClusters({ cluster0: () => delay(5), cluster1: () => delay(5) });
    const monitor = new PingMonitor({ clusters, intervalMs: 300 });
    monitor.refreshIfStale();
    monitor.refreshIfStale();
    await waitUntil(async () => monitor.latest().cluster0 !== null, { what: 'the first measurement', timeoutMs: 5000, intervalMs: 5 });
    assert.deepEqual(clusters.pings, { cluster0: 2, cluster1: 2 }, 'one measurement (two pings per cluster) for two reads');
    monitor.refreshIfStale();
    await delay(30);
    assert.deepEqual(clusters.pings, { cluster0: 2, cluster1: 2 }, 'a fresh measurement is reused');
    await delay(300);
    monitor.refreshIfStale();
    await waitUntil(async () => clusters.pings.cluster0 === 4, { what: 'a new measurement after the interval', timeoutMs: 5000, intervalMs: 5 });
  });
});
