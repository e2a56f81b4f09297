// The sync workflow itself, on a real Temporal dev server and worker, with stub activities (no
// MongoDB): commands in every state, pause and continue-as-new in the middle of the copy, a
// refused start, fatal failures (FAILED, write blocks released, /start refused until cleared)
// and stalled activities (a /progress warning, then healing). Every wait polls a condition.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { SyncError } from '../../src/sync/errors';
import { commitSignal, resumeUpdate } from '../../src/workflows/messages';
import { SyncStateAttribute } from '../../src/workflows/search-attributes';
import { parseStartOptionsOrThrow } from '../../src/sync/start-options';
import { DEFAULT_TUNING, initialState, type SyncTuning } from '../../src/sync/state';
import { pollUntil, waitUntil } from '../support/poll';
import { Gate, stubActivities } from '../support/stub-activities';
import { useStubSync } from '../support/stub-sync';

const FAST: Partial<SyncTuning> = { copyConcurrency: 2, heartbeatTimeoutMs: 5_000, stallWarningAttempts: 2, stallRetryDelayMs: 100 };

const stubSync = useStubSync({ taskQueuePrefix: 'workflow', tuning: FAST });
const { syncWith } = stubSync;

async function refused(command: Promise<unknown>, error: string, pattern: RegExp): Promise<void> {
  await assert.rejects(command, (e: unknown) => {
    assert.ok(e instanceof SyncError, String(e));
    assert.equal(e.error, error, e.errorDescription);
    assert.match(e.errorDescription, pattern);
    return true;
  });
}

const START = { source: 'cluster0', destination: 'cluster1' };
const BLOCKING_START = { ...START, reversible: true, enableUserWriteBlocking: true };

async function scheduledCount(handle: () => { fetchHistory(): Promise<{ events?: unknown[] | null }> }, activity: string): Promise<number> {
  const history = await handle().fetchHistory();
  return (history.events ?? []).filter(
    (event) => (event as { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }).activityTaskScheduledEventAttributes?.activityType?.name === activity,
  ).length;
}

