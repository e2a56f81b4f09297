import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  LOW_OPLOG_WARNING,
  MAX_COMMIT_LAG_SECONDS,
  SOURCE_WRITES_BLOCKED_WARNING,
  buildProgress,
  canCommit,
  collectionCopyProgress,
  commitBlocker,
  formatOplogTimeRemaining,
  idleProgress,
  lagSeconds,
  oplogNeededFrom,
  oplogSecondsRemaining,
  stallWarning,
  withPingLatencies,
} from '../../../src/sync/progress';
import { parseStartOptions, type StartOptions } from '../../../src/sync/start-options';
import type { ClusterTime } from '../../../src/sync/vocabulary';
import { DEFAULT_TUNING, initialBufferState, initialCopyState, initialState, type ActivityStall, type SyncWorkflowState } from '../../../src/sync/state';

function options(body: Record<string, unknown> = {}): StartOptions {
  const result = parseStartOptions({ source: 'cluster0', destination: 'cluster1', ...body });
  if (!result.ok) throw new Error(result.error.errorDescription);
  return result.options;
}

const T0 = 1_700_000_000;

/** RUNNING in CEA, caught up, copy finished: commit-ready; then changed by `change`. */
function runningInCea(change: (s: SyncWorkflowState) => void = () => {}): SyncWorkflowState {
  const s = initialState('default', options({ buildIndexes: 'beforeDataCopy', verification: { enabled: false } }), DEFAULT_TUNING);
  s.phase = 'applying';
  s.hosts = { cluster0: 'localhost:27017', cluster1: 'localhost:27018' };
  s.destinationWritesBlocked = true;
  s.startPoint = { t: T0, i: 1 };
  s.copy = { ...s.copy, started: true, done: true, estimatedTotalBytes: 600, copiedBytes: 694, partitionsTotal: 3, partitionsDone: 3, completedAt: { t: T0 + 50, i: 1 } };
  s.buffer = { ...initialBufferState(), handedOver: true };
  s.apply.checkpoint = { resumeToken: { _data: '82AB' }, startAt: null };
  s.apply.iterations = 5;
  s.apply.appliedThrough = { t: T0 + 100, i: 1 };
  s.apply.sourceTime = { t: T0 + 102, i: 0 };
  s.apply.sourceOplogOldest = { t: T0 - 48 * 3600, i: 1 };
  s.apply.eventsApplied = 42;
  change(s);
  return s;
}

/** Lag samples from which the catch-up estimate is 40 s (the lag, 10 s, falls 0.25 s a second). */
const CATCHING_UP = [
  { at: 1_000, applied: T0 + 100, source: T0 + 112 },
  { at: 9_000, applied: T0 + 102, source: T0 + 112 },
];

describe('progress: IDLE', () => {
  it('is null everywhere except state and canCommit', () => {
    const progress = idleProgress();
    assert.deepEqual(progress, {
      state: 'IDLE',
      canCommit: false,
      canWrite: null,
      info: null,
      ceaStage: null,
      lag: null,
      lagTimeSeconds: null,
      totalEventsApplied: null,
      collectionCopy: null,
      directionMapping: null,
      mongosyncID: null,
      coordinatorID: null,
      verification: null,
    });
  });
});

