// One sync job: mongosync's lifecycle (RUNNING, PAUSED, COMMITTING, COMMITTED, REVERSING) as
// durable steps. The main loop is the only place that performs transitions; message handlers
// validate and record requests, so every step is replayable and every activity idempotent.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { ApplyChangeEventsResult } from '../activities/change-events';
import { SyncErrorName } from '../sync/errors';
import { parseStartOptions } from '../sync/start-options';
import { lagSeconds } from '../sync/progress';
import { buildProgress, commitBlocker, progressModel } from './progress-view';
import {
  commitSignal,
  commitUpdate,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  resumeSignal,
  resumeUpdate,
  reverseSignal,
  reverseUpdate,
  startUpdate,
  stateQuery,
  type SyncStateName,
} from './messages';
import { SyncIdAttribute, SyncStateAttribute } from './search-attributes';
import {
  DEFAULT_TUNING,
  initialState,
  type PendingPartition,
  type SyncOptions,
  type SyncTuning,
  type SyncWorkflowState,
} from './state';
import type { OpTime } from './types';

export interface SyncWorkflowInput {
  syncId: string;
  /** validated, normalised /start options (what the API passes) */
  options?: SyncOptions;
  /** or mongosync's /start body as is, validated here (handy as a Schedule's input) */
  body?: unknown;
  tuning?: Partial<SyncTuning>;
  /** set by continue-as-new */
  carried?: SyncWorkflowState;
}

export interface SyncWorkflowResult {
  /** 'start-failed' ends the workflow in IDLE; the sync never began */
  outcome: 'start-failed';
  error: SyncErrorName;
  errorDescription: string;
}

// Our own metadata database name, never counted as user data nor synced.
export const C2C_METADATA_DB = '__c2c_sync';

function activitiesFor(tuning: SyncTuning) {
  const nonRetryableErrorTypes = [
    SyncErrorName.PreflightFailed,
    SyncErrorName.ChangeStreamHistoryLost,
    SyncErrorName.ChangeStreamFatal,
    SyncErrorName.UnsupportedOperation,
    SyncErrorName.NamespaceFilterViolation,
  ];
  const quick = proxyActivities<SyncActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes },
  });
  const preflight = proxyActivities<SyncActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { maximumAttempts: 2, nonRetryableErrorTypes },
  }).preflight;
  const long = proxyActivities<SyncActivities>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: tuning.heartbeatTimeoutMs,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes },
  });
  return {
    preflight,
    noteTime: quick.noteTime,
    setWriteBlocking: quick.setWriteBlocking,
    planPartitions: quick.planPartitions,
    copyCatalog: long.copyCatalog,
    buildIndexes: long.buildIndexes,
    copyPartitionChunk: long.copyPartitionChunk,
    applyChangeEvents: long.applyChangeEvents,
    resyncDocuments: long.resyncDocuments,
    finalizeDestination: long.finalizeDestination,
  };
}

function startOptionsOf(input: SyncWorkflowInput): SyncOptions {
  if (input.options) return input.options;
  const parsed = parseStartOptions(input.body);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error.errorDescription, parsed.error.error);
  return parsed.options;
}

