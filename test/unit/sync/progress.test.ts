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
  lagSeconds,
  oplogNeededFrom,
  oplogSecondsRemaining,
  withPingLatencies,
} from '../../../src/sync/progress';
import { initialSyncState, type SyncState } from '../../../src/sync/state-types';
import { parseStartOptions, type StartOptions } from '../../../src/sync/start-options';

function options(body: Record<string, unknown> = {}): StartOptions {
  const result = parseStartOptions({ source: 'cluster0', destination: 'cluster1', ...body });
  if (!result.ok) throw new Error(result.error.errorDescription);
  return result.options;
}

const T0 = 1_700_000_000;

/** RUNNING in CEA, caught up, copy finished: commit-ready. */
function runningInCea(overrides: Partial<SyncState> = {}): SyncState {
  return {
    ...initialSyncState(),
    state: 'RUNNING',
    phase: 'changeEventApplication',
    startOptions: options({ buildIndexes: 'beforeDataCopy' }),
    directionMapping: { source: { label: 'cluster0', hostPort: 'localhost:27017' }, destination: { label: 'cluster1', hostPort: 'localhost:27018' } },
    writeBlocking: { mode: 'destinationOnly', destinationBlocked: true, sourceBlocked: false },
    startPoint: { t: T0, i: 1 },
    copy: { started: true, finished: true, estimatedTotalBytes: 600, copiedBytes: 694, partitionsTotal: 3, partitionsDone: 3 },
    copyFinishedAt: { t: T0 + 50, i: 1 },
    changeStream: { resumeToken: { _data: '82AB' }, clusterTime: { t: T0 + 100, i: 1 } },
    lastAppliedEventTime: { t: T0 + 100, i: 1 },
    lastSourceTime: { t: T0 + 102, i: 0 },
    sourceOplogOldest: { t: T0 - 48 * 3600, i: 1 },
    eventsApplied: 42,
    ...overrides,
  };
}