describe('progress: RUNNING', () => {
  it('in CEA matches the documented example shape', () => {
    const progress = withPingLatencies(buildProgress(runningInCea()), { cluster0: 250.4, cluster1: -1 });
    assert.deepEqual(progress, {
      state: 'RUNNING',
      canCommit: true,
      canWrite: false,
      info: 'change event application',
      ceaStage: 'steady state',
      lag: { overallLagSeconds: 2, crudLagSeconds: 2, ddlLagSeconds: null },
      lagTimeSeconds: 2,
      totalEventsApplied: 42,
      collectionCopy: { estimatedTotalBytes: 694, estimatedCopiedBytes: 694 },
      directionMapping: { Source: 'cluster0: localhost:27017', Destination: 'cluster1: localhost:27018' },
      estimatedOplogTimeRemaining: '48 hours',
      mongosyncID: 'coordinator',
      coordinatorID: 'coordinator',
      source: { pingLatencyMs: 250 },
      destination: { pingLatencyMs: -1 },
      verification: null,
    });
    assert.deepEqual(Object.keys(progress).slice(0, 7), ['state', 'canCommit', 'canWrite', 'info', 'ceaStage', 'lag', 'lagTimeSeconds']);
  });

  it('before the copy starts reports collectionCopy {1, 0} and info collection copy', () => {
    const progress = buildProgress(
      runningInCea((s) => {
        s.phase = 'starting';
        s.copy = initialCopyState();
        s.apply.appliedThrough = null;
        s.apply.sourceTime = { t: T0 + 3, i: 0 };
      }),
    );
    assert.equal(progress.info, 'collection copy');
    assert.deepEqual(progress.collectionCopy, { estimatedTotalBytes: 1, estimatedCopiedBytes: 0 });
    assert.equal(progress.ceaStage, null);
    assert.equal(progress.canCommit, false);
    assert.deepEqual(progress.lag, { overallLagSeconds: 3, crudLagSeconds: null, ddlLagSeconds: null });
  });

  it('reports the collection copy drain until the applied position reaches the end of the copy', () => {
    const drain = runningInCea((s) => {
      s.apply.appliedThrough = { t: T0 + 20, i: 0 };
    });
    assert.equal(buildProgress(drain).ceaStage, 'collection copy drain');
    assert.equal(buildProgress(runningInCea()).ceaStage, 'steady state');
  });

  it('shows ddl lag once a DDL event was applied', () => {
    const progress = buildProgress(runningInCea((s) => (s.apply.lastDdlAppliedAt = { t: T0 + 90, i: 0 })));
    assert.deepEqual(progress.lag, { overallLagSeconds: 2, crudLagSeconds: 2, ddlLagSeconds: 2 });
  });

  it('includes indexBuilding only in CEA with after-copy index modes', () => {
    const building = { indexesBuilt: 1, totalIndexesToBuild: 3, collectionsFinished: 0, collectionsTotal: 2 };
    const afterCopy = runningInCea((s) => {
      s.options = options({ buildIndexes: 'afterDataCopy' });
      s.copy.indexBuilding = building;
    });
    const progress = buildProgress(afterCopy);
    assert.deepEqual(progress.indexBuilding, building);
    assert.equal(progress.canCommit, false, 'commit waits for after-copy index builds');
    assert.match(commitBlocker(afterCopy) ?? '', /index builds/);
    assert.equal('indexBuilding' in buildProgress(runningInCea((s) => (s.copy.indexBuilding = building))), false);
    const done = { indexesBuilt: 3, totalIndexesToBuild: 3, collectionsFinished: 2, collectionsTotal: 2 };
    afterCopy.copy.indexBuilding = done;
    assert.equal(canCommit(afterCopy), true);
  });

  it('warns when the oplog window is small and when source writes are blocked', () => {
    const progress = buildProgress(
      runningInCea((s) => {
        s.apply.sourceOplogOldest = { t: T0 + 100 - 600, i: 0 };
        s.sourceWritesBlocked = true;
      }),
    );
    assert.equal(progress.estimatedOplogTimeRemaining, 'less than 15 minutes');
    assert.deepEqual(progress.warnings, [LOW_OPLOG_WARNING, SOURCE_WRITES_BLOCKED_WARNING]);
    assert.equal('warnings' in buildProgress(runningInCea()), false);
    assert.equal(buildProgress(runningInCea((s) => (s.apply.sourceOplogOldest = null))).estimatedOplogTimeRemaining, 'not checked yet');
  });

  it('adds the time a young oplog takes to fill, so a new replica set is not warned about', () => {
    // The oldest entry is only 10 minutes old, but the oplog is far from full: 2 hours to fill.
    const young = runningInCea((s) => {
      s.apply.sourceOplogOldest = { t: T0 + 100 - 600, i: 0 };
      s.apply.sourceOplogFreeSeconds = 2 * 3600;
    });
    assert.equal(oplogSecondsRemaining(young), 600 + 2 * 3600);
    assert.equal(buildProgress(young).estimatedOplogTimeRemaining, '2 hours');
    assert.equal(buildProgress(young).warnings, undefined);
    // A full one (0 s to fill) is measured by its entries alone, and warned about.
    const full = runningInCea((s) => {
      s.apply.sourceOplogOldest = { t: T0 + 100 - 600, i: 0 };
      s.apply.sourceOplogFreeSeconds = 0;
    });
    assert.equal(oplogSecondsRemaining(full), 600);
    assert.deepEqual(buildProgress(full).warnings, [LOW_OPLOG_WARNING]);
    // The newer of the two readings counts, with its own fill time.
    const buffered = runningInCea((s) => {
      s.apply.sourceOplogOldest = { t: T0 + 100 - 600, i: 0 };
      s.apply.sourceOplogFreeSeconds = 0;
      s.buffer = { ...initialBufferState(), handedOver: true, sourceOplogOldest: { t: T0 + 100 - 500, i: 0 }, sourceOplogFreeSeconds: 5000 };
    });
    assert.equal(oplogSecondsRemaining(buffered), 500 + 5000);
  });

  it('measures the oplog from the event buffer reader during the copy, not from the start point', () => {
    // A copy that has run for three days: the start point left the oplog long ago, but the
    // buffer reader is 10 minutes behind and the oplog holds 2 hours.
    const copyingWith = (bufferedThrough: ClusterTime | null, buffered = true) =>
      runningInCea((s) => {
        s.phase = 'copying';
        s.copy = { ...initialCopyState(), started: true, estimatedTotalBytes: 600, copiedBytes: 100, partitionsTotal: 3, partitionsDone: 1 };
        s.apply.checkpoint = { resumeToken: null, startAt: s.startPoint };
        s.apply.appliedThrough = null;
        s.apply.sourceTime = null;
        s.buffer = buffered ? { ...initialBufferState(), bufferedThrough } : null;
        s.apply.sourceOplogOldest = { t: T0 + 70 * 3600, i: 1 };
      });
    const copying = copyingWith({ t: T0 + 72 * 3600 - 600, i: 1 });
    assert.deepEqual(oplogNeededFrom(copying), { t: T0 + 72 * 3600 - 600, i: 1 });
    assert.equal(oplogSecondsRemaining(copying), 2 * 3600 - 600);
    const progress = buildProgress(copying);
    assert.equal(progress.estimatedOplogTimeRemaining, '1 hour');
    assert.equal(progress.warnings, undefined, 'no low-oplog warning: the buffer reader is well inside the window');
    // The same copy without a buffer needs the start point, which is gone.
    const unbuffered = buildProgress(copyingWith(null, false));
    assert.equal(unbuffered.estimatedOplogTimeRemaining, 'less than 15 minutes');
    assert.deepEqual(unbuffered.warnings, [LOW_OPLOG_WARNING]);
    // A buffer reader that falls behind the window is warned about.
    const lagging = buildProgress(copyingWith({ t: T0 + 70 * 3600 + 60, i: 1 }));
    assert.deepEqual(lagging.warnings, [LOW_OPLOG_WARNING]);
    // Before the buffer reader's first iteration, the start point is what is needed.
    assert.deepEqual(oplogNeededFrom(copyingWith(null)), { t: T0, i: 1 });
  });

  it('while the buffer drains, measures from where the live stream continues, not from the applied events', () => {
    const drainingWith = (position: { nextSeq: number; end: number }) =>
      runningInCea((s) => {
        s.apply.appliedThrough = { t: T0 + 10, i: 1 };
        s.buffer = { ...initialBufferState(), handedOver: true, bufferedThrough: { t: T0 + 5000, i: 1 } };
        s.apply.checkpoint = { resumeToken: null, startAt: { t: T0 + 5000, i: 1 }, buffer: position };
        s.apply.sourceOplogOldest = { t: T0 + 1000, i: 1 };
      });
    const draining = drainingWith({ nextSeq: 10, end: 500 });
    assert.equal(oplogSecondsRemaining(draining), 4000);
    assert.equal(buildProgress(draining).estimatedOplogTimeRemaining, '1 hour');
    assert.equal(oplogSecondsRemaining(drainingWith({ nextSeq: 500, end: 500 })), 0, 'without the buffer the applied position is needed');
  });

  it('reports estimatedSecondsToCEACatchup after the oplog estimate, only while RUNNING in CEA', () => {
    const catchingUp = (change: (s: SyncWorkflowState) => void = () => {}) =>
      runningInCea((s) => {
        s.apply.lagSamples = CATCHING_UP;
        change(s);
      });
    const progress = buildProgress(catchingUp());
    assert.equal(progress.estimatedSecondsToCEACatchup, 40);
    const keys = Object.keys(progress);
    assert.equal(keys.indexOf('estimatedSecondsToCEACatchup'), keys.indexOf('estimatedOplogTimeRemaining') + 1);
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(runningInCea((s) => (s.apply.lagSamples = []))), false, 'left out while the lag does not fall');
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(catchingUp((s) => (s.paused = true))), false);
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(catchingUp((s) => (s.phase = 'copying'))), false);
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(catchingUp((s) => (s.phase = 'committing'))), false);
  });

  it('takes ping latencies measured outside the workflow, by the roles in directionMapping', () => {
    const progress = buildProgress(runningInCea());
    assert.equal('source' in progress, false);
    const withPings = withPingLatencies(progress, { cluster0: 12.6, cluster1: 3 });
    assert.deepEqual(withPings.source, { pingLatencyMs: 13 });
    assert.deepEqual(withPings.destination, { pingLatencyMs: 3 });
    assert.deepEqual(Object.keys(withPings).slice(-4), ['coordinatorID', 'source', 'destination', 'verification'], 'in the documented key order');
    const reversed = withPingLatencies(
      { ...progress, directionMapping: { Source: 'cluster1: localhost:27018', Destination: 'cluster0: localhost:27017' } },
      { cluster0: 12.6, cluster1: -1 },
    );
    assert.deepEqual([reversed.source, reversed.destination], [{ pingLatencyMs: -1 }, { pingLatencyMs: 13 }], 'roles follow a reverse');
    const subMillisecond = withPingLatencies(progress, { cluster0: 0.3, cluster1: null });
    assert.equal('source' in subMillisecond || 'destination' in subMillisecond, false, 'below 1 ms or not measured: left out');
    const idle = idleProgress();
    assert.deepEqual(withPingLatencies(idle, { cluster0: 5, cluster1: 5 }), idle, 'IDLE stays null everywhere');
    const fromNewerWorkflow = { ...progress, laterField: 1 };
    const extra = withPingLatencies(fromNewerWorkflow, { cluster0: 5 });
    assert.equal('laterField' in extra ? extra.laterField : undefined, 1, 'fields it does not know are kept');
  });

  it('leaves out ping latency below 1 ms or not measured', () => {
    const progress = withPingLatencies(buildProgress(runningInCea()), { cluster0: 0.4, cluster1: null });
    assert.equal('source' in progress, false);
    assert.equal('destination' in progress, false);
  });
});

