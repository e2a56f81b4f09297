// The durable state of one sync, carried through continue-as-new. JSON-serializable: BSON values
// appear as canonical Extended JSON strings, cluster times as {t, i}.
import type { LagSample } from './cea-catchup';
import type { ClusterLabel, ClusterTime, PartitionRange, ResumeToken, SyncStateName } from './vocabulary';
import type { StartOptions } from './start-options';
import { initialVerificationState, type VerificationState } from './verification';

/**
 * Where the sync's work stands; the main loop runs the step of the phase. With `paused` and
 * `failure` it determines the mongosync state (see syncStateOf in sync-job.ts).
 */
export type SyncPhase = 'starting' | 'copying' | 'applying' | 'committing' | 'committed' | 'reversing' | 'failed';

/** The validated, normalised /start options. */
export type SyncOptions = StartOptions;

/** Knobs with production defaults; tests shrink them. */
export interface SyncTuning {
  copyConcurrency: number;
  partitionTargetBytes: number;
  maxPartitionsPerCollection: number;
  copyBatchSize: number;
  copyChunkMaxMs: number;
  applyIterationMs: number;
  applyBatchEvents: number;
  /** apply and buffer batches end once their events' BSON sizes add up to this */
  applyBatchBytes: number;
  /** how long one iteration of the event buffer reader runs */
  bufferIterationMs: number;
  heartbeatTimeoutMs: number;
  /** continue-as-new past this many history events even if the server does not suggest it */
  continueAsNewAfterEvents: number;
  /** attempts the Temporal server makes at an activity before the workflow warns of a stall */
  stallWarningAttempts: number;
  /** how long the workflow waits before it schedules a stalled activity again */
  stallRetryDelayMs: number;
  /** collections one planCopyPage activity plans, at most */
  planPageCollections: number;
  /** partitions one planCopyPage activity plans, about (a page ends at the collection reaching it) */
  planPagePartitions: number;
  /** partitions one copyWorkUnit activity copies, at most (small collections are packed together) */
  unitMaxPartitions: number;
  /** estimated bytes of the small collections packed into one work unit, about */
  unitMaxBytes: number;
  /** collections whose indexes buildIndexes builds at once */
  indexBuildConcurrency: number;
  /** verification work units compared at once (the embedded verifier) */
  verifyConcurrency: number;
  /** documents per comparison batch of the verifier */
  verifyBatchSize: number;
  /** how long one verifyWorkUnit activity runs before it returns its resume point */
  verifyChunkMaxMs: number;
}

export const DEFAULT_TUNING: SyncTuning = {
  copyConcurrency: 4,
  partitionTargetBytes: 64 * 1024 * 1024,
  maxPartitionsPerCollection: 512,
  copyBatchSize: 1000,
  copyChunkMaxMs: 10_000,
  applyIterationMs: 5_000,
  applyBatchEvents: 1000,
  applyBatchBytes: 16 * 1024 * 1024,
  bufferIterationMs: 5_000,
  heartbeatTimeoutMs: 30_000,
  continueAsNewAfterEvents: 8_000,
  stallWarningAttempts: 10,
  stallRetryDelayMs: 30_000,
  planPageCollections: 500,
  planPagePartitions: 1024,
  unitMaxPartitions: 50,
  unitMaxBytes: 64 * 1024 * 1024,
  indexBuildConcurrency: 8,
  verifyConcurrency: 2,
  verifyBatchSize: 1000,
  verifyChunkMaxMs: 10_000,
};

export interface PendingPartition {
  id: number;
  range: PartitionRange;
  /** the last _id copied (exclusive resume point), null before the first chunk */
  resumeAfter: string | null;
}

export interface PendingCollection {
  db: string;
  coll: string;
  estimatedBytes: number;
  documents: number;
}

/** Reported as /progress.indexBuilding with the after-copy index modes. */
export interface IndexBuildProgress {
  indexesBuilt: number;
  totalIndexesToBuild: number;
  collectionsFinished: number;
  collectionsTotal: number;
}

/** Where a work unit's copy resumes: at its partition `partition`, after `resumeAfter`. */
export interface UnitResume {
  partition: number;
  /** canonical EJSON of the last _id copied in that partition; null = from its start */
  resumeAfter: string | null;
}

/** A work unit started and not finished (running, or interrupted by a pause or continue-as-new). */
export interface OpenUnit {
  unit: number;
  /** null = from the unit's start */
  resume: UnitResume | null;
}

