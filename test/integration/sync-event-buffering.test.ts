// The event buffer reader in the sync workflow, on a real Temporal dev server and worker with
// stub activities (no MongoDB): it runs alongside the copy from the start point, each iteration
// continuing at the previous one's checkpoint (across continue-as-new too), stops when the copy
// is done and while paused, and the applier then starts with the buffer, up to its end.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventBufferCheckpoint, SyncTuning } from '../../src/sync/state';
import { pollUntil, waitUntil } from '../support/poll';
import { Gate, stubActivities, type StubActivities } from '../support/stub-activities';
import { useStubSync } from '../support/stub-sync';

const FAST: Partial<SyncTuning> = { copyConcurrency: 2, heartbeatTimeoutMs: 5_000, stallWarningAttempts: 2, stallRetryDelayMs: 100 };
const START = { source: 'cluster0', destination: 'cluster1' };

// one partition per work unit, so each copy call can be held on its own
const { syncWith } = useStubSync({ taskQueuePrefix: 'buffering', tuning: { ...FAST, unitMaxPartitions: 1 } });

const bufferCheckpoints = (stubs: StubActivities): EventBufferCheckpoint[] =>
  stubs.callsOf('bufferChangeEvents').map((input) => input.checkpoint as EventBufferCheckpoint);

/** Every iteration continued where the previous one ended: seqs 0, 1, 2, ... (the stub buffers one event each). */
function assertConsecutive(stubs: StubActivities): number {
  const seqs = bufferCheckpoints(stubs).map((checkpoint) => checkpoint.nextSeq);
  assert.deepEqual(seqs, seqs.map((_, i) => i), `buffer iterations each start at the previous end: ${JSON.stringify(seqs)}`);
  return seqs.length;
}

interface HistoryEvent {
  eventType?: unknown;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } | null;
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } } | null;
}

async function historyEvents(handle: () => { fetchHistory(): Promise<{ events?: unknown[] | null }> }): Promise<HistoryEvent[]> {
  return ((await handle().fetchHistory()).events ?? []) as HistoryEvent[];
}

const scheduledName = (event: HistoryEvent): string | undefined => event.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined;

/**
 * The first applyChangeEvents call: /progress shows change event application as soon as the
 * workflow reaches it, a moment before the worker runs the activity it scheduled (the verifier's
 * first activity is scheduled in the same workflow task).
 */
function firstApplyCall(stubs: StubActivities): Promise<Record<string, unknown>> {
  return pollUntil(async () => stubs.callsOf('applyChangeEvents')[0], { what: 'the first applyChangeEvents call' });
}

describe('event buffering in the sync workflow', () => {
  test('buffering runs alongside the copy from the start point, stops when the copy is done, and the applier starts with the buffer', async () => {
    const stubs = stubActivities({ partitions: 2 });
    const held = new Gate();
    stubs.override.copyWorkUnit = async (input) => {
      await held.open;
      return stubs.defaults.copyWorkUnit(input);
    };
    const { controller, handle, progress } = await syncWith(stubs);
    await controller.start(START);
    await pollUntil(async () => (stubs.callsOf('bufferChangeEvents').length >= 3 ? true : undefined), { what: 'three buffer iterations during the copy' });
    const startPoint = (await controller.state())!.startPoint;
    assert.deepEqual(bufferCheckpoints(stubs)[0], { resumeToken: null, startAt: startPoint, nextSeq: 0 }, 'the first iteration starts at the start point');
    held.release();
    await progress((p) => p.info === 'change event application' && p.canCommit === true, 'change event application');

    const buffered = assertConsecutive(stubs);
    const state = (await controller.state())!;
    assert.equal(state.buffer?.handedOver, true);
    assert.equal(state.buffer?.checkpoint.nextSeq, buffered);
    const firstApply = (await firstApplyCall(stubs)).checkpoint;
    const { resumeToken, startAt } = state.buffer!.checkpoint;
    assert.deepEqual(firstApply, { resumeToken, startAt, buffer: { nextSeq: 0, end: buffered } }, 'the applier starts with the whole buffer, then the buffer reader position');

    // No buffer iteration is scheduled once change event application has begun.
    const events = await historyEvents(handle);
    const firstApplyAt = events.findIndex((event) => scheduledName(event) === 'applyChangeEvents');
    assert.ok(firstApplyAt > 0);
    assert.equal(events.slice(firstApplyAt).filter((event) => scheduledName(event) === 'bufferChangeEvents').length, 0);
  });

  test('pause stops buffering with the copy; resume starts it again where it stopped', async () => {
    const stubs = stubActivities({ partitions: 4 });
    const gates = [new Gate(), new Gate()];
    stubs.override.copyWorkUnit = async (input) => {
      const index = stubs.callsOf('copyWorkUnit').length - 1;
      if (index < gates.length) await gates[index]!.open;
      return stubs.defaults.copyWorkUnit(input);
    };
    const { controller, handle, progress } = await syncWith(stubs);
    await controller.start(START);
    await pollUntil(async () => (stubs.callsOf('bufferChangeEvents').length >= 2 ? true : undefined), { what: 'buffering during the copy' });
    await controller.pause();
    for (const gate of gates) gate.release();
    await waitUntil(async () => (await controller.state())!.copy.copiedDocuments === 20, { what: 'both held units recorded' });
    // The buffer iteration in flight at the pause ends; once the workflow recorded it, it had its
    // chance to schedule another: it must not have.
    const iterations = bufferCheckpoints(stubs).length;
    await waitUntil(async () => (await controller.state())!.buffer!.iterations === iterations, { what: 'the last buffer iteration recorded' });
    const events = await historyEvents(handle);
    const pausedAt = events.findIndex((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'pause');
    assert.ok(pausedAt > 0, 'the pause is in the history');
    const scheduledAfterPause = events.slice(pausedAt).filter((event) => scheduledName(event) === 'bufferChangeEvents').length;
    assert.ok(scheduledAfterPause === 0, `no buffer iteration was scheduled while paused (${scheduledAfterPause})`);
    assert.equal((await controller.progress()).state, 'PAUSED');

    await controller.resume();
    await progress((p) => p.info === 'change event application', 'change event application');
    assert.ok(bufferCheckpoints(stubs).length > iterations, 'buffering went on after the resume');
    const buffered = assertConsecutive(stubs);
    assert.deepEqual(((await firstApplyCall(stubs)).checkpoint as { buffer?: unknown }).buffer, { nextSeq: 0, end: buffered });
  });

  test('continue-as-new in the middle of the copy carries the buffer on: no event buffered twice or skipped', async () => {
    const stubs = stubActivities({ partitions: 24, bufferPauseMs: 20 });
    const { controller, handle, progress } = await syncWith(stubs, { continueAsNewAfterEvents: 60 });
    await controller.start(START);
    const firstRun = (await handle().describe()).runId;
    await progress((p) => p.info === 'change event application', 'change event application');
    assert.notEqual((await handle().describe()).runId, firstRun, 'the copy crossed at least one continue-as-new');
    const buffered = assertConsecutive(stubs);
    assert.ok(buffered >= 2, `buffering ran (${buffered} iterations)`);
    assert.deepEqual(((await firstApplyCall(stubs)).checkpoint as { buffer?: unknown }).buffer, { nextSeq: 0, end: buffered });
  });
});