describe('progress: canCommit', () => {
  it('needs RUNNING, CEA, the copy finished and lag <= 30 s', () => {
    assert.equal(canCommit(runningInCea()), true);
    assert.equal(commitBlocker(runningInCea()), null);
    assert.match(commitBlocker(runningInCea((s) => (s.paused = true))) ?? '', /PAUSED/);
    assert.match(commitBlocker(
        runningInCea((s) => {
          s.phase = 'copying';
          s.copy.done = false;
        }),
      ) ?? '', /copy/);
    const lagging = runningInCea((s) => (s.apply.sourceTime = { t: T0 + 100 + MAX_COMMIT_LAG_SECONDS + 1, i: 0 }));
    assert.match(commitBlocker(lagging) ?? '', /31 seconds behind/);
    assert.equal(canCommit(runningInCea((s) => (s.apply.sourceTime = { t: T0 + 100 + MAX_COMMIT_LAG_SECONDS, i: 5 }))), true);
  });

  it('lag is never negative and uses the newest applied position', () => {
    assert.equal(lagSeconds(runningInCea((s) => (s.apply.sourceTime = { t: T0, i: 0 }))), 0);
    assert.equal(lagSeconds(runningInCea((s) => (s.apply.appliedThrough = { t: T0 + 101, i: 0 }))), 1);
    assert.equal(lagSeconds(runningInCea((s) => (s.apply.sourceTime = null))), 0);
  });
});

