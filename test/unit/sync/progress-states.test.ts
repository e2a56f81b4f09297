// The sync's state as mongosync's /progress object, in each state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgress, canCommit, commitBlocker, eventBufferStage, idleProgress } from '../../../src/sync/progress';
import { DEFAULT_TUNING, initialState, type SyncWorkflowState } from '../../../src/sync/state';
import { parseStartOptionsOrThrow } from '../../../src/sync/start-options';

function running(): SyncWorkflowState {
  const s = initialState('default', parseStartOptionsOrThrow({ source: 'cluster0', destination: 'cluster1' }), DEFAULT_TUNING);
  s.hosts = { cluster0: 'localhost:27017', cluster1: 'localhost:27018' };
  s.startPoint = { t: 1000, i: 1 };
  return s;
}

test('IDLE is the progress of a sync that has not started', () => {
  assert.equal(idleProgress().state, 'IDLE');
});

test('RUNNING during the copy: collection copy, bytes, direction mapping, no commit', () => {
  const s = running();
  s.phase = 'copying';
  s.copy.started = true;
  s.copy.estimatedTotalBytes = 1000;
  s.copy.copiedBytes = 250;
  const progress = buildProgress(s);
  assert.equal(progress.state, 'RUNNING');
  assert.equal(progress.info, 'collection copy');
  assert.equal(progress.canCommit, false);
  assert.equal(progress.canWrite, false);
  assert.deepEqual(progress.collectionCopy, { estimatedTotalBytes: 1000, estimatedCopiedBytes: 250 });
  assert.deepEqual(progress.directionMapping, { Source: 'cluster0: localhost:27017', Destination: 'cluster1: localhost:27018' });
  assert.equal(progress.mongosyncID, 'coordinator');
  assert.match(String(commitBlocker(s)), /copy/);
});

test('canCommit needs a first pass of event application and a small lag', () => {
  const s = running();
  s.verification = null; // the verifier's own gate is tested below
  s.phase = 'applying';
  s.copy = { ...s.copy, started: true, done: true, copiedBytes: 500, estimatedTotalBytes: 500, completedAt: { t: 1010, i: 1 } };
  assert.equal(canCommit(s), false, 'before the first iteration');
  s.apply.iterations = 1;
  s.apply.appliedThrough = { t: 1100, i: 3 };
  s.apply.sourceTime = { t: 1102, i: 1 };
  assert.match(String(commitBlocker(s)), /index builds/, 'buildIndexes afterDataCopy waits for the index builds');
  s.copy.indexBuilding = { indexesBuilt: 2, totalIndexesToBuild: 2, collectionsFinished: 1, collectionsTotal: 1 };
  assert.equal(canCommit(s), true);
  const progress = buildProgress(s);
  assert.equal(progress.info, 'change event application');
  assert.equal(progress.ceaStage, 'steady state');
  assert.equal(progress.lagTimeSeconds, 2);
  assert.deepEqual(progress.collectionCopy, { estimatedTotalBytes: 500, estimatedCopiedBytes: 500 });
  s.apply.sourceTime = { t: 1200, i: 1 };
  assert.equal(canCommit(s), false, 'a 100 second lag blocks the commit');
  assert.match(String(commitBlocker(s)), /100 seconds behind/);
});

test('PAUSED has null lag; COMMITTED reports canWrite and zero lag', () => {
  const s = running();
  s.phase = 'applying';
  s.paused = true;
  s.apply.iterations = 2;
  s.apply.sourceTime = { t: 1005, i: 1 };
  let progress = buildProgress(s);
  assert.equal(progress.lag, null);
  assert.equal(progress.lagTimeSeconds, null);
  s.paused = false;
  s.phase = 'committed';
  s.commit.canWrite = true;
  progress = buildProgress(s);
  assert.equal(progress.info, 'commit completed');
  assert.equal(progress.canWrite, true);
  assert.equal(progress.lagTimeSeconds, 0);
  assert.equal(progress.canCommit, false);
});

