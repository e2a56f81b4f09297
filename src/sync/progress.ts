// mongosync's /progress object as a pure function of the sync's state (src/sync/state.ts), and
// the canCommit rule. The workflow's progress query returns buildProgress(state); with no sync
// running the answer is idleProgress(). Workflow-safe: imports only pure files.
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
//   continues from, then the applied position), plus the time a not-yet-full oplog takes to
//   fill; "not checked yet" until the oldest entry is known. The low-oplog warning is added
//   below OPLOG_WARNING_SECONDS.
// - warnings: the oplog warning above, SOURCE_WRITES_BLOCKED_WARNING whenever we hold a
//   write block on the source, an activity failing again and again while the sync retries it
//   (a stall, which otherwise looks like growing lag), write blocks a FAILED sync could not
//   release, and the verifier's confirmed mismatches.
// - canWrite: null in IDLE, true in COMMITTED, else the state's flag.
// - canCommit: RUNNING in CEA after a first pass of change event application, the copy and the
//   after-copy index builds finished, lag at most MAX_COMMIT_LAG_SECONDS, and the verifier not
//   holding it (commitBlocker says which is missing).
// - mongosyncID and coordinatorID: the sync id, 'coordinator' for the default sync.
// - FAILED (c2c-sync's own state; mongosync's process exits instead): `error` and
//   `errorDescription` name the fatal error, right after `state`; info, ceaStage and lag are
//   null, canCommit false; the copy and event counters keep their last values.
import { estimateSecondsToCatchup } from './cea-catchup';
import { indexBuildTiming } from './start-options';
import { syncStateOf, type ActivityStall, type CopyState, type IndexBuildProgress, type SyncWorkflowState } from './state';
import { mismatchWarnings, verificationCommitBlocker, verificationProgress, type VerificationProgress } from './verification';
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

/** mongosync's /progress `progress` object, as the progress query and GET /api/v1/progress return it. */
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
/** mongosyncID of the default sync (a lone mongosync instance) */
export const DEFAULT_MONGOSYNC_ID = 'coordinator';

/** The newest source position the destination reflects. */
export function appliedThrough(s: SyncWorkflowState): ClusterTime | null {
  return maxClusterTime(maxClusterTime(s.startPoint, s.apply.appliedThrough), s.apply.lastDdlAppliedAt);
}

/** Whole seconds the destination trails the newest source time seen; 0 when unknown. */
export function lagSeconds(s: SyncWorkflowState): number {
  const applied = appliedThrough(s);
  if (s.apply.sourceTime === null || applied === null) return 0;
  return Math.max(0, s.apply.sourceTime.t - applied.t);
}

export function ceaStage(s: SyncWorkflowState): CeaStage | null {
  if (syncStateOf(s) !== 'RUNNING' || s.phase !== 'applying') return null;
  const applied = appliedThrough(s);
  const copyFinishedAt = s.copy.completedAt;
  if (copyFinishedAt !== null && (applied === null || compareClusterTimes(applied, copyFinishedAt) < 0)) {
    return 'collection copy drain';
  }
  return 'steady state';
}

function afterCopyIndexBuilds(s: SyncWorkflowState): boolean {
  return indexBuildTiming(s.options.buildIndexes) === 'afterDataCopy';
}

function afterCopyIndexBuildsDone(s: SyncWorkflowState): boolean {
  if (!afterCopyIndexBuilds(s)) return true;
  const builds = s.copy.indexBuilding;
  return builds !== null && builds.indexesBuilt >= builds.totalIndexesToBuild && builds.collectionsFinished >= builds.collectionsTotal;
}

/** Why /commit would be refused now, or null when it would succeed (canCommit). */
export function commitBlocker(s: SyncWorkflowState): string | null {
  const state = syncStateOf(s);
  if (state !== 'RUNNING') return `the sync is ${state}, not RUNNING`;
  if (s.phase === 'applying' && s.apply.iterations === 0) return 'change event application has not completed its first pass yet';
  if (!s.copy.done || s.phase !== 'applying') return 'the initial collection copy has not finished';
  if (!afterCopyIndexBuildsDone(s)) return 'index builds after the data copy have not finished';
  const lag = lagSeconds(s);
  if (lag > MAX_COMMIT_LAG_SECONDS) return `the destination is ${lag} seconds behind the source (at most ${MAX_COMMIT_LAG_SECONDS} allowed)`;
  return verificationCommitBlocker(s.verification ?? null);
}

