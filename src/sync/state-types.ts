// The workflow's state: one JSON-serializable object carried through continue-as-new, read by
// the progress query (progress.ts) and by the command validators. BSON values never appear
// here: timestamps are {t, i}, resume tokens {_data}, _id values canonical EJSON strings.
// Workflow-safe: type imports only, plus a pure factory.
import type { StartOptions, WriteBlockingMode } from './start-options';
import type { ClusterLabel, ClusterTime, ResumeToken, SyncStateName } from './vocabulary';
import type { VerificationProgress } from './verification';

/** Where the change stream resumes: every event up to and including this point is applied. */
export interface ChangeStreamCheckpoint {
  resumeToken: ResumeToken | null;
  /** cluster time of the checkpoint (of the event, or of the high-water mark) */
  clusterTime: ClusterTime | null;
}

/**
 * Finer position inside a state. PAUSED keeps the phase it was paused in, so /resume knows
 * where to continue.
 * - idle: no migration (IDLE)
 * - initializing: preflight, start point, catalog and (beforeDataCopy) index creation (RUNNING)
 * - collectionCopy: partitions being copied; change events may be applied meanwhile (RUNNING)
 * - changeEventApplication: copy finished; applying change events (RUNNING)
 * - commitDraining: applying events up to the commit point (COMMITTING)
 * - commitRestoring: undoing temporary destination changes; canWrite flips here (COMMITTING)
 * - committed: done (COMMITTED)
 * - reversing: swapping roles after /reverse (REVERSING)
 * - failed: stopped by a fatal error (FAILED)
 */
export type SyncPhase =
  | 'idle'
  | 'initializing'
  | 'collectionCopy'
  | 'changeEventApplication'
  | 'commitDraining'
  | 'commitRestoring'
  | 'committed'
  | 'reversing'
  | 'failed';

export interface ClusterEndpoint {
  label: ClusterLabel;
  /** 'host:port' as shown in directionMapping, e.g. 'localhost:27017' */
  hostPort: string;
}

export interface DirectionMapping {
  source: ClusterEndpoint;
  destination: ClusterEndpoint;
}

export interface CopyProgress {
  /** the copy phase has begun (partitions planned, bytes being copied) */
  started: boolean;
  /** every partition is copied */
  finished: boolean;
  /** bytes the whole copy is expected to move, fixed when the copy is planned */
  estimatedTotalBytes: number;
  /** bytes copied so far (documents' BSON size) */
  copiedBytes: number;
  partitionsTotal: number;
  partitionsDone: number;
}

/** Reported as /progress.indexBuilding with the after-copy index modes. */
export interface IndexBuildProgress {
  indexesBuilt: number;
  totalIndexesToBuild: number;
  collectionsFinished: number;
  collectionsTotal: number;
}

export interface WriteBlockingState {
  mode: WriteBlockingMode;
  /** user writes are currently blocked on the destination by us */
  destinationBlocked: boolean;
  /** user writes are currently blocked on the source by us */
  sourceBlocked: boolean;
}

export interface PingLatencies {
  /** last round trip in ms; -1 when the last ping failed; null when not measured */
  source: number | null;
  destination: number | null;
}

/**
 * The event buffer (docs/event-buffer.md): while 'buffering' (during the copy) the buffer reader
 * stores the source's events on the destination; while 'draining' the applier applies them.
 * Either way the source's oplog must still hold `streamPosition`, where the buffer reader
 * stands and where the live stream continues after the buffer.
 */
export interface EventBufferProgress {
  stage: 'buffering' | 'draining';
  streamPosition: ClusterTime | null;
}

export interface SyncState {
  state: SyncStateName;
  phase: SyncPhase;
  /** this instance's id (the --id value, or 'coordinator' for a lone instance) */
  mongosyncID: string;
  /** the coordinating instance's id; equals mongosyncID for a lone instance */
  coordinatorID: string | null;
  startOptions: StartOptions | null;
  directionMapping: DirectionMapping | null;
  writeBlocking: WriteBlockingState;
  /** source cluster time the copy and the change stream start from */
  startPoint: ClusterTime | null;
  /** source cluster time /commit drains to */
  commitPoint: ClusterTime | null;
  copy: CopyProgress;
  /**
   * Source cluster time observed when the copy finished. Events before it are the backlog
   * of the copy ("collection copy drain"); after it, "steady state".
   */
  copyFinishedAt: ClusterTime | null;
  changeStream: ChangeStreamCheckpoint;
  /** the event buffer while the copy runs and while its events are applied; null otherwise */
  eventBuffer: EventBufferProgress | null;
  /** cluster time of the newest CRUD event applied, null before the first */
  lastAppliedEventTime: ClusterTime | null;
  /** cluster time of the newest DDL event applied, null before the first */
  lastAppliedDdlTime: ClusterTime | null;
  /** newest source cluster time observed (events, high-water marks, no-op writes) */
  lastSourceTime: ClusterTime | null;
  /** oldest entry of the source oplog at the last check; null when not checked yet */
  sourceOplogOldest: ClusterTime | null;
  eventsApplied: number;
  /** null until after-copy index builds begin */
  indexBuilding: IndexBuildProgress | null;
  /** destination open for writes (set during commitRestoring, before COMMITTED) */
  canWrite: boolean;
  pingLatencyMs: PingLatencies;
  /** seconds change event application needs to catch up (src/sync/cea-catchup.ts); null when unknown */
  ceaCatchupSeconds: number | null;
  /** completed /reverse calls */
  reversals: number;
  /** the fatal error of a FAILED sync; null in every other state */
  lastError: { error: string; errorDescription: string } | null;
  /** problems the sync is retrying through (e.g. an activity failing again and again) */
  warnings: string[];
  /** /progress.verification: null when the verifier is off (or the sync is IDLE) */
  verification: VerificationProgress | null;
  /** why the verifier holds canCommit false (a first pass to finish, a mismatch), or null */
  verificationBlocker: string | null;
}

export const DEFAULT_MONGOSYNC_ID = 'coordinator';

/** The state of a sync job before /start. */
export function initialSyncState(mongosyncID: string = DEFAULT_MONGOSYNC_ID): SyncState {
  return {
    state: 'IDLE',
    phase: 'idle',
    mongosyncID,
    coordinatorID: mongosyncID,
    startOptions: null,
    directionMapping: null,
    writeBlocking: { mode: 'none', destinationBlocked: false, sourceBlocked: false },
    startPoint: null,
    commitPoint: null,
    copy: { started: false, finished: false, estimatedTotalBytes: 0, copiedBytes: 0, partitionsTotal: 0, partitionsDone: 0 },
    copyFinishedAt: null,
    changeStream: { resumeToken: null, clusterTime: null },
    eventBuffer: null,
    lastAppliedEventTime: null,
    lastAppliedDdlTime: null,
    lastSourceTime: null,
    sourceOplogOldest: null,
    eventsApplied: 0,
    indexBuilding: null,
    canWrite: false,
    pingLatencyMs: { source: null, destination: null },
    ceaCatchupSeconds: null,
    reversals: 0,
    lastError: null,
    warnings: [],
    verification: null,
    verificationBlocker: null,
  };
}
