// Builds the `progress` object of GET /api/v1/progress from the workflow state, and the
// canCommit rule. Workflow-safe: imports only pure files.
//
// Decisions on the points mongosync's documentation of /progress leaves open:
// - Key order follows the example in mongosync's /progress documentation; every key is always present except the optional ones
//   (indexBuilding, estimatedOplogTimeRemaining, estimatedSecondsToCEACatchup,
//   source/destination.pingLatencyMs, warnings), which are left out when they do not apply.
// - estimatedSecondsToCEACatchup: RUNNING in CEA only, when the lag fell over the recent window
//   (the formula is in cea-catchup.ts).
// - source/destination.pingLatencyMs: the service measures them (src/mongo/ping-monitor.ts) and
//   adds them to the workflow's progress with withPingLatencies; left out below 1 ms and until
//   measured, -1 when the last ping failed.
// - IDLE: state, canCommit false, and every other key null.
// - verification: null in IDLE (as mongosync) and when the sync runs without the verifier
//   (`verification: {enabled: false}`); otherwise {source, destination} with mongosync's fields
//   (src/sync/verification.ts), phase "not started" until change event application. Confirmed
//   mismatches are named in `warnings` (a bounded list: mongosync's field for what an operator
//   must act on, and clients already show it), and the verifier's reason joins canCommit's.
// - info: 'collection copy' while initializing or copying, 'change event application' in CEA;
//   PAUSED keeps the info of the phase it paused in; COMMITTING 'waiting for commit to
//   complete'; COMMITTED 'commit completed'; REVERSING null.
// - ceaStage: only while RUNNING in CEA, else null. 'collection copy drain' until the applied
//   position reaches the source time at which the copy finished, then 'steady state'.
// - lag / lagTimeSeconds: newest source time seen minus the newest applied position (the
//   checkpoint, the newest applied event, or the start point), in whole seconds, never
//   negative. null in PAUSED and REVERSING; 0 in COMMITTED. One ordered applier handles CRUD
//   and DDL, so crudLagSeconds and ddlLagSeconds equal the overall lag once they exist:
//   crud once the change stream has a position, ddl once a DDL event was applied.
// - totalEventsApplied: the persisted counter (it survives restarts, unlike mongosync's).
// - collectionCopy: {1, 0} before the copy starts; then the total is the planned estimate
//   raised to the copied bytes whenever they pass it, and equal to them once the copy ends.
// - estimatedOplogTimeRemaining: RUNNING and canWrite false only; the time between the oldest
//   source oplog entry and the oldest position still needed (oplogNeededFrom: during the copy
//   the event buffer reader's position, while the buffer drains the position the live stream
//   continues from, then the applied position); "not checked yet" until the oldest entry is
//   known. The low-oplog warning is added below OPLOG_WARNING_SECONDS.
// - warnings: the oplog warning above, SOURCE_WRITES_BLOCKED_WARNING whenever we hold a
//   write block on the source, and the model's own warnings (an activity failing again and
//   again while the sync retries it: a stall, which otherwise looks like growing lag).
// - canWrite: null in IDLE, true in COMMITTED, else the state's flag.
// - FAILED (c2c-sync's own state; mongosync's process exits instead): `error` and
//   `errorDescription` name the fatal error, right after `state`; info, ceaStage and lag are
//   null, canCommit false; the copy and event counters keep their last values.
import { indexBuildTiming } from './start-options';
import type { CopyProgress, IndexBuildProgress, SyncPhase, SyncState } from './state-types';
import type { VerificationProgress } from './verification';
import { compareClusterTimes, maxClusterTime, type ClusterTime, type SyncStateName } from './vocabulary';

export type ProgressInfo = 'collection copy' | 'change event application' | 'waiting for commit to complete' | 'commit completed';
export type CeaStage = 'collection copy drain' | 'steady state';

export interface ProgressLag {
  overallLagSeconds: number;
  crudLagSeconds: number | null;
  ddlLagSeconds: number | null;
}

