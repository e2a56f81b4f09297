// The embedded verifier in the sync workflow, on a real Temporal dev server and worker with stub
// activities (no MongoDB): canCommit waits for the first pass, a mismatch found during change
// event application blocks the commit, a mismatch found by the commit check fails the sync and
// keeps the destination blocked, so does a catalog difference found at commit (after the
// destination's indexes are restored), verification survives continue-as-new, and a sync started
// without it runs none of it. Every wait polls a condition.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import type { SyncController } from '../../src/client/sync-controller';
import { SyncError } from '../../src/sync/errors';
import { SyncStateAttribute } from '../../src/workflows/search-attributes';
import type { SyncTuning } from '../../src/sync/state';
import { pollUntil, waitUntil } from '../support/poll';
import { Gate, stubActivities } from '../support/stub-activities';
import { useStubSync } from '../support/stub-sync';
import type { Progress } from '../../src/sync/progress';

const FAST: Partial<SyncTuning> = { copyConcurrency: 2, heartbeatTimeoutMs: 5_000, stallWarningAttempts: 2, stallRetryDelayMs: 100 };
const START = { source: 'cluster0', destination: 'cluster1' };
const BLOCKING_START = { ...START, reversible: true, enableUserWriteBlocking: true };

const { syncWith, cleanups } = useStubSync({ taskQueuePrefix: 'verify-workflow', tuning: FAST });

async function refused(command: Promise<unknown>, error: string, pattern: RegExp): Promise<void> {
  await assert.rejects(command, (e: unknown) => {
    assert.ok(e instanceof SyncError, String(e));
    assert.equal(e.error, error, e.errorDescription);
    assert.match(e.errorDescription, pattern);
    return true;
  });
}

const phaseOf = (p: Progress) => p.verification?.source.phase;