describe('progress: IDLE', () => {
  it('is null everywhere except state and canCommit', () => {
    const progress = buildProgress(initialSyncState());
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
    const progress = buildProgress(runningInCea({ pingLatencyMs: { source: 250.4, destination: -1 } }));
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
      runningInCea({
        phase: 'initializing',
        copy: { ...initialSyncState().copy },
        copyFinishedAt: null,
        changeStream: { resumeToken: null, clusterTime: null },
        lastAppliedEventTime: null,
        lastSourceTime: { t: T0 + 3, i: 0 },
      }),
    );
    assert.equal(progress.info, 'collection copy');
    assert.deepEqual(progress.collectionCopy, { estimatedTotalBytes: 1, estimatedCopiedBytes: 0 });
    assert.equal(progress.ceaStage, null);
    assert.equal(progress.canCommit, false);
    assert.deepEqual(progress.lag, { overallLagSeconds: 3, crudLagSeconds: null, ddlLagSeconds: null });
  });

  it('reports the collection copy drain until the applied position reaches the end of the copy', () => {
    const drain = runningInCea({ changeStream: { resumeToken: null, clusterTime: { t: T0 + 20, i: 0 } }, lastAppliedEventTime: { t: T0 + 20, i: 0 } });
    assert.equal(buildProgress(drain).ceaStage, 'collection copy drain');
    assert.equal(buildProgress(runningInCea()).ceaStage, 'steady state');
  });

  it('shows ddl lag once a DDL event was applied', () => {
    const progress = buildProgress(runningInCea({ lastAppliedDdlTime: { t: T0 + 90, i: 0 } }));
    assert.deepEqual(progress.lag, { overallLagSeconds: 2, crudLagSeconds: 2, ddlLagSeconds: 2 });
  });

  it('includes indexBuilding only in CEA with after-copy index modes', () => {
    const building = { indexesBuilt: 1, totalIndexesToBuild: 3, collectionsFinished: 0, collectionsTotal: 2 };
    const afterCopy = runningInCea({ startOptions: options({ buildIndexes: 'afterDataCopy' }), indexBuilding: building });
    const progress = buildProgress(afterCopy);
    assert.deepEqual(progress.indexBuilding, building);
    assert.equal(progress.canCommit, false, 'commit waits for after-copy index builds');
    assert.match(commitBlocker(afterCopy) ?? '', /index builds/);
    assert.equal('indexBuilding' in buildProgress(runningInCea({ indexBuilding: building })), false);
    const done = { indexesBuilt: 3, totalIndexesToBuild: 3, collectionsFinished: 2, collectionsTotal: 2 };
    assert.equal(canCommit({ ...afterCopy, indexBuilding: done }), true);
  });

  it('warns when the oplog window is small and when source writes are blocked', () => {
    const progress = buildProgress(runningInCea({ sourceOplogOldest: { t: T0 + 100 - 600, i: 0 }, writeBlocking: { mode: 'sourceAndDestination', destinationBlocked: true, sourceBlocked: true } }));
    assert.equal(progress.estimatedOplogTimeRemaining, 'less than 15 minutes');
    assert.deepEqual(progress.warnings, [LOW_OPLOG_WARNING, SOURCE_WRITES_BLOCKED_WARNING]);
    assert.equal('warnings' in buildProgress(runningInCea()), false);
    assert.equal(buildProgress(runningInCea({ sourceOplogOldest: null })).estimatedOplogTimeRemaining, 'not checked yet');
  });

  it('measures the oplog from the event buffer reader during the copy, not from the start point', () => {
    // A copy that has run for three days: the start point left the oplog long ago, but the
    // buffer reader is 10 minutes behind and the oplog holds 2 hours.
    const copying: SyncState = {
      ...runningInCea(),
      phase: 'collectionCopy',
      copy: { started: true, finished: false, estimatedTotalBytes: 600, copiedBytes: 100, partitionsTotal: 3, partitionsDone: 1 },
      copyFinishedAt: null,
      changeStream: { resumeToken: null, clusterTime: null },
      lastAppliedEventTime: null,
      lastSourceTime: null,
      eventBuffer: { stage: 'buffering', streamPosition: { t: T0 + 72 * 3600 - 600, i: 1 } },
      sourceOplogOldest: { t: T0 + 70 * 3600, i: 1 },
    };
    assert.deepEqual(oplogNeededFrom(copying), { t: T0 + 72 * 3600 - 600, i: 1 });
    assert.equal(oplogSecondsRemaining(copying), 2 * 3600 - 600);
    const progress = buildProgress(copying);
    assert.equal(progress.estimatedOplogTimeRemaining, '1 hour');
    assert.equal(progress.warnings, undefined, 'no low-oplog warning: the buffer reader is well inside the window');
    // The same copy without a buffer needs the start point, which is gone.
    const unbuffered = buildProgress({ ...copying, eventBuffer: null });
    assert.equal(unbuffered.estimatedOplogTimeRemaining, 'less than 15 minutes');
    assert.deepEqual(unbuffered.warnings, [LOW_OPLOG_WARNING]);
    // A buffer reader that falls behind the window is warned about.
    const lagging = buildProgress({ ...copying, eventBuffer: { stage: 'buffering', streamPosition: { t: T0 + 70 * 3600 + 60, i: 1 } } });
    assert.deepEqual(lagging.warnings, [LOW_OPLOG_WARNING]);
    // Before the buffer reader's first iteration, the start point is what is needed.
    assert.deepEqual(oplogNeededFrom({ ...copying, eventBuffer: { stage: 'buffering', streamPosition: null } }), { t: T0, i: 1 });
  });

  it('while the buffer drains, measures from where the live stream continues, not from the applied events', () => {
    const draining = runningInCea({
      changeStream: { resumeToken: { _data: '82AB' }, clusterTime: { t: T0 + 10, i: 1 } },
      lastAppliedEventTime: { t: T0 + 10, i: 1 },
      eventBuffer: { stage: 'draining', streamPosition: { t: T0 + 5000, i: 1 } },
      sourceOplogOldest: { t: T0 + 1000, i: 1 },
    });
    assert.equal(oplogSecondsRemaining(draining), 4000);
    assert.equal(buildProgress(draining).estimatedOplogTimeRemaining, '1 hour');
    assert.equal(oplogSecondsRemaining({ ...draining, eventBuffer: null }), 0, 'without the buffer the applied position is needed');
  });

  it('reports estimatedSecondsToCEACatchup after the oplog estimate, only while RUNNING in CEA', () => {
    const progress = buildProgress(runningInCea({ ceaCatchupSeconds: 40 }));
    assert.equal(progress.estimatedSecondsToCEACatchup, 40);
    const keys = Object.keys(progress);
    assert.equal(keys.indexOf('estimatedSecondsToCEACatchup'), keys.indexOf('estimatedOplogTimeRemaining') + 1);
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(runningInCea({ ceaCatchupSeconds: null })), false, 'left out while the lag does not fall');
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(runningInCea({ ceaCatchupSeconds: 40, state: 'PAUSED' })), false);
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(runningInCea({ ceaCatchupSeconds: 40, phase: 'collectionCopy' })), false);
    assert.equal('estimatedSecondsToCEACatchup' in buildProgress(runningInCea({ ceaCatchupSeconds: 40, state: 'COMMITTING', phase: 'commitDraining' })), false);
  });

  it('takes ping latencies measured outside the workflow, by the roles in directionMapping', () => {
    const progress = buildProgress(runningInCea()) as unknown as Record<string, unknown>;
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
    const idle = buildProgress(initialSyncState()) as unknown as Record<string, unknown>;
    assert.deepEqual(withPingLatencies(idle, { cluster0: 5, cluster1: 5 }), idle, 'IDLE stays null everywhere');
    const extra = withPingLatencies({ ...progress, laterField: 1 }, { cluster0: 5 });
    assert.equal(extra.laterField, 1, 'fields it does not know are kept');
  });

  it('leaves out ping latency below 1 ms or not measured', () => {
    const progress = buildProgress(runningInCea({ pingLatencyMs: { source: 0.4, destination: null } }));
    assert.equal('source' in progress, false);
    assert.equal('destination' in progress, false);
  });
});