describe('progress: other states', () => {
  it('PAUSED: lag and lagTimeSeconds null, info of the paused phase, no ceaStage', () => {
    const progress = buildProgress(runningInCea((s) => (s.paused = true)));
    assert.equal(progress.lag, null);
    assert.equal(progress.lagTimeSeconds, null);
    assert.equal(progress.info, 'change event application');
    assert.equal(progress.ceaStage, null);
    assert.equal(progress.canCommit, false);
    assert.equal('estimatedOplogTimeRemaining' in progress, false);
  });

  it('COMMITTING: waiting for commit to complete, lag still reported', () => {
    const progress = buildProgress(
      runningInCea((s) => {
        s.phase = 'committing';
        s.commit.point = { t: T0 + 102, i: 0 };
      }),
    );
    assert.equal(progress.info, 'waiting for commit to complete');
    assert.equal(progress.lagTimeSeconds, 2);
    assert.equal(progress.canCommit, false);
    assert.equal(progress.canWrite, false);
    const opened = buildProgress(
      runningInCea((s) => {
        s.phase = 'committing';
        s.commit.canWrite = true;
      }),
    );
    assert.equal(opened.canWrite, true);
  });

  it('COMMITTED: commit completed, lag 0, canWrite true', () => {
    const progress = buildProgress(
      runningInCea((s) => {
        s.phase = 'committed';
        s.commit.canWrite = true;
        s.apply.sourceTime = { t: T0 + 500, i: 0 };
      }),
    );
    assert.equal(progress.info, 'commit completed');
    assert.equal(progress.lagTimeSeconds, 0);
    assert.deepEqual(progress.lag, { overallLagSeconds: 0, crudLagSeconds: 0, ddlLagSeconds: null });
    assert.equal(progress.canWrite, true);
    assert.equal(progress.canCommit, false);
  });

  it('COMMITTED with dual blocking keeps warning that source writes are blocked', () => {
    const progress = buildProgress(
      runningInCea((s) => {
        s.phase = 'committed';
        s.commit.canWrite = true;
        s.destinationWritesBlocked = false;
        s.sourceWritesBlocked = true;
      }),
    );
    assert.deepEqual(progress.warnings, [SOURCE_WRITES_BLOCKED_WARNING]);
  });

  it('REVERSING: info and lag null, directionMapping as stored', () => {
    const progress = buildProgress(runningInCea((s) => (s.phase = 'reversing')));
    assert.equal(progress.info, null);
    assert.equal(progress.lag, null);
    assert.equal(progress.lagTimeSeconds, null);
    assert.equal(progress.directionMapping?.Source, 'cluster0: localhost:27017');
  });
});