test('the oplog is measured from the event buffer during the copy and while it drains, then from the applier', () => {
  const s = running();
  s.phase = 'copying';
  s.copy.started = true;
  s.apply.sourceOplogOldest = null;
  s.buffer!.sourceOplogOldest = { t: 1000 + 3 * 3600, i: 1 };
  // Before the buffer reader's first iteration the start point, long gone, is needed.
  assert.equal(eventBufferStage(s)?.stage, 'buffering');
  assert.equal(buildProgress(s).estimatedOplogTimeRemaining, 'less than 15 minutes');
  s.buffer!.bufferedThrough = { t: 1000 + 5 * 3600, i: 1 };
  assert.equal(buildProgress(s).estimatedOplogTimeRemaining, '2 hours');
  assert.equal(buildProgress(s).warnings, undefined);

  // The copy is done and the buffer handed over: the applier is far behind in the buffer, but the
  // live stream continues from the buffer reader's position.
  s.phase = 'applying';
  s.buffer!.handedOver = true;
  s.apply.checkpoint = { resumeToken: null, startAt: s.buffer!.bufferedThrough, buffer: { nextSeq: 10, end: 500 } };
  s.apply.appliedThrough = { t: 1010, i: 1 };
  s.apply.sourceOplogOldest = { t: 1000 + 4 * 3600, i: 1 };
  assert.deepEqual(eventBufferStage(s), { stage: 'draining', streamPosition: { t: 1000 + 5 * 3600, i: 1 } });
  assert.equal(buildProgress(s).estimatedOplogTimeRemaining, '1 hour', 'the newest oldest-entry reading counts');

  // Drained: the applier's own position.
  s.apply.checkpoint = { resumeToken: null, startAt: { t: 1000 + 6 * 3600, i: 1 }, buffer: { nextSeq: 500, end: 500 } };
  s.apply.appliedThrough = { t: 1000 + 6 * 3600, i: 1 };
  assert.equal(eventBufferStage(s), null);
  assert.equal(buildProgress(s).estimatedOplogTimeRemaining, '2 hours');

  // A run from before the buffer: the applied position, as always.
  s.buffer = null;
  assert.equal(eventBufferStage(s), null);
});

test('verification: null when disabled; "not started" until CEA; canCommit waits for the first pass and any mismatch blocks it', () => {
  const off = initialState('default', parseStartOptionsOrThrow({ source: 'cluster0', destination: 'cluster1', verification: { enabled: false } }), DEFAULT_TUNING);
  off.hosts = { cluster0: 'a:1', cluster1: 'b:2' };
  assert.equal(buildProgress(off).verification, null);

  const s = running();
  s.phase = 'applying';
  s.copy = { ...s.copy, started: true, done: true, collectionsTotal: 3, copiedDocuments: 30, completedAt: { t: 1010, i: 1 } };
  s.copy.indexBuilding = { indexesBuilt: 1, totalIndexesToBuild: 1, collectionsFinished: 1, collectionsTotal: 1 };
  s.apply.iterations = 1;
  s.apply.appliedThrough = { t: 1100, i: 1 };
  s.apply.sourceTime = { t: 1103, i: 1 };
  assert.deepEqual(buildProgress(s).verification?.source, {
    estimatedDocumentCount: 30, hashedDocumentCount: 0, lagTimeSeconds: 0, totalCollectionCount: 3, scannedCollectionCount: 0, phase: 'not started',
  });
  assert.equal(canCommit(s), false);
  assert.match(String(commitBlocker(s)), /verifier has not finished its first pass/);

  const v = s.verification!;
  Object.assign(v, { begun: true, unitsTotal: 2, unitsDone: 1, nextUnit: 2, sourceDocuments: 20, destinationDocuments: 19, collectionsScanned: 2 });
  let progress = buildProgress(s).verification;
  assert.equal(progress?.source.phase, 'initial hashing');
  assert.equal(progress?.source.hashedDocumentCount, 20);
  assert.equal(progress?.destination.hashedDocumentCount, 19);
  assert.match(String(commitBlocker(s)), /1 of 2 work units/);

  Object.assign(v, { unitsDone: 2, passDone: true, candidates: 1, deferred: 0, recheckedThrough: { t: 1100, i: 1 } });
  assert.match(String(commitBlocker(s)), /rechecking 1 document/, 'an undecided candidate holds the commit');
  v.deferred = 1;
  assert.equal(canCommit(s), true, 'a candidate that keeps changing is left to the commit check');
  progress = buildProgress(s).verification;
  assert.equal(progress?.source.phase, 'stream hashing');
  assert.equal(progress?.source.lagTimeSeconds, 3);

  v.mismatchCount = 1;
  v.mismatches = [{ ns: 'app.items', id: '{"$numberInt":"7"}', kind: 'different' }];
  assert.equal(canCommit(s), false);
  assert.match(String(commitBlocker(s)), /app\.items document _id \{"\$numberInt":"7"\} differs/);
  const warnings = buildProgress(s).warnings ?? [];
  assert.ok(warnings.some((w) => /verification mismatch: app\.items document _id/.test(w)), JSON.stringify(warnings));
});
