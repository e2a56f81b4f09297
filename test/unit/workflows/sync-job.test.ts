// The sync job's pure parts: the state derived from phase and pause, and the upgrade of a state
// carried through continue-as-new by a run from before the state was derived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStartOptionsOrThrow } from '../../../src/sync/start-options';
import { upgradeCarried } from '../../../src/workflows/sync-job';
import { DEFAULT_TUNING, initialBufferState, initialState, syncStateOf, type SyncWorkflowState } from '../../../src/sync/state';

const fresh = (): SyncWorkflowState =>
  initialState('default', parseStartOptionsOrThrow({ source: 'cluster0', destination: 'cluster1' }), DEFAULT_TUNING);

test('the mongosync state is a function of phase and pause', () => {
  const cases: [SyncWorkflowState['phase'], boolean, string][] = [
    ['starting', false, 'RUNNING'],
    ['copying', true, 'PAUSED'],
    ['applying', false, 'RUNNING'],
    ['applying', true, 'PAUSED'],
    ['committing', false, 'COMMITTING'],
    ['committed', false, 'COMMITTED'],
    ['reversing', false, 'REVERSING'],
    ['failed', false, 'FAILED'],
  ];
  for (const [phase, paused, state] of cases) assert.equal(syncStateOf({ phase, paused }), state, `${phase} paused=${paused}`);
});

test('a state carried from the old shape keeps pending commit and reverse requests as phases', () => {
  const old = (extra: Record<string, unknown>): SyncWorkflowState => {
    const { failure: _failure, stalls: _stalls, ...rest } = fresh();
    return { ...rest, state: 'COMMITTING', commitRequested: false, reverseRequested: false, ...extra } as unknown as SyncWorkflowState;
  };
  const committing = upgradeCarried(old({ phase: 'applying', commitRequested: true }));
  assert.equal(committing.phase, 'committing');
  assert.equal(syncStateOf(committing), 'COMMITTING');
  assert.deepEqual([committing.failure, committing.stalls], [null, []]);
  assert.equal('commitRequested' in committing || 'state' in committing, false);
  assert.equal(upgradeCarried(old({ phase: 'committed', reverseRequested: true })).phase, 'reversing');
  assert.equal(upgradeCarried(old({ phase: 'applying', paused: true, state: 'PAUSED' })).phase, 'applying');
  const current = { ...fresh(), phase: 'copying' as const };
  assert.deepEqual(upgradeCarried(current), current, 'a state of the current shape is unchanged');
});

test('a state carried from before the event buffer buffers a copy still to come, and leaves a finished copy alone', () => {
  const withoutBuffer = (phase: SyncWorkflowState['phase']): SyncWorkflowState => {
    const { buffer: _buffer, ...rest } = { ...fresh(), phase };
    return rest as SyncWorkflowState;
  };
  for (const phase of ['starting', 'copying'] as const) {
    const upgraded = upgradeCarried(withoutBuffer(phase));
    assert.deepEqual(upgraded.buffer, initialBufferState(), `${phase}: buffering starts from the start point`);
  }
  for (const phase of ['applying', 'committing', 'committed', 'reversing', 'failed'] as const) {
    assert.equal(upgradeCarried(withoutBuffer(phase)).buffer, null, `${phase}: events come from the stream as before`);
  }
  const current = { ...fresh(), phase: 'applying' as const };
  current.buffer!.handedOver = true;
  assert.deepEqual(upgradeCarried(current).buffer, current.buffer);
});