describe('progress: collectionCopy and formatting', () => {
  it('estimatedTotalBytes follows the copied bytes upward and equals them at the end', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e9), fc.boolean(), (estimate, copied, finished) => {
        const report = collectionCopyProgress({ started: true, done: finished, estimatedTotalBytes: estimate, copiedBytes: copied });
        assert.equal(report.estimatedCopiedBytes, copied);
        assert.ok(report.estimatedTotalBytes >= copied);
        if (finished) assert.equal(report.estimatedTotalBytes, copied);
        else assert.equal(report.estimatedTotalBytes, Math.max(estimate, copied));
      }),
    );
  });

  it('formats oplog time like mongosync', () => {
    assert.equal(formatOplogTimeRemaining(null), 'not checked yet');
    assert.equal(formatOplogTimeRemaining(100), 'less than 15 minutes');
    assert.equal(formatOplogTimeRemaining(45 * 60), '45 minutes');
    assert.equal(formatOplogTimeRemaining(3600), '1 hour');
    assert.equal(formatOplogTimeRemaining(12.5 * 3600), '12 hours');
    assert.equal(formatOplogTimeRemaining(73 * 3600), 'more than 72 hours');
  });

  it('property: the progress object is JSON and never has undefined values', () => {
    const states: Record<string, (s: SyncWorkflowState) => void> = {
      RUNNING: () => {},
      PAUSED: (s) => (s.paused = true),
      COMMITTING: (s) => (s.phase = 'committing'),
      COMMITTED: (s) => (s.phase = 'committed'),
      REVERSING: (s) => (s.phase = 'reversing'),
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(states)), fc.boolean(), fc.option(fc.nat(1000)), (state, canWrite, lagAdd) => {
        const progress = buildProgress(
          runningInCea((s) => {
            states[state]!(s);
            s.commit.canWrite = canWrite;
            s.apply.sourceTime = lagAdd === null ? null : { t: T0 + 100 + lagAdd, i: 0 };
          }),
        );
        assert.deepEqual(JSON.parse(JSON.stringify(progress)), progress);
        for (const value of Object.values(progress)) assert.notEqual(value, undefined);
        if (progress.lag !== null) assert.equal(progress.lag.overallLagSeconds, progress.lagTimeSeconds);
      }),
    );
  });
});