/**
 * The copy of a run from before the copy plan moved to the destination, carried on as it was
 * (legacy-copy.ts): its lists fit the payload limit when it started, so they still do.
 */
export interface LegacyCopyState {
  pendingCollections: PendingCollection[];
  pendingPartitions: PendingPartition[];
  nextPartitionId: number;
}

/**
 * The copy phase. The plan (collections, their ranges, the work units) is on the destination
 * (src/sync/copy-plan.ts); this holds cursors into it and counters, and only the units in flight,
 * so its size does not grow with the number of collections or partitions.
 */
export interface CopyState {
  /** included collections, as the catalog copy recorded them */
  collectionsTotal: number;
  collectionsPlanned: number;
  /** plan key of the last collection planned; null before the first page */
  planCursor: string | null;
  /** every collection is planned */
  planDone: boolean;
  /** units [0, unitsPlanned) are recorded on the destination */
  unitsPlanned: number;
  /** units below this one have been started */
  nextUnit: number;
  unitsDone: number;
  /** started and not finished: at most copyConcurrency of them */
  openUnits: OpenUnit[];
  /** partitions planned so far, and copied */
  partitionsTotal: number;
  partitionsDone: number;
  estimatedTotalBytes: number;
  copiedBytes: number;
  copiedDocuments: number;
  /** the copy has begun (estimates are known) */
  started: boolean;
  done: boolean;
  /** source time when the copy finished: events before it belong to the copy drain */
  completedAt: ClusterTime | null;
  /** progress of the index builds after the data copy (buildIndexes afterDataCopy modes) */
  indexBuilding: IndexBuildProgress | null;
  legacy?: LegacyCopyState;
}

export function initialCopyState(): CopyState {
  return {
    collectionsTotal: 0,
    collectionsPlanned: 0,
    planCursor: null,
    planDone: false,
    unitsPlanned: 0,
    nextUnit: 0,
    unitsDone: 0,
    openUnits: [],
    partitionsTotal: 0,
    partitionsDone: 0,
    estimatedTotalBytes: 1,
    copiedBytes: 0,
    copiedDocuments: 0,
    started: false,
    done: false,
    completedAt: null,
    indexBuilding: null,
  };
}

/** Partitions planned and copied, whichever way the copy runs. */
export function partitionCounts(copy: CopyState): { total: number; done: number } {
  if (copy.legacy) return { total: copy.legacy.nextPartitionId, done: copy.legacy.nextPartitionId - copy.legacy.pendingPartitions.length };
  return { total: copy.partitionsTotal, done: copy.partitionsDone };
}

export interface ChangeStreamCheckpoint {
  /** resume after this token; null before the first event or high-water mark was seen */
  resumeToken: ResumeToken | null;
  /** with no token, start at this source time (inclusive) */
  startAt: ClusterTime | null;
}

/** Where the buffer reader continues: a stream position and the seq its next event gets. */
export interface EventBufferCheckpoint extends ChangeStreamCheckpoint {
  nextSeq: number;
}

/** The applier's way through the event buffer: entries from nextSeq up to (not including) end. */
export interface BufferPosition {
  nextSeq: number;
  end: number;
}

export interface ApplyCheckpoint extends ChangeStreamCheckpoint {
  /**
   * While present, the buffered events from buffer.nextSeq to buffer.end come first; the stream
   * position is then the buffer reader's final one, where the live stream continues. Once
   * drained (nextSeq = end) the next iteration drops the buffer and this field.
   */
  buffer?: BufferPosition;
}

/** The event buffer reader that runs alongside the copy (docs/event-buffer.md). */
export interface EventBufferState {
  checkpoint: EventBufferCheckpoint;
  iterations: number;
  /** BSON bytes of the events buffered */
  bytesBuffered: number;
  /** every source event up to this time is in the buffer */
  bufferedThrough: ClusterTime | null;
  /** oldest entry of the source's oplog at the last iteration */
  sourceOplogOldest: ClusterTime | null;
  /** seconds the source oplog keeps that entry beyond the headroom (absent in runs from before it) */
  sourceOplogFreeSeconds?: number | null;
  /** the copy is done and the applier took the buffer over (apply.checkpoint.buffer) */
  handedOver: boolean;
}

