// Presents the workflow's operational state in the progress model of src/sync/progress.ts,
// which builds mongosync's /progress object and the canCommit rule.
import { buildProgress as buildProgressFromModel, commitBlocker as modelCommitBlocker } from '../sync/progress';
import { estimateSecondsToCatchup } from '../sync/cea-catchup';
import { mismatchWarnings, verificationCommitBlocker, verificationProgress } from '../sync/verification';
import { maxClusterTime } from '../sync/vocabulary';
import { DEFAULT_MONGOSYNC_ID, initialSyncState, type EventBufferProgress, type SyncPhase, type SyncState } from '../sync/state-types';
import { partitionCounts, syncStateOf, type ActivityStall, type SyncPhase as WorkflowPhase, type SyncWorkflowState } from '../sync/state';

const PHASES: Record<Exclude<WorkflowPhase, 'committing'>, SyncPhase> = {
  starting: 'initializing',
  copying: 'collectionCopy',
  applying: 'changeEventApplication',
  committed: 'committed',
  reversing: 'reversing',
  failed: 'failed',
};

/** The /progress warning of an activity that keeps failing. */
export function stallWarning(stall: ActivityStall): string {
  return (
    `${stall.call} has failed ${stall.failures} times in a row since ${stall.since} and is being retried; ` +
    `last error ${stall.error}: ${stall.errorDescription}`
  );
}

export function progressModel(s: SyncWorkflowState): SyncState {
  const mongosyncID = s.syncId === 'default' ? DEFAULT_MONGOSYNC_ID : s.syncId;
  const sourceHost = s.hosts[s.source];
  const destinationHost = s.hosts[s.destination];
  const partitions = partitionCounts(s.copy);
  return {
    ...initialSyncState(mongosyncID),
    state: syncStateOf(s),
    phase: s.phase === 'committing' ? (s.commit.canWrite ? 'commitRestoring' : 'commitDraining') : PHASES[s.phase],
    startOptions: s.options,
    directionMapping:
      sourceHost && destinationHost
        ? { source: { label: s.source, hostPort: sourceHost }, destination: { label: s.destination, hostPort: destinationHost } }
        : null,
    writeBlocking: {
      mode: s.options.writeBlocking,
      destinationBlocked: s.destinationWritesBlocked,
      sourceBlocked: s.sourceWritesBlocked,
    },
    startPoint: s.startPoint,
    commitPoint: s.commit.point,
    copy: {
      started: s.copy.started,
      finished: s.copy.done,
      estimatedTotalBytes: s.copy.estimatedTotalBytes,
      copiedBytes: s.copy.copiedBytes,
      partitionsTotal: partitions.total,
      partitionsDone: partitions.done,
    },
    copyFinishedAt: s.copy.completedAt,
    changeStream: { resumeToken: s.apply.checkpoint.resumeToken, clusterTime: s.apply.appliedThrough },
    eventBuffer: eventBufferProgress(s),
    lastAppliedEventTime: s.apply.appliedThrough,
    lastAppliedDdlTime: s.apply.lastDdlAppliedAt,
    lastSourceTime: s.apply.sourceTime,
    sourceOplogOldest: maxClusterTime(s.apply.sourceOplogOldest, s.buffer?.sourceOplogOldest ?? null),
    eventsApplied: s.apply.eventsApplied,
    indexBuilding: s.copy.indexBuilding,
    canWrite: s.commit.canWrite,
    ceaCatchupSeconds: estimateSecondsToCatchup(s.apply.lagSamples ?? []),
    reversals: s.reversals,
    lastError: s.failure && { error: s.failure.error, errorDescription: s.failure.errorDescription },
    warnings: [...s.stalls.map(stallWarning), ...(s.failure?.blocksLeft ? [s.failure.blocksLeft] : []), ...mismatchWarnings(s.verification ?? null)],
    verification: s.verification
      ? verificationProgress(s.verification, {
          estimatedDocuments: s.copy.copiedDocuments,
          collectionsTotal: s.copy.collectionsTotal,
          sourceTime: s.apply.sourceTime,
        })
      : null,
    verificationBlocker: verificationCommitBlocker(s.verification ?? null),
  };
}

/** Where the event buffer stands, while the copy runs or its events are still being applied. */
function eventBufferProgress(s: SyncWorkflowState): EventBufferProgress | null {
  const buffer = s.buffer;
  if (!buffer) return null;
  const streamPosition = buffer.bufferedThrough ?? s.startPoint;
  if (!buffer.handedOver) return s.phase === 'copying' || s.phase === 'applying' ? { stage: 'buffering', streamPosition } : null;
  const position = s.apply.checkpoint.buffer;
  return position && position.nextSeq < position.end ? { stage: 'draining', streamPosition } : null;
}

/** Why /commit would be refused now, or null when canCommit is true. */
export function commitBlocker(s: SyncWorkflowState): string | null {
  if (syncStateOf(s) === 'RUNNING' && s.phase === 'applying' && s.apply.iterations === 0) {
    return 'change event application has not completed its first pass yet';
  }
  return modelCommitBlocker(progressModel(s));
}

export function canCommit(s: SyncWorkflowState): boolean {
  return commitBlocker(s) === null;
}

export function buildProgress(s: SyncWorkflowState): Record<string, unknown> {
  const progress = buildProgressFromModel(progressModel(s));
  return { ...progress, canCommit: progress.canCommit && canCommit(s) };
}

/** The progress object when no sync runs. */
export function idleProgress(): Record<string, unknown> {
  return { ...buildProgressFromModel(initialSyncState()) };
}