describe('sync workflow with stub activities', () => {
  test('every command is refused in the states that do not allow it, and refused signals change nothing', async () => {
    const stubs = stubActivities({ partitions: 2 });
    const copyGate = new Gate();
    stubs.override.copyWorkUnit = async (input) => {
      await copyGate.open;
      return stubs.defaults.copyWorkUnit(input);
    };
    const { controller, handle, progress } = await syncWith(stubs);

    assert.equal((await controller.progress()).state, 'IDLE');
    for (const command of ['pause', 'resume', 'commit', 'reverse', 'clear'] as const) {
      await refused(controller[command](), 'InvalidState', /IDLE/);
    }

    await controller.start(START);
    await pollUntil(async () => (stubs.callsOf('copyWorkUnit').length > 0 ? true : undefined), { what: 'a work unit in flight' });
    await refused(controller.start(START), 'InvalidState', /already running/);
    await refused(controller.resume(), 'InvalidState', /cannot resume in state RUNNING/);
    await refused(controller.reverse(), 'InvalidState', /cannot reverse in state RUNNING/);
    await refused(controller.clear(), 'InvalidState', /cannot clear in state RUNNING/);
    await refused(controller.commit(), 'CannotCommit', /copy has not finished/);

    await controller.pause();
    assert.equal((await controller.progress()).state, 'PAUSED');
    for (const command of ['pause', 'commit', 'reverse', 'clear'] as const) {
      await refused(controller[command](), 'InvalidState', new RegExp(`cannot ${command} in state PAUSED`));
    }
    // A refused signal is ignored; the update after it is handled after it, in order.
    await handle().signal(commitSignal);
    await handle().executeUpdate(resumeUpdate);
    assert.equal((await controller.progress()).state, 'RUNNING', 'the commit signal sent while PAUSED was ignored');

    copyGate.release();
    await progress((p) => p.canCommit === true, 'canCommit');
    await controller.commit();
    await progress((p) => p.state === 'COMMITTED', 'COMMITTED');
    for (const command of ['pause', 'resume', 'commit', 'clear'] as const) {
      await refused(controller[command](), 'InvalidState', new RegExp(`cannot ${command} in state COMMITTED`));
    }
    await refused(controller.reverse(), 'NotReversible', /reversible/);
  });

  test('commands are refused while COMMITTING', async () => {
    const stubs = stubActivities({ partitions: 1 });
    const drainGate = new Gate();
    stubs.override.applyChangeEvents = async (input) => {
      if (input.stopAt !== null) await drainGate.open;
      return stubs.defaults.applyChangeEvents(input);
    };
    const { controller, progress } = await syncWith(stubs);
    await controller.start(BLOCKING_START);
    await progress((p) => p.canCommit === true, 'canCommit');
    await controller.commit();
    assert.equal((await controller.progress()).state, 'COMMITTING');
    for (const command of ['pause', 'resume', 'commit', 'reverse', 'clear'] as const) {
      await refused(controller[command](), 'InvalidState', new RegExp(`cannot ${command} in state COMMITTING`));
    }
    drainGate.release();
    await progress((p) => p.state === 'COMMITTED', 'COMMITTED');
  });

  test('pause in the middle of the copy launches no work unit until resume; the copy then finishes once', async () => {
    const stubs = stubActivities({ partitions: 4 });
    const gates = [new Gate(), new Gate()];
    stubs.override.copyWorkUnit = async (input) => {
      const index = stubs.callsOf('copyWorkUnit').length - 1;
      if (index < gates.length) await gates[index]!.open;
      return stubs.defaults.copyWorkUnit(input);
    };
    const { controller, handle, progress } = await syncWith(stubs, { copyConcurrency: 2 });
    await controller.start(START);
    await pollUntil(async () => (stubs.callsOf('copyWorkUnit').length === 2 ? true : undefined), { what: 'two work units in flight' });
    await controller.pause();
    for (const gate of gates) gate.release();
    // Once the workflow recorded both chunks, it had its chance to launch more: it must not have.
    await waitUntil(async () => (await controller.state())!.copy.copiedDocuments === 20, { what: 'both work units recorded' });
    assert.equal((await controller.progress()).state, 'PAUSED');
    assert.equal(await scheduledCount(handle, 'copyWorkUnit'), 2, 'no work unit was scheduled while paused');

    await controller.resume();
    await progress((p) => p.info === 'change event application', 'change event application');
    const state = (await controller.state())!;
    assert.equal(state.copy.copiedDocuments, 40);
    assert.equal(stubs.callsOf('copyWorkUnit').length, 4, 'every partition copied once');
  });

  test('continue-as-new in the middle of the copy carries the copy on: every partition copied once', async () => {
    const partitions = 24;
    const stubs = stubActivities({ partitions });
    const { controller, handle, progress } = await syncWith(stubs, { continueAsNewAfterEvents: 40, copyConcurrency: 2 });
    await controller.start(START);
    const firstRun = (await handle().describe()).runId;
    await progress((p) => p.info === 'change event application', 'change event application');
    assert.notEqual((await handle().describe()).runId, firstRun, 'the copy crossed at least one continue-as-new');
    const units = stubs.callsOf('copyWorkUnit').map((input) => input.unit as number);
    assert.equal(units.length, partitions, 'a partition of a split collection is a work unit of its own');
    assert.equal(new Set(units).size, partitions, 'no work unit copied twice');
    assert.equal((await controller.state())!.copy.copiedDocuments, partitions * 10);
  });

  test('a run carried on from before the copy plan moved to the destination finishes its copy lists as it began', async () => {
    const stubs = stubActivities({ partitions: 2 });
    const { controller, handle, progress, taskQueue } = await syncWith(stubs);
    // A state as an older run carried it through continue-as-new: the copy lists in the state.
    const options = parseStartOptionsOrThrow(START);
    const carried = initialState(taskQueue, options, { ...DEFAULT_TUNING, ...FAST });
    const { collectionsTotal: _t, collectionsPlanned: _p, planCursor: _c, planDone: _d, unitsPlanned: _u, nextUnit: _n, unitsDone: _ud, openUnits: _o, partitionsTotal: _pt, partitionsDone: _pd, ...counters } = carried.copy;
    const oldCopy = {
      ...counters,
      started: true,
      estimatedTotalBytes: 400,
      copiedBytes: 100,
      copiedDocuments: 10,
      pendingCollections: [{ db: 'app', coll: 'later', estimatedBytes: 200, documents: 20 }],
      pendingPartitions: [{ id: 1, range: { db: 'app', coll: 'items', min: '10', max: null }, resumeAfter: null }],
      nextPartitionId: 2,
    };
    const old = { ...carried, phase: 'copying', startPoint: { t: 1, i: 1 }, hosts: { cluster0: 'source.example:27017', cluster1: 'destination.example:27017' }, copy: oldCopy };
    await stubSync.env.client.workflow.start('syncWorkflow', {
      workflowId: controller.workflowId,
      taskQueue,
      args: [{ syncId: taskQueue, options, carried: old }],
    });
    const done = await progress((p) => p.canCommit === true, 'canCommit');
    assert.deepEqual(done.collectionCopy, { estimatedTotalBytes: 400, estimatedCopiedBytes: 400 });
    assert.deepEqual(stubs.callsOf('planPartitions').map((input) => input.coll), ['later']);
    assert.deepEqual(
      stubs.callsOf('copyPartitionChunk').map((input) => `${(input.range as { coll: string }).coll}:${(input.range as { min: string | null }).min}`).sort(),
      ['items:10', 'later:10', 'later:null'],
    );
    assert.equal(stubs.callsOf('copyWorkUnit').length, 0, 'the carried run keeps the copy it began with');
    const state = (await controller.state())!;
    assert.equal(state.copy.copiedDocuments, 40);
    assert.equal(await scheduledCount(handle, 'planCopyPage'), 0);
  });

  test('the start steps run as local activities in the first workflow task, in order, before the catalog copy', async () => {
    const stubs = stubActivities({ partitions: 1 });
    const { controller, handle } = await syncWith(stubs);
    await controller.start(BLOCKING_START);
    await pollUntil(async () => (stubs.callsOf('copyCatalog').length > 0 ? true : undefined), { what: 'the catalog copy' });
    assert.deepEqual(
      stubs.calls.slice(0, 4).map((call) => call.name),
      ['preflight', 'setWriteBlocking', 'noteTime', 'copyCatalog'],
      'preflight, the write block and the start point, then the catalog copy',
    );
    type Event = {
      markerRecordedEventAttributes?: { markerName?: string } | null;
      activityTaskScheduledEventAttributes?: { activityType?: { name?: string } | null } | null;
      workflowTaskCompletedEventAttributes?: unknown;
    };
    const events = ((await handle().fetchHistory()).events ?? []) as Event[];
    const firstScheduled = events.findIndex((event) => event.activityTaskScheduledEventAttributes);
    assert.equal(events[firstScheduled]?.activityTaskScheduledEventAttributes?.activityType?.name, 'copyCatalog', 'the first activity scheduled through the server');
    const beforeIt = events.slice(0, firstScheduled);
    assert.equal(beforeIt.filter((event) => event.workflowTaskCompletedEventAttributes).length, 1, 'in the first workflow task');
    assert.equal(beforeIt.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length, 3, 'three local activities');
    const state = (await controller.state())!;
    assert.ok(state.startPoint, 'the start point is recorded');
    assert.equal(state.destinationWritesBlocked, true);
  });

  test('a start refused after the write block was set releases it and leaves the sync IDLE', async () => {
    const stubs = stubActivities();
    stubs.override.noteTime = async () => {
      throw ApplicationFailure.nonRetryable('the source refused to note the start point', 'PreflightFailed');
    };
    const { controller } = await syncWith(stubs);
    await refused(controller.start(BLOCKING_START), 'PreflightFailed', /start point/);
    assert.deepEqual(stubs.callsOf('setWriteBlocking'), [
      { cluster: 'cluster1', blocked: true },
      { cluster: 'cluster1', blocked: false },
    ]);
    assert.equal((await controller.progress()).state, 'IDLE');
  });

  test('a fatal activity failure: FAILED with its error, write blocks released, /start refused until cleared', async () => {
    const stubs = stubActivities({ partitions: 1 });
    stubs.override.applyChangeEvents = async () => {
      throw ApplicationFailure.nonRetryable('the resume point fell off the source oplog', 'ChangeStreamHistoryLost');
    };
    const { controller, handle, progress } = await syncWith(stubs);
    await controller.start(BLOCKING_START);
    const failed = await progress((p) => p.state === 'FAILED', 'FAILED');
    assert.equal(failed.error, 'ChangeStreamHistoryLost');
    assert.match(String(failed.errorDescription), /applyChangeEvents: the resume point fell off the source oplog/);
    assert.equal(failed.canCommit, false);
    assert.deepEqual(failed.collectionCopy, { estimatedTotalBytes: 100, estimatedCopiedBytes: 100 }, 'the counters keep their values');
    // FAILED shows at once; the write block is released after it.
    await waitUntil(async () => (await controller.state())!.destinationWritesBlocked === false, { what: 'the block released' });
    assert.deepEqual(stubs.callsOf('setWriteBlocking').at(-1), { cluster: 'cluster1', blocked: false });
    const description = await handle().describe();
    assert.equal(description.status.name, 'RUNNING', 'the workflow stays open, answering queries');
    assert.deepEqual(description.typedSearchAttributes.get(SyncStateAttribute), 'FAILED');

    await refused(controller.start(START), 'InvalidState', /FAILED \(ChangeStreamHistoryLost: .*clear/);
    for (const command of ['pause', 'resume', 'commit', 'reverse'] as const) {
      await refused(controller[command](), 'InvalidState', /in state FAILED.*ChangeStreamHistoryLost.*c2c-sync clear/);
    }

    await controller.clear();
    assert.equal((await controller.progress()).state, 'IDLE');
    const closed = await handle().describe();
    assert.equal(closed.status.name, 'FAILED', 'a cleared sync ends as a failed workflow, with its error');
    await assert.rejects(handle().result(), (e: unknown) => (e as { cause?: ApplicationFailure }).cause?.type === 'ChangeStreamHistoryLost');

    delete stubs.override.applyChangeEvents;
    await controller.start(START);
    await progress((p) => p.canCommit === true, 'a new sync after clear');
  });

  test('a failure after canWrite releases the source write block and names the failed unique index', async () => {
    const stubs = stubActivities({ partitions: 1 });
    stubs.override.finalizeDestination = async (input) => {
      if (input.stage !== 'afterCanWrite') return 0;
      throw ApplicationFailure.nonRetryable("cannot restore the unique index 'email_1' on app.users: 2 documents share the key {\"email\":\"a@x\"}", 'UniqueIndexConversionFailed');
    };
    const { controller, progress } = await syncWith(stubs);
    await controller.start(BLOCKING_START);
    await progress((p) => p.canCommit === true, 'canCommit');
    await controller.commit();
    const failed = await progress((p) => p.state === 'FAILED', 'FAILED');
    assert.equal(failed.error, 'UniqueIndexConversionFailed');
    assert.match(String(failed.errorDescription), /email_1.*"a@x"/);
    assert.equal(failed.canWrite, true);
    // FAILED shows at once; the blocks are released right after
    await waitUntil(
      async () => {
        const state = (await controller.state())!;
        return !state.sourceWritesBlocked && !state.destinationWritesBlocked;
      },
      { timeoutMs: 30_000, what: 'the write blocks released' },
    );
    assert.deepEqual(
      stubs.callsOf('setWriteBlocking').filter((input) => input.cluster === 'cluster0'),
      [
        { cluster: 'cluster0', blocked: true },
        { cluster: 'cluster0', blocked: false },
      ],
    );
  });

  test('a block that cannot be released is reported with how to release it by hand', async () => {
    const stubs = stubActivities({ partitions: 1 });
    stubs.override.applyChangeEvents = async () => {
      throw ApplicationFailure.nonRetryable('a time-series collection appeared', 'UnsupportedOperation');
    };
    let releaseWorks = false;
    stubs.override.setWriteBlocking = async (input) => {
      if (!input.blocked && !releaseWorks) throw ApplicationFailure.retryable('not primary', 'MongoServerError');
      return input.blocked;
    };
    const { controller, progress } = await syncWith(stubs, { stallWarningAttempts: 1 });
    await controller.start(BLOCKING_START);
    const failed = await progress((p) => p.state === 'FAILED' && Array.isArray(p.warnings), 'FAILED with a warning');
    assert.match((failed.warnings ?? []).join('\n'), /cluster1 \(destination\.example:27017\) are still blocked.*setUserWriteBlockMode: 1, global: false/);
    releaseWorks = true;
    await controller.clear();
    assert.deepEqual(stubs.callsOf('setWriteBlocking').at(-1), { cluster: 'cluster1', blocked: false });
    assert.equal((await controller.progress()).state, 'IDLE');
  });

  test('an activity that keeps failing shows a warning naming the error, and the sync heals when it stops', async () => {
    const stubs = stubActivities({ partitions: 2 });
    let healthy = false;
    stubs.override.copyWorkUnit = async (input) => {
      if (!healthy) throw ApplicationFailure.retryable('connection reset by the destination', 'MongoNetworkError');
      return stubs.defaults.copyWorkUnit(input);
    };
    const { controller, progress } = await syncWith(stubs);
    await controller.start(START);
    const stalled = await progress((p) => Array.isArray(p.warnings) && p.warnings.length > 0, 'a stall warning');
    assert.equal(stalled.state, 'RUNNING');
    assert.match(stalled.warnings?.[0] ?? '', /copyWorkUnit #\d has failed \d+ times in a row .*MongoNetworkError: .*connection reset/);
    healthy = true;
    const healed = await progress((p) => p.info === 'change event application', 'the copy to finish');
    assert.equal(healed.warnings, undefined, 'the warning is gone once the activity succeeds');
  });
});