export function canCommit(s: SyncWorkflowState): boolean {
  return commitBlocker(s) === null;
}

function infoFor(s: SyncWorkflowState, state: SyncStateName): ProgressInfo | null {
  switch (state) {
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
      return s.phase === 'applying' ? 'change event application' : 'collection copy';
  }
}

export function collectionCopyProgress(copy: Pick<CopyState, 'started' | 'done' | 'estimatedTotalBytes' | 'copiedBytes'>): CollectionCopyProgress {
  if (!copy.started) return { estimatedTotalBytes: 1, estimatedCopiedBytes: 0 };
  const copied = copy.copiedBytes;
  const total = copy.done ? copied : Math.max(copy.estimatedTotalBytes, copied);
  return { estimatedTotalBytes: total, estimatedCopiedBytes: copied };
}

function lagFor(s: SyncWorkflowState, state: SyncStateName): ProgressLag | null {
  const ddlApplied = s.apply.lastDdlAppliedAt !== null;
  switch (state) {
    case 'IDLE':
    case 'PAUSED':
    case 'REVERSING':
    case 'FAILED':
      return null;
    case 'COMMITTED':
      return { overallLagSeconds: 0, crudLagSeconds: 0, ddlLagSeconds: ddlApplied ? 0 : null };
    case 'RUNNING':
    case 'COMMITTING': {
      const overall = lagSeconds(s);
      return {
        overallLagSeconds: overall,
        crudLagSeconds: s.apply.appliedThrough !== null ? overall : null,
        ddlLagSeconds: ddlApplied ? overall : null,
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
 * Where the event buffer stands (docs/event-buffer.md), or null when the sync reads no buffer:
 * 'buffering' while the copy runs (the buffer reader stores the source's events on the
 * destination), 'draining' while the applier still applies them. Either way the source's oplog
 * must still hold `streamPosition`, where the buffer reader stands and the live stream continues.
 */
export function eventBufferStage(s: SyncWorkflowState): { stage: 'buffering' | 'draining'; streamPosition: ClusterTime | null } | null {
  const buffer = s.buffer;
  if (!buffer) return null;
  const streamPosition = buffer.bufferedThrough ?? s.startPoint;
  if (!buffer.handedOver) return s.phase === 'copying' || s.phase === 'applying' ? { stage: 'buffering', streamPosition } : null;
  const position = s.apply.checkpoint.buffer;
  return position && position.nextSeq < position.end ? { stage: 'draining', streamPosition } : null;
}

/**
 * The oldest source position the sync will still read from the oplog: the event buffer's stream
 * position while there is a buffer (events before it are on the destination), else the
 * change stream's applied position.
 */
export function oplogNeededFrom(s: SyncWorkflowState): ClusterTime | null {
  const buffer = eventBufferStage(s);
  if (buffer) return buffer.streamPosition ?? s.startPoint;
  return s.apply.appliedThrough ?? s.startPoint;
}

/**
 * Seconds the source oplog keeps the oldest position still needed: the time between its oldest
 * entry and that position, plus, on an oplog that is not full yet, the time until it starts
 * dropping entries (src/sync/oplog-window.ts).
 */
export function oplogSecondsRemaining(s: SyncWorkflowState): number | null {
  const needed = oplogNeededFrom(s);
  // the newer of the applier's and the buffer reader's readings
  const reading = newerOplogReading(s.apply, s.buffer);
  if (reading.sourceOplogOldest === null || needed === null) return null;
  return Math.max(0, needed.t - reading.sourceOplogOldest.t) + (reading.sourceOplogFreeSeconds ?? 0);
}

type OplogReading = { sourceOplogOldest: ClusterTime | null; sourceOplogFreeSeconds?: number | null };

function newerOplogReading(apply: OplogReading, buffer: OplogReading | null): OplogReading {
  if (buffer?.sourceOplogOldest == null) return apply;
  if (apply.sourceOplogOldest === null) return buffer;
  return compareClusterTimes(buffer.sourceOplogOldest, apply.sourceOplogOldest) > 0 ? buffer : apply;
}

/** The /progress warning of an activity that keeps failing. */
export function stallWarning(stall: ActivityStall): string {
  return (
    `${stall.call} has failed ${stall.failures} times in a row since ${stall.since} and is being retried; ` +
    `last error ${stall.error}: ${stall.errorDescription}`
  );
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
 * Keys it does not know (from a newer workflow) are kept, after the documented ones.
 */
export function withPingLatencies(progress: Progress, pings: ClusterPings): Progress {
  const mapping = progress.directionMapping;
  if (!mapping || progress.state === 'IDLE') return progress;
  const labelOf = (entry: string): string => entry.slice(0, entry.indexOf(':'));
  const merged: Progress = { ...progress };
  const source = pingField(pings[labelOf(mapping.Source)] ?? null);
  const destination = pingField(pings[labelOf(mapping.Destination)] ?? null);
  if (source) merged.source = source;
  if (destination) merged.destination = destination;
  return { ...orderKeys(merged), ...merged };
}

/** The progress object when no sync runs: state, canCommit false, and every other key null. */
export function idleProgress(): Progress {
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

function directionMapping(s: SyncWorkflowState): ProgressDirectionMapping | null {
  const sourceHost = s.hosts[s.source];
  const destinationHost = s.hosts[s.destination];
  if (!sourceHost || !destinationHost) return null;
  return { Source: `${s.source}: ${sourceHost}`, Destination: `${s.destination}: ${destinationHost}` };
}

/** The /progress `progress` object of a sync in state `s`. */
export function buildProgress(s: SyncWorkflowState): Progress {
  const state = syncStateOf(s);
  const lag = lagFor(s, state);
  const canWrite = state === 'COMMITTED' ? true : s.commit.canWrite;
  const mongosyncID = s.syncId === 'default' ? DEFAULT_MONGOSYNC_ID : s.syncId;
  const progress: Progress = {
    state,
    canCommit: canCommit(s),
    canWrite,
    info: infoFor(s, state),
    ceaStage: ceaStage(s),
    lag,
    lagTimeSeconds: lag === null ? null : lag.overallLagSeconds,
    totalEventsApplied: s.apply.eventsApplied,
    collectionCopy: collectionCopyProgress(s.copy),
    directionMapping: directionMapping(s),
    mongosyncID,
    coordinatorID: mongosyncID,
    verification: s.verification
      ? verificationProgress(s.verification, {
          estimatedDocuments: s.copy.copiedDocuments,
          collectionsTotal: s.copy.collectionsTotal,
          sourceTime: s.apply.sourceTime,
        })
      : null,
  };
  if (state === 'FAILED' && s.failure) {
    progress.error = s.failure.error;
    progress.errorDescription = s.failure.errorDescription;
  }

  const inCea = state === 'RUNNING' && s.phase === 'applying';
  if (inCea && s.copy.indexBuilding !== null && afterCopyIndexBuilds(s)) progress.indexBuilding = { ...s.copy.indexBuilding };

  const warnings: string[] = [];
  if (state === 'RUNNING' && !canWrite) {
    const remaining = oplogSecondsRemaining(s);
    progress.estimatedOplogTimeRemaining = formatOplogTimeRemaining(remaining);
    if (remaining !== null && remaining < OPLOG_WARNING_SECONDS) warnings.push(LOW_OPLOG_WARNING);
  }
  const catchupSeconds = inCea ? estimateSecondsToCatchup(s.apply.lagSamples ?? []) : null;
  if (catchupSeconds !== null) progress.estimatedSecondsToCEACatchup = catchupSeconds;
  if (s.sourceWritesBlocked) warnings.push(SOURCE_WRITES_BLOCKED_WARNING);
  warnings.push(...s.stalls.map(stallWarning));
  if (s.failure?.blocksLeft) warnings.push(s.failure.blocksLeft);
  warnings.push(...mismatchWarnings(s.verification ?? null));
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
  const ordered: Partial<Record<keyof Progress, unknown>> = {};
  for (const key of KEY_ORDER) {
    if (key in progress) ordered[key] = progress[key];
  }
  return ordered as Progress;
}