describe('progress: canCommit', () => {
  it('needs RUNNING, CEA, the copy finished and lag <= 30 s', () => {
    assert.equal(canCommit(runningInCea()), true);
    assert.equal(commitBlocker(runningInCea()), null);
    assert.match(commitBlocker(runningInCea({ state: 'PAUSED' })) ?? '', /PAUSED/);
    assert.match(commitBlocker(runningInCea({ phase: 'collectionCopy', copy: { ...runningInCea().copy, finished: false } })) ?? '', /copy/);
    const lagging = runningInCea({ lastSourceTime: { t: T0 + 100 + MAX_COMMIT_LAG_SECONDS + 1, i: 0 } });
    assert.match(commitBlocker(lagging) ?? '', /31 seconds behind/);
    assert.equal(canCommit(runningInCea({ lastSourceTime: { t: T0 + 100 + MAX_COMMIT_LAG_SECONDS, i: 5 } })), true);
  });

  it('lag is never negative and uses the newest applied position', () => {
    assert.equal(lagSeconds(runningInCea({ lastSourceTime: { t: T0, i: 0 } })), 0);
    assert.equal(lagSeconds(runningInCea({ lastAppliedEventTime: { t: T0 + 101, i: 0 } })), 1);
    assert.equal(lagSeconds(runningInCea({ lastSourceTime: null })), 0);
  });
});