describe('embedded verifier in the sync workflow', () => {
  test('canCommit stays false until the first pass finished; the commit check runs after the final events, before the destination opens', async () => {
    const stubs = stubActivities({ partitions: 3 });
    const verifyGate = new Gate();
    stubs.override.verifyWorkUnit = async (input) => {
      await verifyGate.open;
      return stubs.defaults.verifyWorkUnit(input);
    };
    const { controller, progress } = await syncWith(stubs);
    await controller.start(BLOCKING_START);
    const copying = await progress((p) => p.info === 'collection copy', 'the copy');
    assert.equal(phaseOf(copying), 'not started', 'the verifier starts once the copy has ended');

    await pollUntil(async () => (stubs.callsOf('verifyWorkUnit').length > 0 ? true : undefined), { what: 'a verification unit in flight' });
    const hashing = await progress((p) => p.info === 'change event application' && (p.totalEventsApplied ?? 0) > 2, 'event application');
    assert.equal(hashing.canCommit, false);
    assert.equal(phaseOf(hashing), 'initial hashing');
    await refused(controller.commit(), 'CannotCommit', /verifier has not finished its first pass/);

    verifyGate.release();
    const ready = await progress((p) => p.canCommit === true, 'canCommit');
    assert.equal(phaseOf(ready), 'stream hashing');
    assert.equal(ready.verification?.source.hashedDocumentCount, 30);
    assert.equal(ready.verification?.source.scannedCollectionCount, 1);
    assert.equal(ready.verification?.source.totalCollectionCount, 1);

    await controller.commit();
    await progress((p) => p.state === 'COMMITTED', 'COMMITTED');
    const order = stubs.calls.map((call) => call.name);
    const check = order.indexOf('verifyAtCommit');
    assert.equal(order.filter((name) => name === 'verifyAtCommit').length, 1);
    assert.ok(check > order.indexOf('resyncDocuments'), 'the check follows the final events and the resync');
    const unblock = stubs.calls.findIndex((call, i) => i > check && call.name === 'setWriteBlocking' && call.input.blocked === false);
    assert.ok(unblock > check, 'the destination opens only after the check passed');
    const applyInputs = stubs.callsOf('applyChangeEvents');
    assert.equal(applyInputs.at(-1)!.recordVerificationChanges, true, 'the applier records what it writes while the verifier runs');
    // The catalog is compared once the destination's indexes and options are restored, before it opens.
    const catalogCheck = order.indexOf('verifyCatalog');
    const restored = stubs.calls.findIndex((call) => call.name === 'finalizeDestination' && call.input.stage === 'beforeCanWrite');
    assert.equal(order.filter((name) => name === 'verifyCatalog').length, 1);
    assert.ok(restored >= 0 && catalogCheck > restored, 'the catalog check follows the restore of the indexes and options');
    assert.ok(unblock > catalogCheck, 'the destination opens only after the catalog check passed');
    assert.equal((await controller.state())!.verification!.catalogNamespaces, 1);
  });

  test('the first pass starts as the copy ends and compares while the indexes build, before change event application', async () => {
    const stubs = stubActivities({ partitions: 3 });
    const indexGate = new Gate();
    stubs.override.buildIndexes = async (input) => {
      await indexGate.open;
      return stubs.defaults.buildIndexes(input);
    };
    const { controller, progress } = await syncWith(stubs);
    // Released before the worker shuts down, whatever the outcome (cleanups run last first).
    cleanups.push(async () => indexGate.release());
    await controller.start(START);
    // Every unit compared while the index build is held: the pass no longer waits for CEA.
    await pollUntil(async () => (stubs.callsOf('verifyWorkUnit').length >= 1 && (await controller.state())?.verification?.passDone ? true : undefined), {
      what: 'the first pass finished during the index build',
    });
    const names = stubs.calls.map((call) => call.name);
    assert.ok(names.includes('buildIndexes'), 'the index build is running');
    assert.ok(!names.includes('applyChangeEvents'), 'change event application has not started');
    assert.equal((await controller.state())!.phase, 'copying');
    indexGate.release();
    const ready = await progress((p) => p.canCommit === true, 'canCommit');
    assert.equal(phaseOf(ready), 'stream hashing');
    assert.equal(ready.verification?.source.hashedDocumentCount, 30);
    assert.equal(stubs.callsOf('applyChangeEvents').at(0)!.recordVerificationChanges, true, 'the applier records what it writes from its first call');
  });

  test('a catalog difference found by the commit check fails the sync with VerificationFailed naming it, the destination kept blocked', async () => {
    const stubs = stubActivities({ partitions: 1 });
    stubs.override.verifyCatalog = async () => ({
      namespaces: 4,
      mismatchCount: 2,
      mismatches: [{ ns: 'app.items', id: null, kind: 'indexMissingOnDestination', detail: "index 'email_1' is missing on the destination" }],
    });
    const { controller, progress } = await syncWith(stubs);
    await controller.start({ ...START, enableUserWriteBlocking: 'destinationOnly', includeNamespaces: [{ database: 'app' }] });
    await progress((p) => p.canCommit === true, 'canCommit');
    await controller.commit();
    const failed = await progress(
      (p) => p.state === 'FAILED' && (p.warnings ?? []).some((w) => /stay blocked because verification failed/.test(w)),
      'FAILED, with the destination kept blocked',
    );
    assert.equal(failed.error, 'VerificationFailed');
    assert.match(String(failed.errorDescription), /verification found 2 catalog differences \(collection options, indexes, views\): app\.items: index 'email_1' is missing on the destination \(and 1 more\)/);
    assert.ok((failed.warnings ?? []).includes("verification mismatch: app.items: index 'email_1' is missing on the destination"), JSON.stringify(failed.warnings));
    const [input] = stubs.callsOf('verifyCatalog');
    assert.deepEqual(input!.includeNamespaces, [{ database: 'app' }], 'the filter applies');
    assert.equal(input!.buildIndexes, 'afterDataCopy');
    const state = (await controller.state())!;
    assert.equal(state.verification!.mismatchCount, 2);
    assert.equal(state.destinationWritesBlocked, true);
    assert.equal(state.commit.canWrite, false);
    const destinationUnblocks = stubs.callsOf('setWriteBlocking').filter((call) => call.cluster === 'cluster1' && call.blocked === false);
    assert.deepEqual(destinationUnblocks, [], 'the destination was never unblocked');
  });

  test('the commit ends the destination follower\'s call in flight instead of waiting for its time to run out', async () => {
    const stubs = stubActivities({ partitions: 1 });
    const ended: string[] = [];
    // A follower call that reads for as long as it is given (an hour here) unless cancelled: the
    // commit would wait for it for an hour if it did not end it.
    stubs.override.followDestinationEvents = async (input) => {
      if (input.drain) return stubs.defaults.followDestinationEvents(input);
      const context = Context.current();
      for (;;) {
        context.heartbeat();
        try {
          await context.sleep(100);
        } catch (error) {
          ended.push('cancelled');
          throw error;
        }
      }
    };
    const { controller, handle, progress } = await syncWith(stubs, { verifyChunkMaxMs: 3_600_000 });
    await controller.start(BLOCKING_START);
    await progress((p) => p.canCommit === true, 'canCommit');
    await waitUntil(async () => stubs.callsOf('followDestinationEvents').length > 0, { what: 'a follower call' });
    await controller.commit();
    await progress((p) => p.state === 'COMMITTED', 'COMMITTED');
    assert.deepEqual(ended, ['cancelled'], 'the follower call in flight was cancelled');
    const drains = stubs.callsOf('followDestinationEvents').filter((call) => call.drain === true);
    assert.ok(drains.length >= 1, 'the commit check still read the destination events up to its point');
    const history = await handle().fetchHistory();
    assert.ok(history.events!.some((event) => event.activityTaskCanceledEventAttributes), 'the cancelled call is in the history');
  });

  test('a commit ends the applier\'s iteration and the follower\'s call together', async () => {
    const stubs = stubActivities({ partitions: 1 });
    // Calls that run until cancelled (heartbeating): the follower's, and the applier's iterations
    // once canCommit holds (the commit's drain, with stopAt, returns at once).
    let holdApplier = false;
    const untilCancelled = async (): Promise<never> => {
      const context = Context.current();
      for (;;) {
        context.heartbeat();
        await context.sleep(100);
      }
    };
    stubs.override.followDestinationEvents = async (input) => (input.drain ? stubs.defaults.followDestinationEvents(input) : untilCancelled());
    stubs.override.applyChangeEvents = async (input) => (holdApplier && input.stopAt === null ? untilCancelled() : stubs.defaults.applyChangeEvents(input));
    const { controller, handle, progress } = await syncWith(stubs, { verifyChunkMaxMs: 3_600_000, applyIterationMs: 3_600_000 });
    await controller.start(BLOCKING_START);
    await progress((p) => p.canCommit === true, 'canCommit');
    holdApplier = true;
    const held = stubs.callsOf('applyChangeEvents').length;
    await waitUntil(async () => stubs.callsOf('applyChangeEvents').length > held && stubs.callsOf('followDestinationEvents').length > 0, {
      what: 'an applier iteration and a follower call in flight',
    });
    await controller.commit();
    await progress((p) => p.state === 'COMMITTED' && p.canWrite === true, 'COMMITTED');

    type Event = {
      eventId?: { toString(): string } | null;
      workflowTaskStartedEventAttributes?: unknown;
      activityTaskCancelRequestedEventAttributes?: { scheduledEventId?: { toString(): string } | null } | null;
      activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
    };
    const events = ((await handle().fetchHistory()).events ?? []) as Event[];
    const nameOf = new Map<string, string>();
    for (const event of events) {
      const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (name) nameOf.set(event.eventId!.toString(), name);
    }
    // the workflow task (counted by its start) in which each cancellation was requested
    let task = 0;
    const cancelledIn = new Map<string, number>();
    for (const event of events) {
      if (event.workflowTaskStartedEventAttributes) task++;
      const of = event.activityTaskCancelRequestedEventAttributes?.scheduledEventId?.toString();
      if (of) cancelledIn.set(nameOf.get(of)!, task);
    }
    assert.ok(cancelledIn.has('applyChangeEvents') && cancelledIn.has('followDestinationEvents'), JSON.stringify([...cancelledIn]));
    assert.equal(cancelledIn.get('followDestinationEvents'), cancelledIn.get('applyChangeEvents'), 'both cancelled in the commit request\'s workflow task');
  });

  test('a mismatch confirmed during change event application is named in /progress and blocks the commit', async () => {
    const stubs = stubActivities({ partitions: 2 });
    stubs.override.verifyWorkUnit = async (input) => ({ ...(await stubs.defaults.verifyWorkUnit(input)), candidates: input.unit === 0 ? 1 : 0 });
    stubs.override.recheckVerification = async () => ({
      candidates: 0,
      deferred: 0,
      mismatchCount: 1,
      mismatches: [{ ns: 'app.items', id: '{"$numberInt":"4"}', kind: 'different' }],
    });
    const { controller, progress } = await syncWith(stubs);
    await controller.start(START);
    const found = await progress((p) => (p.warnings ?? []).some((w) => w.startsWith('verification mismatch')), 'a mismatch warning');
    assert.ok((found.warnings ?? []).includes('verification mismatch: app.items document _id {"$numberInt":"4"} differs between source and destination'));
    await progress((p) => phaseOf(p) === 'stream hashing', 'the first pass done');
    assert.equal((await controller.progress()).canCommit, false);
    await refused(controller.commit(), 'CannotCommit', /verification found 1 mismatch \(first: app\.items document _id \{"\$numberInt":"4"\}/);
  });

  test('candidates are rechecked only once the applier has passed their stamp', async () => {
    const stubs = stubActivities({ partitions: 4 });
    let dueAt: { t: number; i: number } | undefined;
    stubs.override.verifyWorkUnit = async (input) => {
      const result = await stubs.defaults.verifyWorkUnit(input);
      // Stamped 15 applier steps ahead of the applier (each stub step advances the clock by 1 or more).
      const applied = (stubs.callsOf('applyChangeEvents').at(-1)!.checkpoint as { startAt: { t: number } }).startAt.t;
      dueAt ??= { t: applied + 15, i: 1 };
      return { ...result, candidates: 1, firstDetectedAt: dueAt };
    };
    let left = 4;
    stubs.override.recheckVerification = async (input) => {
      const through = input.appliedThrough;
      const decided = dueAt && (through.t > dueAt.t || (through.t === dueAt.t && through.i >= dueAt.i));
      if (decided) left = 0;
      return { candidates: left, deferred: 0, mismatchCount: 0, mismatches: [], nextDueAt: left > 0 ? dueAt! : null };
    };
    const { controller, progress } = await syncWith(stubs, { verifyConcurrency: 1 });
    await controller.start(START);
    const ready = await progress((p) => p.canCommit === true, 'canCommit');
    assert.equal((ready.verification as { source: { phase: string } }).source.phase, 'stream hashing');
    const rechecks = stubs.callsOf('recheckVerification');
    assert.ok(rechecks.length > 0, 'the candidates were rechecked');
    for (const input of rechecks) {
      const through = input.appliedThrough as { t: number; i: number };
      assert.ok(through.t >= dueAt!.t, `a recheck at ${JSON.stringify(through)}, before the earliest stamp ${JSON.stringify(dueAt)}`);
    }
    const state = (await controller.state())!;
    assert.equal(state.verification!.candidates, 0);
  });

  test('candidates a unit finds while a recheck runs are not lost to the recheck\'s count', async () => {
    const stubs = stubActivities({ partitions: 2 });
    const recheckStarted = new Gate();
    const sync: { controller?: SyncController } = {};
    stubs.override.verifyWorkUnit = async (input) => {
      if (input.unit === 1) await recheckStarted.open; // the second unit ends while the first recheck runs
      return { ...(await stubs.defaults.verifyWorkUnit(input)), candidates: 1, firstDetectedAt: { t: 0, i: 0 } };
    };
    stubs.override.recheckVerification = async () => {
      const first = stubs.callsOf('recheckVerification').length === 1;
      if (first) {
        recheckStarted.release();
        // This recheck counted the queue before the second unit recorded its candidate; it
        // returns once the workflow has the second unit's result.
        await pollUntil(async () => ((await sync.controller!.state())?.verification?.unitsDone === 2 ? true : undefined), { what: 'the second unit counted' });
      }
      return { candidates: 0, deferred: 0, mismatchCount: 0, mismatches: [], nextDueAt: null };
    };
    const { controller, progress } = await syncWith(stubs, { verifyConcurrency: 1 });
    sync.controller = controller;
    await controller.start(START);
    await progress((p) => p.canCommit === true, 'canCommit');
    assert.ok(stubs.callsOf('recheckVerification').length >= 2, 'the candidate found during the first recheck was rechecked by another');
  });

  test('a mismatch found by the commit check fails the sync with VerificationFailed and keeps the destination blocked', async () => {
    const stubs = stubActivities({ partitions: 1 });
    stubs.override.verifyAtCommit = async () => ({
      mismatchCount: 3,
      mismatches: [
        { ns: 'app.items', id: '{"$numberInt":"9"}', kind: 'missingOnDestination' },
        { ns: 'app.items', id: '{"$oid":"0000000000000000000000aa"}', kind: 'different' },
      ],
    });
    const { controller, handle, progress } = await syncWith(stubs);
    await controller.start(BLOCKING_START);
    await progress((p) => p.canCommit === true, 'canCommit');
    await controller.commit();
    // FAILED shows at once; the write blocks are released (or kept) right after.
    const failed = await progress(
      (p) => p.state === 'FAILED' && (p.warnings ?? []).some((w) => /stay blocked because verification failed/.test(w)),
      'FAILED, with the destination kept blocked',
    );
    assert.equal(failed.error, 'VerificationFailed');
    assert.match(String(failed.errorDescription), /verification found 3 documents that differ/);
    assert.match(String(failed.errorDescription), /app\.items document _id \{"\$numberInt":"9"\} is missing on the destination/);
    assert.match(String(failed.errorDescription), /and 1 more/);
    const state = (await controller.state())!;
    assert.equal(state.destinationWritesBlocked, true);
    assert.equal(state.sourceWritesBlocked, false);
    assert.equal(state.commit.canWrite, false);
    const destinationUnblocks = stubs.callsOf('setWriteBlocking').filter((input) => input.cluster === 'cluster1' && input.blocked === false);
    assert.deepEqual(destinationUnblocks, [], 'the destination was never unblocked');
    await waitUntil(async () => (await handle().describe()).typedSearchAttributes.get(SyncStateAttribute) === 'FAILED', { what: 'the FAILED search attribute' });

    await controller.clear();
    await waitUntil(async () => stubs.callsOf('setWriteBlocking').some((input) => input.cluster === 'cluster1' && input.blocked === false), {
      what: '/clear releasing the destination',
    });
  });

  test('continue-as-new during verification carries it on: every unit verified once', async () => {
    const partitions = 16;
    const stubs = stubActivities({ partitions });
    const { controller, handle, progress } = await syncWith(stubs, { continueAsNewAfterEvents: 60, verifyConcurrency: 2 });
    await controller.start(START);
    const firstRun = (await handle().describe()).runId;
    const ready = await progress((p) => p.canCommit === true, 'canCommit');
    assert.notEqual((await handle().describe()).runId, firstRun, 'the sync crossed a continue-as-new');
    // a call compares the span [unit, unit + units)
    const units = stubs.callsOf('verifyWorkUnit').flatMap((input) => Array.from({ length: (input.units as number | undefined) ?? 1 }, (_, k) => (input.unit as number) + k));
    assert.equal(new Set(units).size, partitions, 'every unit verified');
    assert.equal(units.length, partitions, 'no unit verified twice');
    assert.ok(stubs.callsOf('verifyWorkUnit').length < partitions, 'small units are compared several to a call');
    assert.equal(ready.verification?.source.hashedDocumentCount, partitions * 10);
    assert.equal(stubs.callsOf('beginVerification').length, 1);
  });

  test('verification {enabled: false}: no verifier activity, /progress.verification is null, the sync commits', async () => {
    const stubs = stubActivities({ partitions: 2 });
    const { controller, progress } = await syncWith(stubs);
    await controller.start({ ...START, verification: { enabled: false } });
    const ready = await progress((p) => p.canCommit === true, 'canCommit');
    assert.equal(ready.verification, null);
    await controller.commit();
    await progress((p) => p.state === 'COMMITTED', 'COMMITTED');
    for (const name of ['beginVerification', 'verifyWorkUnit', 'recheckVerification', 'verifyAtCommit', 'verifyCatalog'] as const) {
      assert.equal(stubs.callsOf(name).length, 0, name);
    }
    assert.ok(stubs.callsOf('applyChangeEvents').every((input) => input.recordVerificationChanges === undefined));
  });
});