export interface CollectionCopyProgress {
  estimatedTotalBytes: number;
  estimatedCopiedBytes: number;
}

export interface ProgressDirectionMapping {
  Source: string;
  Destination: string;
}

export interface Progress {
  state: SyncStateName;
  /** FAILED only: the fatal error's name and description */
  error?: string;
  errorDescription?: string;
  canCommit: boolean;
  canWrite: boolean | null;
  info: ProgressInfo | null;
  ceaStage: CeaStage | null;
  lag: ProgressLag | null;
  lagTimeSeconds: number | null;
  totalEventsApplied: number | null;
  collectionCopy: CollectionCopyProgress | null;
  indexBuilding?: IndexBuildProgress;
  directionMapping: ProgressDirectionMapping | null;
  estimatedOplogTimeRemaining?: string;
  estimatedSecondsToCEACatchup?: number;
  mongosyncID: string | null;
  coordinatorID: string | null;
  source?: { pingLatencyMs: number };
  destination?: { pingLatencyMs: number };
  verification: VerificationProgress | null;
  warnings?: string[];
}

/** mongosync 1.21+: canCommit is false while lag exceeds this. */
export const MAX_COMMIT_LAG_SECONDS = 30;
/** Below this much oplog time remaining, /progress warns. */
export const OPLOG_WARNING_SECONDS = 60 * 60;
export const SOURCE_WRITES_BLOCKED_WARNING = 'mongosync is blocking user writes on the source cluster';
export const LOW_OPLOG_WARNING =
  'The amount of available oplog on the source cluster is too small for mongosync to complete successfully. ' +
  'For more details, see https://www.mongodb.com/docs/cluster-to-cluster-sync/current/reference/oplog-sizing/.';

/** The newest source position the destination reflects. */
export function appliedThrough(state: SyncState): ClusterTime | null {
  return [state.changeStream.clusterTime, state.lastAppliedEventTime, state.lastAppliedDdlTime].reduce(
    (acc, time) => maxClusterTime(acc, time),
    state.startPoint,
  );
}

/** Whole seconds the destination trails the newest source time seen; 0 when unknown. */
export function lagSeconds(state: SyncState): number {
  const applied = appliedThrough(state);
  if (state.lastSourceTime === null || applied === null) return 0;
  return Math.max(0, state.lastSourceTime.t - applied.t);
}

export function ceaStage(state: SyncState): CeaStage | null {
  if (state.state !== 'RUNNING' || state.phase !== 'changeEventApplication') return null;
  const applied = appliedThrough(state);
  if (state.copyFinishedAt !== null && (applied === null || compareClusterTimes(applied, state.copyFinishedAt) < 0)) {
    return 'collection copy drain';
  }
  return 'steady state';
}

function afterCopyIndexBuildsDone(state: SyncState): boolean {
  const options = state.startOptions;
  if (options === null || indexBuildTiming(options.buildIndexes) !== 'afterDataCopy') return true;
  const builds = state.indexBuilding;
  return builds !== null && builds.indexesBuilt >= builds.totalIndexesToBuild && builds.collectionsFinished >= builds.collectionsTotal;
}

/**
 * Why /commit would be refused now, or null when it would succeed: RUNNING in CEA with the
 * copy finished, after-copy index builds finished, and lag at most MAX_COMMIT_LAG_SECONDS.
 */
export function commitBlocker(state: SyncState): string | null {
  if (state.state !== 'RUNNING') return `the sync is ${state.state}, not RUNNING`;
  if (!state.copy.finished || state.phase !== 'changeEventApplication') return 'the initial collection copy has not finished';
  if (!afterCopyIndexBuildsDone(state)) return 'index builds after the data copy have not finished';
  const lag = lagSeconds(state);
  if (lag > MAX_COMMIT_LAG_SECONDS) return `the destination is ${lag} seconds behind the source (at most ${MAX_COMMIT_LAG_SECONDS} allowed)`;
  return state.verificationBlocker;
}

export function canCommit(state: SyncState): boolean {
  return commitBlocker(state) === null;
}

