// Prometheus metrics refreshed from the workflow's progress and state, served at /metrics.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer, type SyncCommands } from '../../../src/api/server';
import { createSyncMetrics, type SyncStateSource } from '../../../src/observability/metrics';
import { idleProgress, type Progress } from '../../../src/sync/progress';
import { parseStartOptionsOrThrow } from '../../../src/sync/start-options';
import { DEFAULT_TUNING, initialState, type SyncWorkflowState } from '../../../src/sync/state';
import { initialVerificationState } from '../../../src/sync/verification';

/** A progress object with these fields, the others as in IDLE. */
const progressOf = (fields: Partial<Progress>): Progress => ({ ...idleProgress(), ...fields });

function source(progress: Partial<Progress>, state?: SyncWorkflowState): SyncStateSource {
  return {
    progress: async () => progressOf(progress),
    state: async () => state,
  };
}

/** A sync's state as the state query returns it, changed by `change`. */
function syncState(change: (s: SyncWorkflowState) => void): SyncWorkflowState {
  const s = initialState('s1', parseStartOptionsOrThrow({ source: 'cluster0', destination: 'cluster1' }), DEFAULT_TUNING);
  change(s);
  return s;
}

function value(text: string, metric: string): string | undefined {
  return new RegExp(`^${metric.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1];
}

const runningState = (s: SyncWorkflowState): void => {
  Object.assign(s.copy, { copiedDocuments: 1200, partitionsTotal: 5, partitionsDone: 3 });
  s.reversals = 1;
};
const RUNNING_STATE = syncState(runningState);

describe('metrics', () => {
  test('gauges follow the workflow: state, bytes, documents, events, lag, flags', async () => {
    const metrics = createSyncMetrics({
      syncId: 's1',
      processMetrics: false,
      source: source(
        {
          state: 'RUNNING',
          canCommit: true,
          canWrite: false,
          lagTimeSeconds: 3,
          totalEventsApplied: 77,
          collectionCopy: { estimatedTotalBytes: 5000, estimatedCopiedBytes: 4000 },
        },
        RUNNING_STATE,
      ),
    });
    const text = await metrics.render();
    assert.equal(value(text, 'c2c_sync_state{state="RUNNING",sync_id="s1"}'), '1');
    assert.equal(value(text, 'c2c_sync_state{state="IDLE",sync_id="s1"}'), '0');
    assert.equal(value(text, 'c2c_sync_copied_bytes{sync_id="s1"}'), '4000');
    assert.equal(value(text, 'c2c_sync_estimated_total_bytes{sync_id="s1"}'), '5000');
    assert.equal(value(text, 'c2c_sync_copied_documents{sync_id="s1"}'), '1200');
    assert.equal(value(text, 'c2c_sync_copy_partitions_pending{sync_id="s1"}'), '2');
    assert.equal(value(text, 'c2c_sync_events_applied{sync_id="s1"}'), '77');
    assert.equal(value(text, 'c2c_sync_lag_seconds{sync_id="s1"}'), '3');
    assert.equal(value(text, 'c2c_sync_can_commit{sync_id="s1"}'), '1');
    assert.equal(value(text, 'c2c_sync_can_write{sync_id="s1"}'), '0');
    assert.equal(value(text, 'c2c_sync_reversals{sync_id="s1"}'), '1');
    assert.equal(value(text, 'c2c_sync_metrics_refresh_success{sync_id="s1"}'), '1');
  });

  test('ping gauges: the last round trip per cluster in seconds; NaN and failed=1 after a failed ping, NaN before the first', async () => {
    const metrics = createSyncMetrics({
      syncId: 's5',
      processMetrics: false,
      source: source({ state: 'RUNNING', canCommit: false, lagTimeSeconds: 1, collectionCopy: null }),
      pings: { latest: () => ({ cluster0: 12.5, cluster1: -1 }), refreshIfStale: () => {} },
    });
    const text = await metrics.render();
    assert.equal(value(text, 'c2c_sync_ping_latency_seconds{cluster="cluster0",sync_id="s5"}'), '0.0125');
    assert.equal(value(text, 'c2c_sync_ping_failed{cluster="cluster0",sync_id="s5"}'), '0');
    assert.match(String(value(text, 'c2c_sync_ping_latency_seconds{cluster="cluster1",sync_id="s5"}')), /^nan$/i);
    assert.equal(value(text, 'c2c_sync_ping_failed{cluster="cluster1",sync_id="s5"}'), '1');
    const before = createSyncMetrics({
      syncId: 's6',
      processMetrics: false,
      source: source({ state: 'IDLE', canCommit: false }),
      pings: { latest: () => ({ cluster0: null, cluster1: null }), refreshIfStale: () => {} },
    });
    const first = await before.render();
    assert.match(String(value(first, 'c2c_sync_ping_latency_seconds{cluster="cluster0",sync_id="s6"}')), /^nan$/i);
    assert.equal(value(first, 'c2c_sync_ping_failed{cluster="cluster0",sync_id="s6"}'), '0');
  });

  test('verification: mismatches, candidates and hashed documents per cluster', async () => {
    const metrics = createSyncMetrics({
      syncId: 's4',
      processMetrics: false,
      source: source(
        { state: 'RUNNING', canCommit: false },
        syncState((s) => {
          runningState(s);
          s.verification = { ...initialVerificationState(), mismatchCount: 2, candidates: 5, sourceDocuments: 900, destinationDocuments: 899 };
        }),
      ),
    });
    const text = await metrics.render();
    assert.equal(value(text, 'c2c_sync_verification_mismatches{sync_id="s4"}'), '2');
    assert.equal(value(text, 'c2c_sync_verification_candidates{sync_id="s4"}'), '5');
    assert.equal(value(text, 'c2c_sync_verification_hashed_documents{cluster="source",sync_id="s4"}'), '900');
    assert.equal(value(text, 'c2c_sync_verification_hashed_documents{cluster="destination",sync_id="s4"}'), '899');
  });

  test('FAILED: the state, the error as a label, and the warnings count', async () => {
    const metrics = createSyncMetrics({
      syncId: 's3',
      processMetrics: false,
      source: source(
        { state: 'FAILED', error: 'ChangeStreamHistoryLost', errorDescription: 'lost', canCommit: false, lagTimeSeconds: null, collectionCopy: null, warnings: ['w1', 'w2'] },
        undefined,
      ),
    });
    const text = await metrics.render();
    assert.equal(value(text, 'c2c_sync_state{state="FAILED",sync_id="s3"}'), '1');
    assert.equal(value(text, 'c2c_sync_state{state="RUNNING",sync_id="s3"}'), '0');
    assert.equal(value(text, 'c2c_sync_failed{error="ChangeStreamHistoryLost",sync_id="s3"}'), '1');
    assert.equal(value(text, 'c2c_sync_warnings{sync_id="s3"}'), '2');
  });

  test('IDLE: zeros, and lag is NaN while it does not apply', async () => {
    const metrics = createSyncMetrics({ syncId: 's2', processMetrics: false, source: source({ state: 'IDLE', canCommit: false, lagTimeSeconds: null, collectionCopy: null }) });
    const text = await metrics.render();
    assert.equal(value(text, 'c2c_sync_state{state="IDLE",sync_id="s2"}'), '1');
    assert.equal(value(text, 'c2c_sync_copied_bytes{sync_id="s2"}'), '0');
    assert.match(String(value(text, 'c2c_sync_lag_seconds{sync_id="s2"}')), /^nan$/i, 'prom-client writes NaN as Nan, which Prometheus parses');
  });

  test('when Temporal cannot be asked, the last values stay and refresh_success drops to 0', async () => {
    let fail = false;
    const metrics = createSyncMetrics({
      syncId: 's3',
      processMetrics: false,
      source: {
        progress: async () => {
          if (fail) throw new Error('14 UNAVAILABLE');
          return progressOf({ state: 'PAUSED', canCommit: false, lagTimeSeconds: null, collectionCopy: { estimatedTotalBytes: 10, estimatedCopiedBytes: 5 } });
        },
        state: async () => undefined,
      },
    });
    assert.equal(await metrics.refresh(), true);
    fail = true;
    assert.equal(await metrics.refresh(), false);
    const text = await metrics.registry.metrics();
    assert.equal(value(text, 'c2c_sync_state{state="PAUSED",sync_id="s3"}'), '1');
    assert.equal(value(text, 'c2c_sync_copied_bytes{sync_id="s3"}'), '5');
    assert.equal(value(text, 'c2c_sync_metrics_refresh_success{sync_id="s3"}'), '0');
  });

  test('GET /metrics serves the exposition format and counts API requests', async () => {
    const sync: SyncCommands & SyncStateSource = {
      start: async () => {},
      pause: async () => {},
      resume: async () => {},
      commit: async () => {},
      reverse: async () => {},
      clear: async () => {},
      progress: async () => idleProgress(),
      state: async () => undefined,
    };
    const metrics = createSyncMetrics({ syncId: 's4', source: sync });
    const app = await createApiServer({ sync, version: 't', metrics });
    await app.inject({ method: 'POST', url: '/api/v1/pause', payload: '{}' });
    await app.inject({ method: 'POST', url: '/api/v1/pause', payload: '{"x":1}' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(value(response.body, 'c2c_sync_api_requests_total{route="/api/v1/pause",method="POST",status="200",sync_id="s4"}'), '1');
    assert.equal(value(response.body, 'c2c_sync_api_requests_total{route="/api/v1/pause",method="POST",status="400",sync_id="s4"}'), '1');
    assert.match(response.body, /^process_cpu_user_seconds_total\{sync_id="s4"\} /m);
  });
});