describe('progress: FAILED', () => {
  it('names the error right after the state, keeps the counters, and has no lag, info or commit', () => {
    const failed = runningInCea((s) => {
      s.phase = 'failed';
      s.failure = { error: 'ChangeStreamHistoryLost', errorDescription: 'the resume point fell off the oplog', phase: 'applying', at: '2026-01-01T00:00:00.000Z', blocksLeft: null };
    });
    const progress = buildProgress(failed);
    assert.deepEqual(Object.keys(progress).slice(0, 4), ['state', 'error', 'errorDescription', 'canCommit']);
    assert.equal(progress.state, 'FAILED');
    assert.equal(progress.error, 'ChangeStreamHistoryLost');
    assert.equal(progress.errorDescription, 'the resume point fell off the oplog');
    assert.equal(progress.canCommit, false);
    assert.equal(progress.info, null);
    assert.equal(progress.ceaStage, null);
    assert.equal(progress.lag, null);
    assert.equal(progress.lagTimeSeconds, null);
    assert.equal(progress.totalEventsApplied, 42);
    assert.deepEqual(progress.collectionCopy, { estimatedTotalBytes: 694, estimatedCopiedBytes: 694 });
    assert.equal('estimatedOplogTimeRemaining' in progress, false);
  });

  it('other states carry no error fields, and the model\'s warnings follow mongosync\'s', () => {
    const stall: ActivityStall = { call: 'copyWorkUnit #3', error: 'MongoNetworkError', errorDescription: 'connection reset', failures: 10, since: '2026-01-01T00:00:00.000Z' };
    const progress = buildProgress(
      runningInCea((s) => {
        s.sourceWritesBlocked = true;
        s.stalls = [stall];
      }),
    );
    assert.equal('error' in progress, false);
    assert.deepEqual(progress.warnings, [SOURCE_WRITES_BLOCKED_WARNING, stallWarning(stall)]);
  });
});