function phaseInfo(phase: SyncPhase): ProgressInfo | null {
  switch (phase) {
    case 'initializing':
    case 'collectionCopy':
      return 'collection copy';
    case 'changeEventApplication':
      return 'change event application';
    case 'commitDraining':
    case 'commitRestoring':
      return 'waiting for commit to complete';
    case 'committed':
      return 'commit completed';
    case 'idle':
    case 'reversing':
    case 'failed':
      return null;
  }
}

function infoFor(state: SyncState): ProgressInfo | null {
  switch (state.state) {
    case 'IDLE':
    case 'REVERSING':
    case 'FAILED':
      return null;
    case 'COMMITTING':
      return 'waiting for commit to complete';
    case 'COMMITTED':
      return 'commit completed';
    case 'RUNNING':
    case 'PAUSED':
      return phaseInfo(state.phase);
  }
}

export function collectionCopyProgress(copy: CopyProgress): CollectionCopyProgress {
  if (!copy.started) return { estimatedTotalBytes: 1, estimatedCopiedBytes: 0 };
  const copied = copy.copiedBytes;
  const total = copy.finished ? copied : Math.max(copy.estimatedTotalBytes, copied);
  return { estimatedTotalBytes: total, estimatedCopiedBytes: copied };
}

function lagFor(state: SyncState): ProgressLag | null {
  switch (state.state) {
    case 'IDLE':
    case 'PAUSED':
    case 'REVERSING':
    case 'FAILED':
      return null;
    case 'COMMITTED':
      return { overallLagSeconds: 0, crudLagSeconds: 0, ddlLagSeconds: state.lastAppliedDdlTime === null ? null : 0 };
    case 'RUNNING':
    case 'COMMITTING': {
      const overall = lagSeconds(state);
      const crudStarted = state.changeStream.clusterTime !== null || state.lastAppliedEventTime !== null;
      return {
        overallLagSeconds: overall,
        crudLagSeconds: crudStarted ? overall : null,
        ddlLagSeconds: state.lastAppliedDdlTime === null ? null : overall,
      };
    }
  }
}