export interface ApplyState {
  checkpoint: ApplyCheckpoint;
  iterations: number;
  eventsApplied: number;
  /** source time up to which every event is applied */
  appliedThrough: ClusterTime | null;
  /** source clock at the end of the last iteration */
  sourceTime: ClusterTime | null;
  lastDdlAppliedAt: ClusterTime | null;
  /** oldest entry of the source's oplog at the last iteration */
  sourceOplogOldest: ClusterTime | null;
  /** seconds the source oplog keeps that entry beyond the headroom (absent in runs from before it) */
  sourceOplogFreeSeconds?: number | null;
  /** recent lag samples for estimatedSecondsToCEACatchup (absent in runs from before them) */
  lagSamples?: LagSample[];
}

export interface CommitState {
  /** source time every event before which is applied at commit */
  point: ClusterTime | null;
  canWrite: boolean;
}

/** An activity that keeps failing with retryable errors: shown as a /progress warning. */
export interface ActivityStall {
  /** the activity and what it works on, e.g. 'copyWorkUnit #3' (work unit 3 of the copy plan) */
  call: string;
  error: string;
  errorDescription: string;
  /** failed attempts in a row */
  failures: number;
  /** workflow time of the first of them, ISO 8601 */
  since: string;
}

/** Why a sync is FAILED. */
export interface SyncFailure {
  /** a SyncErrorName, the type of an unexpected ApplicationFailure, or InternalError */
  error: string;
  errorDescription: string;
  /** the phase the sync was in when it failed */
  phase: SyncPhase;
  /** workflow time, ISO 8601 */
  at: string;
  /** write blocks that could not be released, with how to release them by hand */
  blocksLeft: string | null;
}

export interface SyncWorkflowState {
  syncId: string;
  options: SyncOptions;
  tuning: SyncTuning;
  phase: SyncPhase;
  /** /pause was accepted and /resume not yet (only while starting, copying or applying) */
  paused: boolean;
  /** set when phase is 'failed' */
  failure: SyncFailure | null;
  stalls: ActivityStall[];
  source: ClusterLabel;
  destination: ClusterLabel;
  /** host:port of each cluster, from preflight */
  hosts: Partial<Record<ClusterLabel, string>>;
  startPoint: ClusterTime | null;
  copy: CopyState;
  apply: ApplyState;
  /** null for runs from before the event buffer, which read events only after the copy */
  buffer: EventBufferState | null;
  commit: CommitState;
  /** destination time just before its user writes were unblocked: where a reverse resumes */
  destinationWritableAt: ClusterTime | null;
  reversals: number;
  /**
   * The embedded verifier (docs/embedded-verifier.md); null when the sync runs without it (it was
   * disabled at /start, the run predates it, or its copy plan is not on the destination).
   */
  verification: VerificationState | null;
  sourceWritesBlocked: boolean;
  destinationWritesBlocked: boolean;
}

export function initialBufferState(): EventBufferState {
  return {
    checkpoint: { resumeToken: null, startAt: null, nextSeq: 0 },
    iterations: 0,
    bytesBuffered: 0,
    bufferedThrough: null,
    sourceOplogOldest: null,
    handedOver: false,
  };
}

export function initialState(syncId: string, options: SyncOptions, tuning: SyncTuning): SyncWorkflowState {
  return {
    syncId,
    options,
    tuning,
    phase: 'starting',
    paused: false,
    failure: null,
    stalls: [],
    source: options.source,
    destination: options.destination,
    hosts: {},
    startPoint: null,
    copy: initialCopyState(),
    apply: {
      checkpoint: { resumeToken: null, startAt: null },
      iterations: 0,
      eventsApplied: 0,
      appliedThrough: null,
      sourceTime: null,
      lastDdlAppliedAt: null,
      sourceOplogOldest: null,
    },
    buffer: initialBufferState(),
    commit: { point: null, canWrite: false },
    destinationWritableAt: null,
    reversals: 0,
    verification: options.verificationEnabled ? initialVerificationState() : null,
    sourceWritesBlocked: false,
    destinationWritesBlocked: false,
  };
}

/** The mongosync state of a sync: derived from its phase and whether it is paused. */
export function syncStateOf(s: Pick<SyncWorkflowState, 'phase' | 'paused'>): SyncStateName {
  switch (s.phase) {
    case 'failed':
      return 'FAILED';
    case 'committing':
      return 'COMMITTING';
    case 'committed':
      return 'COMMITTED';
    case 'reversing':
      return 'REVERSING';
    case 'starting':
    case 'copying':
    case 'applying':
      return s.paused ? 'PAUSED' : 'RUNNING';
  }
}