export async function syncWorkflow(input: SyncWorkflowInput): Promise<SyncWorkflowResult | void> {
  const tuning: SyncTuning = { ...DEFAULT_TUNING, ...input.carried?.tuning, ...input.tuning };
  const s: SyncWorkflowState = input.carried ?? initialState(input.syncId, startOptionsOf(input), tuning);
  const act = activitiesFor(s.tuning);
  let startError: SyncWorkflowResult | undefined;
  let started = input.carried !== undefined;

  const setState = (next: SyncStateName): void => {
    if (s.state === next) return;
    s.state = next;
    upsertSearchAttributes([{ key: SyncStateAttribute, value: next }]);
    describe();
  };
  const describe = (): void => {
    setCurrentDetails(detailsMarkdown(s));
  };

  // --- commands: validators reject at once; handlers only record the request ---------------
  const reject = (error: SyncErrorName, description: string): never => {
    throw ApplicationFailure.nonRetryable(description, error);
  };
  const validators = {
    pause: (): void => {
      if (s.state !== 'RUNNING') reject(SyncErrorName.InvalidState, `cannot pause in state ${s.state}; pause needs RUNNING`);
    },
    resume: (): void => {
      if (s.state !== 'PAUSED') reject(SyncErrorName.InvalidState, `cannot resume in state ${s.state}; resume needs PAUSED`);
    },
    commit: (): void => {
      if (s.state !== 'RUNNING') reject(SyncErrorName.InvalidState, `cannot commit in state ${s.state}; commit needs RUNNING`);
      const blocker = commitBlocker(s);
      if (blocker !== null) reject(SyncErrorName.CannotCommit, `cannot commit yet (canCommit is false): ${blocker}`);
    },
    reverse: (): void => {
      if (s.state !== 'COMMITTED') reject(SyncErrorName.InvalidState, `cannot reverse in state ${s.state}; reverse needs COMMITTED`);
      if (!s.options.reversible || s.options.writeBlocking !== 'sourceAndDestination') {
        reject(
          SyncErrorName.NotReversible,
          'cannot reverse: the sync was not started with reversible and enableUserWriteBlocking both true',
        );
      }
    },
  };
  const handlers = {
    pause: (): void => {
      s.paused = true;
      setState('PAUSED');
    },
    resume: (): void => {
      s.paused = false;
      setState('RUNNING');
    },
    commit: (): void => {
      s.commitRequested = true;
      setState('COMMITTING');
    },
    reverse: (): void => {
      s.reverseRequested = true;
      setState('REVERSING');
    },
  };
  for (const [name, update, signal] of [
    ['pause', pauseUpdate, pauseSignal],
    ['resume', resumeUpdate, resumeSignal],
    ['commit', commitUpdate, commitSignal],
    ['reverse', reverseUpdate, reverseSignal],
  ] as const) {
    setHandler(update, handlers[name], { validator: validators[name], description: `mongosync /${name}` });
    setHandler(
      signal,
      () => {
        try {
          validators[name]();
        } catch (error) {
          log.warn(`ignored ${name} signal`, { reason: (error as Error).message });
          return;
        }
        handlers[name]();
      },
      { description: `mongosync /${name}, for tools that can only signal` },
    );
  }
  setHandler(
    startUpdate,
    async () => {
      await condition(() => started || startError !== undefined);
      if (startError) throw ApplicationFailure.nonRetryable(startError.errorDescription, startError.error);
    },
    { description: 'resolves once preflight checks passed' },
  );
  setHandler(progressQuery, () => buildProgress(s), { description: "mongosync's /progress object" });
  setHandler(stateQuery, () => s, { description: 'the internal sync state' });

  upsertSearchAttributes([
    { key: SyncIdAttribute, value: s.syncId },
    { key: SyncStateAttribute, value: s.state },
  ]);
  describe();

  // --- steps -------------------------------------------------------------------------------
  const continueAsNewDue = (): boolean =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > s.tuning.continueAsNewAfterEvents;
  const catalog = {
    includeNamespaces: s.options.includeNamespaces,
    excludeNamespaces: s.options.excludeNamespaces,
    buildIndexes: s.options.buildIndexes,
  };

  async function start(): Promise<boolean> {
    try {
      const checked = await act.preflight({
        source: s.source,
        destination: s.destination,
        writeBlocking: s.options.writeBlocking,
        ignoredDestinationDatabases: [C2C_METADATA_DB],
      });
      s.hosts[s.source] = checked.source.host;
      s.hosts[s.destination] = checked.destination.host;
      if (s.options.writeBlocking !== 'none') {
        await act.setWriteBlocking({ cluster: s.destination, blocked: true });
        s.destinationWritesBlocked = true;
      }
      s.startPoint = await act.noteTime({ cluster: s.source, reason: 'start point', syncId: s.syncId });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const failure = error.cause;
      const description = failure instanceof ApplicationFailure ? failure.message : error.message;
      const known = Object.values(SyncErrorName) as string[];
      const type = failure instanceof ApplicationFailure && known.includes(failure.type ?? '') ? failure.type! : SyncErrorName.PreflightFailed;
      if (s.destinationWritesBlocked) {
        await act.setWriteBlocking({ cluster: s.destination, blocked: false });
        s.destinationWritesBlocked = false;
      }
      startError = { outcome: 'start-failed', error: type as SyncErrorName, errorDescription: description };
      return false;
    }
    started = true;
    s.apply.checkpoint = { resumeToken: null, startAt: s.startPoint };
    const copied = await act.copyCatalog({ source: s.source, destination: s.destination, ...catalog });
    s.copy.pendingCollections = copied.collections;
    s.copy.estimatedTotalBytes = Math.max(1, copied.estimatedTotalBytes);
    s.copy.started = true;
    s.phase = 'copying';
    describe();
    return true;
  }

  async function copy(): Promise<void> {
    const inFlight = new Map<number, Promise<void>>();
    const runnable = (): PendingPartition | undefined =>
      s.copy.pendingPartitions.find((partition) => !inFlight.has(partition.id));
    const runChunk = async (partition: PendingPartition): Promise<void> => {
      const result = await act.copyPartitionChunk({
        source: s.source,
        destination: s.destination,
        range: partition.range,
        resumeAfter: partition.resumeAfter,
        maxDurationMs: s.tuning.copyChunkMaxMs,
        batchSize: s.tuning.copyBatchSize,
        startPoint: s.startPoint,
      });
      s.copy.copiedBytes += result.bytes;
      s.copy.copiedDocuments += result.documents;
      s.copy.estimatedTotalBytes = Math.max(s.copy.estimatedTotalBytes, s.copy.copiedBytes);
      partition.resumeAfter = result.resumeAfter;
      if (result.done) s.copy.pendingPartitions = s.copy.pendingPartitions.filter((p) => p.id !== partition.id);
    };
    for (;;) {
      // On pause, or when history grows long, stop launching chunks; the main loop takes over
      // once the chunks in flight have recorded their progress.
      while (!s.paused && !continueAsNewDue() && inFlight.size < s.tuning.copyConcurrency) {
        const partition = runnable();
        if (!partition && s.copy.pendingCollections.length > 0) {
          await planNextCollection();
          continue;
        }
        if (!partition) break;
        inFlight.set(
          partition.id,
          runChunk(partition).finally(() => inFlight.delete(partition.id)),
        );
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight.values());
      describe();
    }
    if (s.paused || s.copy.pendingPartitions.length > 0 || s.copy.pendingCollections.length > 0) return;
    s.copy.done = true;
    s.copy.estimatedTotalBytes = Math.max(1, s.copy.copiedBytes);
    s.copy.indexBuilding = await act.buildIndexes({ source: s.source, destination: s.destination, ...catalog });
    s.copy.completedAt = await act.noteTime({ cluster: s.source, reason: 'copy completed', syncId: s.syncId });
    s.phase = 'applying';
    describe();
  }

  async function planNextCollection(): Promise<void> {
    const collection = s.copy.pendingCollections[0]!;
    const plan = await act.planPartitions({
      source: s.source,
      db: collection.db,
      coll: collection.coll,
      targetPartitionBytes: s.tuning.partitionTargetBytes,
      maxPartitions: s.tuning.maxPartitionsPerCollection,
      startPoint: s.startPoint,
    });
    s.copy.pendingCollections.shift();
    for (const range of plan.ranges) {
      s.copy.pendingPartitions.push({ id: s.copy.nextPartitionId++, range, resumeAfter: null });
    }
  }

  async function applyOnce(stopAt: OpTime | null): Promise<ApplyChangeEventsResult> {
    const result = await act.applyChangeEvents({
      source: s.source,
      destination: s.destination,
      ...catalog,
      checkpoint: s.apply.checkpoint,
      stopAt,
      maxDurationMs: s.tuning.applyIterationMs,
      maxBatchEvents: s.tuning.applyBatchEvents,
      copyCompletedAt: s.copy.completedAt,
      syncId: s.syncId,
    });
    s.apply.checkpoint = result.checkpoint;
    s.apply.iterations += 1;
    s.apply.eventsApplied += result.eventsApplied;
    if (result.appliedThrough) s.apply.appliedThrough = result.appliedThrough;
    s.apply.sourceTime = result.sourceTime;
    if (result.lastDdlAt) s.apply.lastDdlAppliedAt = result.lastDdlAt;
    s.apply.sourceOplogOldest = result.sourceOplogOldest;
    describe();
    return result;
  }

  async function commit(): Promise<void> {
    s.phase = 'committing';
    if (s.options.writeBlocking === 'sourceAndDestination') {
      await act.setWriteBlocking({ cluster: s.source, blocked: true });
      s.sourceWritesBlocked = true;
    }
    s.commit.point = await act.noteTime({ cluster: s.source, reason: 'commit point', syncId: s.syncId });
    for (;;) {
      const result = await applyOnce(s.commit.point);
      if (result.reachedStopAt) break;
    }
    // Documents whose events met a later state (copy drain, retries) are taken from the source
    // now that every event is applied, so their field order is exact too.
    await act.resyncDocuments({ source: s.source, destination: s.destination });
    await act.finalizeDestination({ source: s.source, destination: s.destination, ...catalog, stage: 'beforeCanWrite' });
    if (s.options.writeBlocking !== 'none') {
      s.destinationWritableAt = await act.noteTime({ cluster: s.destination, reason: 'writes enabled', syncId: s.syncId });
      await act.setWriteBlocking({ cluster: s.destination, blocked: false });
      s.destinationWritesBlocked = false;
    }
    s.commit.canWrite = true;
    describe();
    await act.finalizeDestination({ source: s.source, destination: s.destination, ...catalog, stage: 'afterCanWrite' });
    s.commitRequested = false;
    s.phase = 'committed';
    setState('COMMITTED');
  }

  async function reverse(): Promise<void> {
    s.phase = 'reversing';
    const [oldSource, oldDestination] = [s.source, s.destination];
    // The old source has been write-blocked since the commit; it now receives the changes.
    await act.setWriteBlocking({ cluster: oldSource, blocked: true });
    s.source = oldDestination;
    s.destination = oldSource;
    s.sourceWritesBlocked = false;
    s.destinationWritesBlocked = true;
    s.apply.checkpoint = { resumeToken: null, startAt: s.destinationWritableAt };
    s.apply.appliedThrough = s.destinationWritableAt;
    s.apply.sourceTime = null;
    s.apply.sourceOplogOldest = null;
    s.apply.iterations = 0;
    s.commit = { point: null, canWrite: false };
    s.destinationWritableAt = null;
    s.reversals += 1;
    s.reverseRequested = false;
    s.phase = 'applying';
    setState('RUNNING');
  }

  // --- main loop ---------------------------------------------------------------------------
  if (!input.carried && !(await start())) {
    await condition(allHandlersFinished);
    return startError;
  }
  for (;;) {
    if (continueAsNewDue() && s.phase !== 'committing' && s.phase !== 'reversing') {
      await condition(allHandlersFinished);
      return continueAsNew<typeof syncWorkflow>({ syncId: s.syncId, options: s.options, carried: s });
    }
    if (s.paused) {
      await condition(() => !s.paused || continueAsNewDue());
      continue;
    }
    switch (s.phase) {
      case 'starting':
      case 'copying':
        await copy();
        break;
      case 'applying':
        if (s.commitRequested) await commit();
        else await applyOnce(null);
        break;
      case 'committing':
        await commit();
        break;
      case 'committed':
        await condition(() => s.reverseRequested || continueAsNewDue());
        if (s.reverseRequested) await reverse();
        break;
      case 'reversing':
        await reverse();
        break;
    }
  }
}

function formatTime(time: OpTime | null): string {
  return time ? new Date(time.t * 1000).toISOString() : '-';
}

function detailsMarkdown(s: SyncWorkflowState): string {
  const lines = [
    `**${s.state}** · phase ${s.phase} · ${s.source} → ${s.destination}`,
    `copy: ${s.copy.copiedBytes} / ${s.copy.estimatedTotalBytes} bytes, ${s.copy.copiedDocuments} documents` +
      (s.copy.done ? ' (done)' : ''),
    `events applied: ${s.apply.eventsApplied} · lag: ${lagSeconds(progressModel(s))} s · applied through ${formatTime(s.apply.appliedThrough)}`,
  ];
  if (s.reversals > 0) lines.push(`reversals: ${s.reversals}`);
  if (s.commit.canWrite) lines.push('destination accepts writes');
  return lines.join('\n\n');
}

