// How the sync workflow calls its activities: timeouts and retry policies in one place.
//
// The Temporal server retries an activity by itself and the workflow sees none of the attempts.
// So that an activity failing again and again (a stall) does not look like growing lag, every
// activity the sync needs to make progress runs with a bounded number of attempts; when they are
// used up, the workflow records a warning and schedules the activity again after a pause (see
// SyncJob.call). Errors that retrying cannot heal are non-retryable and fail the sync at once.
import { ActivityCancellationType, ActivityFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import { NON_RETRYABLE_ERROR_NAMES } from '../sync/errors';
import type { SyncTuning } from '../sync/state';
import type { CompletionOrder } from './completion-order';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_NAMES];

/** Attempts at releasing a write block after a failure before the sync reports it left set. */
const RELEASE_ATTEMPTS = 5;

/** Each call's result is delivered in turn (completion-order.ts); local activities run one at a time anyway. */
function inTurn<T extends object>(calls: T, order: CompletionOrder | undefined): T {
  if (!order?.enabled) return calls;
  const wrapped: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(calls)) {
    wrapped[name] = name === 'local' ? call : (...args: unknown[]) => order.settle((call as (...a: unknown[]) => Promise<unknown>)(...args));
  }
  return wrapped as T;
}

export function activitiesFor(tuning: SyncTuning, order?: CompletionOrder) {
  return inTurn(proxiesFor(tuning), order);
}

function proxiesFor(tuning: SyncTuning) {
  const retry = {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: tuning.stallWarningAttempts,
    nonRetryableErrorTypes,
  };
  const quick = proxyActivities<SyncActivities>({ startToCloseTimeout: '2 minutes', retry });
  const long = proxyActivities<SyncActivities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: tuning.heartbeatTimeoutMs,
    retry,
  });
  // A commit cancels the running change event application (and the verifier's follower of the
  // destination) to end it early; the workflow waits for the activity to end, with the checkpoint
  // it reached.
  const endable = proxyActivities<SyncActivities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: tuning.heartbeatTimeoutMs,
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const preflightRetry = { maximumAttempts: 2, nonRetryableErrorTypes };
  // The start's short steps (preflight, the destination's write block, the start point) run as
  // local activities: in the workflow task that starts the sync, on the worker that runs it,
  // without a round trip through the server and a workflow task of their own each (patch
  // start-in-first-task in sync-job.ts). Same timeouts and retries as the activities below.
  const local = {
    preflight: proxyLocalActivities<SyncActivities>({ startToCloseTimeout: '2 minutes', retry: preflightRetry }).preflight,
    setWriteBlocking: proxyLocalActivities<SyncActivities>({ startToCloseTimeout: '2 minutes', retry }).setWriteBlocking,
    noteTime: proxyLocalActivities<SyncActivities>({ startToCloseTimeout: '2 minutes', retry }).noteTime,
  };
  return {
    local,
    preflight: proxyActivities<SyncActivities>({
      startToCloseTimeout: '2 minutes',
      retry: preflightRetry,
    }).preflight,
    noteTime: quick.noteTime,
    setWriteBlocking: quick.setWriteBlocking,
    // its _id sample or walk of the _id index heartbeats: a stuck attempt is retried, not awaited for minutes
    planPartitions: long.planPartitions,
    copyCatalog: long.copyCatalog,
    buildIndexes: long.buildIndexes,
    copyPartitionChunk: long.copyPartitionChunk,
    planCopyPage: long.planCopyPage,
    copyWorkUnit: long.copyWorkUnit,
    applyChangeEvents: endable.applyChangeEvents,
    bufferChangeEvents: long.bufferChangeEvents,
    resyncDocuments: long.resyncDocuments,
    finalizeDestination: long.finalizeDestination,
    beginVerification: long.beginVerification,
    verifyWorkUnit: long.verifyWorkUnit,
    recheckVerification: long.recheckVerification,
    verifyAtCommit: long.verifyAtCommit,
    verifyCatalog: long.verifyCatalog,
    beginDestinationEvents: long.beginDestinationEvents,
    followDestinationEvents: endable.followDestinationEvents,
    /** setWriteBlocking for releasing blocks after a failure: a bounded number of tries */
    releaseWriteBlocking: proxyActivities<SyncActivities>({
      startToCloseTimeout: '2 minutes',
      retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: RELEASE_ATTEMPTS, nonRetryableErrorTypes },
    }).setWriteBlocking,
  };
}

export type SyncActivityCalls = ReturnType<typeof activitiesFor>;

/** True when the server gave up on an activity that might still succeed later. */
export function retriesExhausted(error: unknown): error is ActivityFailure {
  return error instanceof ActivityFailure && (error.retryState === 'MAXIMUM_ATTEMPTS_REACHED' || error.retryState === 'TIMEOUT');
}
