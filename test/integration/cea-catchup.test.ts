// /progress estimatedSecondsToCEACatchup and the ping latencies through the real workflow on a
// real Temporal server (stub activities: the applier's pace is set by the test): no estimate
// while the lag grows, an estimate once the applier gains on the source, 0 once caught up; the
// pings the service measures appear by the roles of directionMapping.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PingSource } from '../../src/mongo/ping-monitor';
import { stubActivities } from '../support/stub-activities';
import { useStubSync } from '../support/stub-sync';

const { syncWith } = useStubSync({ taskQueuePrefix: 'catchup', tuning: { heartbeatTimeoutMs: 5_000 }, progressTimeoutMs: 60_000 });

describe('estimatedSecondsToCEACatchup and pingLatencyMs on a real workflow', () => {
  test('no estimate while the lag grows; an estimate while the applier gains on the source; 0 once caught up', async () => {
    const stubs = stubActivities();
    // source seconds per pass: the source advances 1; the applier `pace` (0 = stuck), never past the source
    const clock = { source: 50_000, applied: 50_000 - 90, pace: 0, passes: 0 };
    stubs.override.applyChangeEvents = async (input) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      clock.passes++;
      clock.source += 1;
      clock.applied = Math.min(clock.source, clock.applied + clock.pace);
      const applied = { t: clock.applied, i: 1 };
      return {
        checkpoint: { resumeToken: null, startAt: applied },
        eventsApplied: clock.pace,
        appliedThrough: applied,
        sourceTime: { t: clock.source, i: 1 },
        lastDdlAt: null,
        reachedStopAt: input.stopAt !== null,
        sourceOplogOldest: null,
        sourceOplogFreeSeconds: null,
      };
    };
    const pings: PingSource = { latest: () => ({ cluster0: 23.4, cluster1: -1 }), refreshIfStale: () => {} };
    const { controller, progress: progressWhen } = await syncWith(stubs, {}, { pings });

    await controller.start({ source: 'cluster0', destination: 'cluster1' });
    const stuck = await progressWhen((p) => p.info === 'change event application' && clock.passes >= 25, 'CEA with the applier stuck for 25 passes');
    assert.equal('estimatedSecondsToCEACatchup' in stuck, false, `no estimate while the lag grows: ${JSON.stringify(stuck)}`);
    assert.deepEqual(stuck.source, { pingLatencyMs: 23 }, 'the source (cluster0) ping, rounded');
    assert.deepEqual(stuck.destination, { pingLatencyMs: -1 }, 'the destination (cluster1) ping failed');

    clock.pace = 4;
    const gaining = await progressWhen((p) => typeof p.estimatedSecondsToCEACatchup === 'number', 'a catch-up estimate once the applier gains');
    const estimate = gaining.estimatedSecondsToCEACatchup ?? 0;
    const lag = gaining.lagTimeSeconds ?? 0;
    assert.ok(lag > 0 && estimate > 0, JSON.stringify(gaining));
    // the lag falls 3 source seconds per pass of at least 150 ms: at most 20 s of lag per second
    assert.ok(estimate >= Math.floor(lag / 20), `estimate ${estimate} s for a lag of ${lag} s`);
    const keys = Object.keys(gaining);
    assert.ok(keys.indexOf('estimatedSecondsToCEACatchup') < keys.indexOf('mongosyncID'), keys.join());

    await progressWhen((p) => p.lagTimeSeconds === 0 && p.estimatedSecondsToCEACatchup === 0, 'the estimate to reach 0 once caught up');
    await controller.pause();
    const paused = await progressWhen((p) => p.state === 'PAUSED', 'PAUSED');
    assert.equal('estimatedSecondsToCEACatchup' in paused, false, 'only while RUNNING');
  });
});