/** Formats a duration like mongosync's estimatedOplogTimeRemaining. */
export function formatOplogTimeRemaining(seconds: number | null): string {
  if (seconds === null) return 'not checked yet';
  if (seconds > 72 * 3600) return 'more than 72 hours';
  if (seconds < 15 * 60) return 'less than 15 minutes';
  if (seconds >= 3600) {
    const hours = Math.floor(seconds / 3600);
    return `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  }
  return `${Math.floor(seconds / 60)} minutes`;
}

/**
 * The oldest source position the sync will still read from the oplog: the event buffer's stream
 * position while there is a buffer (events before it are on the destination), else the
 * change stream's applied position.
 */
export function oplogNeededFrom(state: SyncState): ClusterTime | null {
  if (state.eventBuffer) return state.eventBuffer.streamPosition ?? state.startPoint;
  return state.changeStream.clusterTime ?? state.startPoint;
}

/** Seconds of source oplog between its oldest entry and the oldest position still needed. */
export function oplogSecondsRemaining(state: SyncState): number | null {
  const needed = oplogNeededFrom(state);
  if (state.sourceOplogOldest === null || needed === null) return null;
  return Math.max(0, needed.t - state.sourceOplogOldest.t);
}

function pingField(latency: number | null): { pingLatencyMs: number } | undefined {
  if (latency === null) return undefined;
  if (latency === -1) return { pingLatencyMs: -1 };
  if (latency < 1) return undefined;
  return { pingLatencyMs: Math.round(latency) };
}

/** Last ping round trips per cluster label, in ms: -1 when the last ping failed, null when not measured. */
export type ClusterPings = Partial<Record<string, number | null>>;

/**
 * `progress` with source/destination.pingLatencyMs from pings measured outside the workflow,
 * matched to the roles by the cluster labels of directionMapping ("<label>: <host>:<port>").
 */
export function withPingLatencies(progress: Record<string, unknown>, pings: ClusterPings): Record<string, unknown> {
  const mapping = progress.directionMapping as ProgressDirectionMapping | null | undefined;
  if (!mapping || progress.state === 'IDLE') return progress;
  const labelOf = (entry: string): string => entry.slice(0, entry.indexOf(':'));
  const merged: Record<string, unknown> = { ...progress };
  const source = pingField(pings[labelOf(mapping.Source)] ?? null);
  const destination = pingField(pings[labelOf(mapping.Destination)] ?? null);
  if (source) merged.source = source;
  if (destination) merged.destination = destination;
  // documented keys in their order, then any others as they were
  const ordered = orderKeys(merged as unknown as Progress) as unknown as Record<string, unknown>;
  return { ...ordered, ...merged };
}

function idleProgress(): Progress {
  return {
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
  };
}

/** The /progress `progress` object for `state`. */
export function buildProgress(state: SyncState): Progress {
  if (state.state === 'IDLE') return idleProgress();

  const lag = lagFor(state);
  const canWrite = state.state === 'COMMITTED' ? true : state.canWrite;
  const progress: Progress = {
    state: state.state,
    canCommit: canCommit(state),
    canWrite,
    info: infoFor(state),
    ceaStage: ceaStage(state),
    lag,
    lagTimeSeconds: lag === null ? null : lag.overallLagSeconds,
    totalEventsApplied: state.eventsApplied,
    collectionCopy: collectionCopyProgress(state.copy),
    directionMapping: state.directionMapping && {
      Source: `${state.directionMapping.source.label}: ${state.directionMapping.source.hostPort}`,
      Destination: `${state.directionMapping.destination.label}: ${state.directionMapping.destination.hostPort}`,
    },
    mongosyncID: state.mongosyncID,
    coordinatorID: state.coordinatorID,
    verification: state.verification,
  };
  if (state.state === 'FAILED' && state.lastError) {
    progress.error = state.lastError.error;
    progress.errorDescription = state.lastError.errorDescription;
  }

  const options = state.startOptions;
  if (
    state.state === 'RUNNING' &&
    state.phase === 'changeEventApplication' &&
    state.indexBuilding !== null &&
    options !== null &&
    indexBuildTiming(options.buildIndexes) === 'afterDataCopy'
  ) {
    progress.indexBuilding = { ...state.indexBuilding };
  }

  const warnings: string[] = [];
  if (state.state === 'RUNNING' && !canWrite) {
    const remaining = oplogSecondsRemaining(state);
    progress.estimatedOplogTimeRemaining = formatOplogTimeRemaining(remaining);
    if (remaining !== null && remaining < OPLOG_WARNING_SECONDS) warnings.push(LOW_OPLOG_WARNING);
  }
  if (state.state === 'RUNNING' && state.phase === 'changeEventApplication' && state.ceaCatchupSeconds !== null) {
    progress.estimatedSecondsToCEACatchup = state.ceaCatchupSeconds;
  }
  if (state.writeBlocking.sourceBlocked) warnings.push(SOURCE_WRITES_BLOCKED_WARNING);
  warnings.push(...state.warnings);

  const source = pingField(state.pingLatencyMs.source);
  const destination = pingField(state.pingLatencyMs.destination);
  if (source) progress.source = source;
  if (destination) progress.destination = destination;
  if (warnings.length > 0) progress.warnings = warnings;

  return orderKeys(progress);
}

const KEY_ORDER: readonly (keyof Progress)[] = [
  'state',
  'error',
  'errorDescription',
  'canCommit',
  'canWrite',
  'info',
  'ceaStage',
  'lag',
  'lagTimeSeconds',
  'totalEventsApplied',
  'collectionCopy',
  'indexBuilding',
  'directionMapping',
  'estimatedOplogTimeRemaining',
  'estimatedSecondsToCEACatchup',
  'mongosyncID',
  'coordinatorID',
  'source',
  'destination',
  'verification',
  'warnings',
];

function orderKeys(progress: Progress): Progress {
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) {
    if (key in progress) ordered[key] = progress[key];
  }
  return ordered as unknown as Progress;
}