describe('progress: other states', () => {
  it('PAUSED: lag and lagTimeSeconds null, info of the paused phase, no ceaStage', () => {
    const progress = buildProgress(runningInCea({ state: 'PAUSED' }));
    assert.equal(progress.lag, null);
    assert.equal(progress.lagTimeSeconds, null);
    assert.equal(progress.info, 'change event application');
    assert.equal(progress.ceaStage, null);
    assert.equal(progress.canCommit, false);
    assert.equal('estimatedOplogTimeRemaining' in progress, false);
  });

  it('COMMITTING: waiting for commit to complete, lag still reported', () => {
    const progress = buildProgress(runningInCea({ state: 'COMMITTING', phase: 'commitDraining', commitPoint: { t: T0 + 102, i: 0 } }));
    assert.equal(progress.info, 'waiting for commit to complete');
    assert.equal(progress.lagTimeSeconds, 2);
    assert.equal(progress.canCommit, false);
    assert.equal(progress.canWrite, false);
    const opened = buildProgress(runningInCea({ state: 'COMMITTING', phase: 'commitRestoring', canWrite: true }));
    assert.equal(opened.canWrite, true);
  });

  it('COMMITTED: commit completed, lag 0, canWrite true', () => {
    const progress = buildProgress(runningInCea({ state: 'COMMITTED', phase: 'committed', canWrite: true, lastSourceTime: { t: T0 + 500, i: 0 } }));
    assert.equal(progress.info, 'commit completed');
    assert.equal(progress.lagTimeSeconds, 0);
    assert.deepEqual(progress.lag, { overallLagSeconds: 0, crudLagSeconds: 0, ddlLagSeconds: null });
    assert.equal(progress.canWrite, true);
    assert.equal(progress.canCommit, false);
  });

  it('COMMITTED with dual blocking keeps warning that source writes are blocked', () => {
    const progress = buildProgress(
      runningInCea({ state: 'COMMITTED', phase: 'committed', canWrite: true, writeBlocking: { mode: 'sourceAndDestination', destinationBlocked: false, sourceBlocked: true } }),
    );
    assert.deepEqual(progress.warnings, [SOURCE_WRITES_BLOCKED_WARNING]);
  });

  it('REVERSING: info and lag null, directionMapping as stored', () => {
    const progress = buildProgress(runningInCea({ state: 'REVERSING', phase: 'reversing' }));
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
        const report = collectionCopyProgress({ started: true, finished, estimatedTotalBytes: estimate, copiedBytes: copied, partitionsTotal: 1, partitionsDone: 0 });
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
    const states = ['RUNNING', 'PAUSED', 'COMMITTING', 'COMMITTED', 'REVERSING'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.boolean(), fc.option(fc.nat(1000)), (state, canWrite, lagAdd) => {
        const progress = buildProgress(runningInCea({ state, canWrite, lastSourceTime: lagAdd === null ? null : { t: T0 + 100 + lagAdd, i: 0 } }));
        assert.deepEqual(JSON.parse(JSON.stringify(progress)), progress);
        for (const value of Object.values(progress)) assert.notEqual(value, undefined);
        if (progress.lag !== null) assert.equal(progress.lag.overallLagSeconds, progress.lagTimeSeconds);
      }),
    );
  });
});

describe('progress: FAILED', () => {
  it('names the error right after the state, keeps the counters, and has no lag, info or commit', () => {
    const failed = runningInCea({
      state: 'FAILED',
      phase: 'failed',
      lastError: { error: 'ChangeStreamHistoryLost', errorDescription: 'the resume point fell off the oplog' },
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
    const progress = buildProgress(runningInCea({ writeBlocking: { mode: 'sourceAndDestination', destinationBlocked: true, sourceBlocked: true }, warnings: ['copyPartitionChunk stalled'] }));
    assert.equal('error' in progress, false);
    assert.deepEqual(progress.warnings, [SOURCE_WRITES_BLOCKED_WARNING, 'copyPartitionChunk stalled']);
  });
});
