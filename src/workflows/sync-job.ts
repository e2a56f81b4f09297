// One sync job: its durable state, the commands it accepts and the steps that move it through
// mongosync's states. syncWorkflow (sync.ts) wires Temporal messages to it and runs its loop.
//
// The mongosync state is derived from `phase` and `paused` (syncStateOf in src/sync/state.ts),
// and /progress from the whole state (buildProgress in src/sync/progress.ts); nothing else
// records a state. `phase` names the step the loop runs next: each step moves it on when it
// is done, /commit and /reverse move it to their step, a fatal error to 'failed'. /pause and
// /resume only set `paused`: the running step stops at its next safe point (the copy once its
// units in flight have recorded their progress) and the loop waits until /resume.
//
//   state       phase                      the loop runs                        leaves on
//   RUNNING     starting                   catalog copy                         → copying
//   RUNNING     copying                    partition copies, index builds       → applying
//   RUNNING     applying                   change event application             /commit → COMMITTING
//   RUNNING     starting|copying|applying  (as above)                           /pause → PAUSED
//   PAUSED      starting|copying|applying  nothing (waits)                      /resume → RUNNING
//   COMMITTING  committing                 block source, drain to the commit    → COMMITTED
//                                          point, resync, restore indexes,
//                                          unblock destination (canWrite)
//   COMMITTED   committed                  nothing (waits)                      /reverse → REVERSING
//   REVERSING   reversing                  swap roles, block the new destination → RUNNING
//   FAILED      failed                     release our write blocks, waits      /clear → IDLE
//   any of the above, on a fatal error (non-retryable failure, bug)             → FAILED
//   IDLE        (no open workflow: never started, refused at preflight, or cleared)
//
// Preflight runs before the loop (start): a refused /start leaves the sync IDLE. An activity
// that keeps failing with retryable errors is retried without end, with a /progress warning
// (call); the sync fails only on errors that retrying cannot heal.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ApplyChangeEventsResult } from '../activities/change-events';
import { recordLagSample } from '../sync/cea-catchup';
import { isSyncErrorName, SyncErrorName } from '../sync/errors';
import { appliedThrough, commitBlocker } from '../sync/progress';
import { parseStartOptions } from '../sync/start-options';
import { activitiesFor, retriesExhausted, type SyncActivityCalls } from './activity-calls';
import { CompletionOrder, ORDERED_COMPLETIONS_PATCH } from './completion-order';
import { detailsMarkdown } from './details';
import { EventBuffering } from './event-buffering';
import { Verifier } from './verification';
import { type CommitCheckFindings, commitCheckFailureMessage } from '../sync/verification';
import { failureInfo } from './failure';
import { C2C_METADATA_DB, C2C_VERIFIER_DB } from '../sync/namespace-names';
import { pageLimits, recordPage, runCopy } from './copy-phase';
import type { JobHost } from './job-host';
import { runLegacyCopy } from './legacy-copy';
import { clearHint } from './messages';
import { SyncStateAttribute } from './search-attributes';
import {
  DEFAULT_TUNING,
  initialBufferState,
  initialState,
  syncStateOf,
  initialCopyState,
  type ActivityStall,
  type LegacyCopyState,
  type PendingCollection,
  type SyncOptions,
  type SyncWorkflowState,
} from '../sync/state';
import type { ClusterLabel, ClusterTime, SyncStateName } from '../sync/vocabulary';

/** Preflight, the write block and the start point run as local activities, in the workflow task that starts the sync. */
export const START_IN_FIRST_TASK_PATCH = 'start-in-first-task';

/** copyCatalog plans the copy's first page too; runs recorded before ask planCopyPage for it. */
export const FIRST_PAGE_IN_CATALOG_PATCH = 'first-page-in-catalog-copy';

/** A commit request ends the verifier's follower call at once, with the applier's iteration. */
export const COMMIT_ENDS_FOLLOWER_PATCH = 'commit-ends-follower-at-once';

/** The verifier's commit check compares the catalogs too (verifyCatalog); runs recorded before check documents only. */
export const CATALOG_AT_COMMIT_PATCH = 'verifier-catalog-at-commit';

export interface SyncWorkflowInput {
  syncId: string;
  /** validated, normalised /start options (what the API passes) */
  options?: SyncOptions;
  /** or mongosync's /start body as is, validated here (handy as a Schedule's input) */
  body?: unknown;
  tuning?: Partial<SyncWorkflowState['tuning']>;
  /** set by continue-as-new */
  carried?: SyncWorkflowState;
}

export interface SyncWorkflowResult {
  /** 'start-failed' ends the workflow in IDLE; the sync never began */
  outcome: 'start-failed';
  error: SyncErrorName;
  errorDescription: string;
}

export type SyncCommand = 'pause' | 'resume' | 'commit' | 'reverse' | 'clear';

function startOptionsOf(input: SyncWorkflowInput): SyncOptions {
  if (input.options) return input.options;
  const parsed = parseStartOptions(input.body);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error.errorDescription, parsed.error.error);
  return parsed.options;
}

/**
 * A state carried by a run of the workflow from before the state was derived, or from before the
 * copy plan moved to the destination: such a run's copy lists go on in `copy.legacy`.
 */
export function upgradeCarried(carried: SyncWorkflowState): SyncWorkflowState {
  const old = carried as SyncWorkflowState & { state?: string; commitRequested?: boolean; reverseRequested?: boolean };
  const { state: _state, commitRequested, reverseRequested, ...rest } = old;
  const upgraded: SyncWorkflowState = { ...rest, failure: rest.failure ?? null, stalls: rest.stalls ?? [], copy: upgradeCopy(rest.copy) };
  if (commitRequested && upgraded.phase === 'applying') upgraded.phase = 'committing';
  if (reverseRequested && upgraded.phase === 'committed') upgraded.phase = 'reversing';
  // Runs from before the event buffer: a copy still to come buffers from the start point; past
  // the copy, events are read from the stream as before.
  // Runs from before the embedded verifier go on without it.
  if (upgraded.verification === undefined) upgraded.verification = null;
  if (upgraded.buffer === undefined) {
    upgraded.buffer = upgraded.phase === 'starting' || upgraded.phase === 'copying' ? initialBufferState() : null;
  }
  return upgraded;
}

function upgradeCopy(copy: SyncWorkflowState['copy']): SyncWorkflowState['copy'] {
  const old = copy as SyncWorkflowState['copy'] & Partial<LegacyCopyState>;
  if (old.pendingCollections === undefined) return copy;
  const { pendingCollections, pendingPartitions, nextPartitionId, ...counters } = old;
  return {
    ...initialCopyState(),
    ...counters,
    legacy: { pendingCollections, pendingPartitions: pendingPartitions ?? [], nextPartitionId: nextPartitionId ?? 0 },
  };
}

export class SyncJob {
  readonly s: SyncWorkflowState;
  private readonly act: SyncActivityCalls;
  /** the code after each activity result runs on its own, in the order of the events (completion-order.ts) */
  private readonly order: CompletionOrder;
  /** preflight passed (or the run was continued as new) */
  started: boolean;
  /** why preflight refused the start */
  startError: SyncWorkflowResult | undefined;
  /** /clear released what it could: the workflow may end */
  cleared = false;
  /** the event buffer reader that runs alongside the copy step */
  private readonly buffering: EventBuffering;
  /** the embedded verifier that runs alongside change event application */
  private readonly verifier: Verifier;
  /** the running change event application iteration of the applying phase; a commit ends it early */
  private applying: CancellationScope | undefined;
  /** the last applyChangeEvents call ended without a result: it may have applied events past the checkpoint */
  private applyMayReplay = false;

  constructor(input: SyncWorkflowInput) {
    this.s = input.carried
      ? upgradeCarried(input.carried)
      : initialState(input.syncId, startOptionsOf(input), { ...DEFAULT_TUNING, ...input.tuning });
    this.s.tuning = { ...DEFAULT_TUNING, ...this.s.tuning, ...input.tuning };
    // (runs recorded before it let the code after completions delivered together interleave)
    this.order = new CompletionOrder(patched(ORDERED_COMPLETIONS_PATCH));
    this.act = activitiesFor(this.s.tuning, this.order);
    this.started = input.carried !== undefined;
    this.buffering = new EventBuffering(this.host);
    this.verifier = new Verifier(this.host);
  }

  /** What the copy loop, the event buffer reader and the verifier use of this job. */
  private get host(): JobHost {
    return {
      s: this.s,
      act: this.act,
      call: (label, run) => this.call(label, run),
      continueAsNewDue: () => this.continueAsNewDue(),
      publish: () => this.publish(),
      condition: (fn) => this.condition(fn),
    };
  }

  /** Waits until `fn` holds, in turn with the activity results (completion-order.ts). */
  condition(fn: () => boolean): Promise<void> {
    return this.order.condition(fn);
  }

  /** Lets the verifier's activities in flight record their results (before continue-as-new). */
  async settle(): Promise<void> {
    await this.verifier.settle();
  }

  get state(): SyncStateName {
    return syncStateOf(this.s);
  }

  // --- commands: check() rejects at once, apply() only records the request ----------------

  check(command: SyncCommand): void {
    const state = this.state;
    const needs = (wanted: SyncStateName): void => {
      if (state === wanted) return;
      const why = this.s.failure
        ? ` (the sync failed: ${this.s.failure.error}: ${this.s.failure.errorDescription}; ${clearHint(workflowInfo().workflowId)})`
        : '';
      reject(SyncErrorName.InvalidState, `cannot ${command} in state ${state}; ${command} needs ${wanted}${why}`);
    };
    switch (command) {
      case 'pause':
        return needs('RUNNING');
      case 'resume':
        return needs('PAUSED');
      case 'commit': {
        needs('RUNNING');
        const blocker = commitBlocker(this.s);
        if (blocker !== null) reject(SyncErrorName.CannotCommit, `cannot commit yet (canCommit is false): ${blocker}`);
        return;
      }
      case 'reverse':
        needs('COMMITTED');
        if (!this.s.options.reversible || this.s.options.writeBlocking !== 'sourceAndDestination') {
          reject(SyncErrorName.NotReversible, 'cannot reverse: the sync was not started with reversible and enableUserWriteBlocking both true');
        }
        return;
      case 'clear':
        return needs('FAILED');
    }
  }

  async apply(command: SyncCommand): Promise<void> {
    switch (command) {
      case 'pause':
        this.s.paused = true;
        break;
      case 'resume':
        this.s.paused = false;
        // the lag's trend before the pause says nothing about the catch-up after it
        this.s.apply.lagSamples = [];
        break;
      case 'commit':
        this.s.phase = 'committing';
        // (histories recorded before this did not cancel the running iteration)
        if (this.applying && patched('commit-ends-apply-iteration')) this.applying.cancel();
        // (nor, before this, the verifier's follower: the commit ended it once the applier's
        // iteration had ended, one heartbeat after the other)
        if (patched(COMMIT_ENDS_FOLLOWER_PATCH)) this.verifier.beginSettling();
        break;
      case 'reverse':
        this.s.phase = 'reversing';
        break;
      case 'clear':
        await this.releaseWriteBlocks();
        this.cleared = true;
        return;
    }
    this.publish();
  }

  // --- what Temporal shows: search attributes and the current details ---------------------

  private shownState: SyncStateName | undefined;

  /** Updates the C2cSyncState search attribute (when it changed) and the UI's details. */
  publish(): void {
    const state = this.state;
    if (state !== this.shownState) {
      upsertSearchAttributes([{ key: SyncStateAttribute, value: state }]);
      this.shownState = state;
    }
    setCurrentDetails(detailsMarkdown(this.s));
  }

  /** The search attributes were set at workflow start with the state the run begins in. */
  markPublished(): void {
    this.shownState = this.state;
  }

  continueAsNewDue(): boolean {
    return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > this.s.tuning.continueAsNewAfterEvents;
  }

  /** Continue-as-new happens between steps, never inside a commit or a reverse. */
  mayContinueAsNew(): boolean {
    return this.continueAsNewDue() && this.s.phase !== 'committing' && this.s.phase !== 'reversing' && this.s.phase !== 'failed';
  }

  // --- steps ------------------------------------------------------------------------------

  /** Preflight, write block and start point. False when the start is refused (stays IDLE). */
  async start(): Promise<boolean> {
    const s = this.s;
    // Runs recorded before it ran these steps as activities, each with its workflow task.
    const act = patched(START_IN_FIRST_TASK_PATCH) ? this.act.local : this.act;
    try {
      const checked = await act.preflight({
        source: s.source,
        destination: s.destination,
        writeBlocking: s.options.writeBlocking,
        ignoredDestinationDatabases: [C2C_METADATA_DB, C2C_VERIFIER_DB],
        includeNamespaces: s.options.includeNamespaces,
        excludeNamespaces: s.options.excludeNamespaces,
      });
      s.hosts[s.source] = checked.source.host;
      s.hosts[s.destination] = checked.destination.host;
      if (s.options.writeBlocking !== 'none') {
        await act.setWriteBlocking({ cluster: s.destination, blocked: true });
        s.destinationWritesBlocked = true;
      }
      // The start point is noted before anything reads the source's catalog or data (the catalog
      // copy comes next), and after preflight, so a refused start writes nothing to the source.
      s.startPoint = await act.noteTime({ cluster: s.source, reason: 'start point', syncId: s.syncId });
    } catch (error) {
      // A local activity's failure arrives unwrapped: its ApplicationFailure or TimeoutFailure
      // itself, not an ActivityFailure (temporalio/sdk-core#449).
      if (!(error instanceof ActivityFailure || error instanceof ApplicationFailure || error instanceof TimeoutFailure)) throw error;
      const failure = error instanceof ActivityFailure ? error.cause : error;
      const errorDescription = failure instanceof ApplicationFailure ? failure.message : error.message;
      const type = failure instanceof ApplicationFailure ? failure.type : undefined;
      if (s.destinationWritesBlocked) {
        await this.act.setWriteBlocking({ cluster: s.destination, blocked: false });
        s.destinationWritesBlocked = false;
      }
      this.startError = { outcome: 'start-failed', error: isSyncErrorName(type) ? type : SyncErrorName.PreflightFailed, errorDescription };
      return false;
    }
    this.started = true;
    s.apply.checkpoint = { resumeToken: null, startAt: s.startPoint };
    return true;
  }

  /** One step of the current phase; the main loop calls it until something ends the run. */
  async step(): Promise<void> {
    switch (this.s.phase) {
      case 'starting':
        return this.copyCatalog();
      case 'copying':
        return this.buffering.alongside(() => this.copy());
      case 'applying':
        return this.verifier.alongside(() => this.applyUntilCommit());
      case 'committing':
        return this.commit();
      case 'committed':
        await this.condition(() => this.s.phase !== 'committed' || this.continueAsNewDue());
        return;
      case 'reversing':
        return this.reverse();
      case 'failed':
        await this.condition(() => this.cleared);
        return;
    }
  }

  private get catalog() {
    return {
      source: this.s.source,
      destination: this.s.destination,
      includeNamespaces: this.s.options.includeNamespaces,
      excludeNamespaces: this.s.options.excludeNamespaces,
      buildIndexes: this.s.options.buildIndexes,
    };
  }

  private async copyCatalog(): Promise<void> {
    const s = this.s;
    // The first page is planned in the same activity (a workflow task and an activity sooner to
    // the first units); a run recorded before plans it with planCopyPage.
    const planFirstPage = patched(FIRST_PAGE_IN_CATALOG_PATCH)
      ? { ...pageLimits(s.tuning), workers: s.tuning.copyConcurrency, startPoint: s.startPoint }
      : undefined;
    const copied = await this.call('copyCatalog', () => this.act.copyCatalog({ ...this.catalog, ...(planFirstPage ? { planFirstPage } : {}) }));
    // A run recorded before the copy plan moved to the destination got the collections in this
    // result; replaying it must carry its copy on as it began (legacy-copy.ts).
    const legacyCollections = (copied as { collections?: PendingCollection[] }).collections;
    if (Array.isArray(legacyCollections)) {
      s.copy.legacy = { pendingCollections: legacyCollections, pendingPartitions: [], nextPartitionId: 0 };
    } else {
      delete s.copy.legacy;
      s.copy.collectionsTotal = copied.collectionsTotal;
      if (copied.firstPage) recordPage(s.copy, copied.firstPage);
    }
    s.copy.estimatedTotalBytes = Math.max(1, copied.estimatedTotalBytes);
    s.copy.started = true;
    s.phase = 'copying';
    this.publish();
  }


  private async copy(): Promise<void> {
    const s = this.s;
    const copied = s.copy.legacy ? await runLegacyCopy(this.host, s.copy.legacy) : await runCopy(this.host);
    if (!copied || s.paused) return;
    s.copy.done = true;
    s.copy.estimatedTotalBytes = Math.max(1, s.copy.copiedBytes);
    // The verifier's first pass needs the copy, not the indexes: it runs alongside their build.
    this.verifier.startAtCopyEnd();
    const buildIndexes = () => this.call('buildIndexes', () => this.act.buildIndexes({ ...this.catalog, collectionsAtOnce: this.s.tuning.indexBuildConcurrency }));
    const noteCopyCompleted = () =>
      this.call('noteTime', () => this.act.noteTime({ cluster: s.source, reason: 'copy completed', syncId: s.syncId }));
    if (patched('copy-end-steps-at-once')) {
      // The copy's last read is behind us, so the time noted while the indexes build is as good a
      // copy-completed time as one noted after them; one workflow task and round trip fewer.
      [s.copy.indexBuilding, s.copy.completedAt] = await Promise.all([buildIndexes(), noteCopyCompleted()]);
    } else {
      s.copy.indexBuilding = await buildIndexes();
      s.copy.completedAt = await noteCopyCompleted();
    }
    s.phase = 'applying';
    this.publish();
  }

  /** One iteration, ended early (with its result) when a commit is requested meanwhile. */
  private async applyUntilCommit(): Promise<void> {
    const scope = new CancellationScope();
    this.applying = scope;
    try {
      await scope.run(() => this.applyOnce(null));
    } catch (error) {
      // Cancelled before it started, or while a step that cannot be cut short ran: no result,
      // and the next call may replay what it applied. A cancelled workflow goes on cancelling.
      if (!isCancellation(error) || this.s.phase !== 'committing' || CancellationScope.current().consideredCancelled) throw error;
    } finally {
      this.applying = undefined;
    }
  }

  private async applyOnce(stopAt: ClusterTime | null): Promise<ApplyChangeEventsResult> {
    const s = this.s;
    const result = await this.callApply(() =>
      this.act.applyChangeEvents({
        ...this.catalog,
        checkpoint: s.apply.checkpoint,
        stopAt,
        maxDurationMs: s.tuning.applyIterationMs,
        maxBatchEvents: s.tuning.applyBatchEvents,
        maxBatchBytes: s.tuning.applyBatchBytes,
        copyCompletedAt: s.copy.completedAt,
        syncId: s.syncId,
        ...(s.verification?.begun ? { recordVerificationChanges: true } : {}),
        ...(this.applyMayReplay ? { mayReplay: true } : {}),
      }),
    );
    s.apply.checkpoint = result.checkpoint;
    s.apply.iterations += 1;
    s.apply.eventsApplied += result.eventsApplied;
    if (result.appliedThrough) s.apply.appliedThrough = result.appliedThrough;
    s.apply.sourceTime = result.sourceTime;
    if (result.lastDdlAt) s.apply.lastDdlAppliedAt = result.lastDdlAt;
    s.apply.sourceOplogOldest = result.sourceOplogOldest;
    s.apply.sourceOplogFreeSeconds = result.sourceOplogFreeSeconds ?? null;
    this.recordLag();
    this.publish();
    return result;
  }

  /** Runs an applyChangeEvents call, noting whether it ended without a result. */
  private async callApply(run: () => Promise<ApplyChangeEventsResult>): Promise<ApplyChangeEventsResult> {
    const result = await this.call('applyChangeEvents', async () => {
      try {
        return await run();
      } catch (error) {
        this.applyMayReplay = true;
        throw error;
      }
    });
    this.applyMayReplay = false;
    return result;
  }

  /** A sample of the lag for estimatedSecondsToCEACatchup (workflow time: deterministic). */
  private recordLag(): void {
    const applied = appliedThrough(this.s);
    const sourceTime = this.s.apply.sourceTime;
    if (applied === null || sourceTime === null) return;
    this.s.apply.lagSamples = recordLagSample(this.s.apply.lagSamples ?? [], { at: Date.now(), applied: applied.t, source: sourceTime.t });
  }

  private async commit(): Promise<void> {
    const s = this.s;
    this.publish();
    const verifying = this.verifier.active();
    if (verifying) await this.verifier.settle();
    await this.holdSourceAtCommitPoint();
    for (;;) {
      const result = await this.applyOnce(s.commit.point);
      if (result.reachedStopAt) break;
    }
    // Documents whose events met a later state (copy drain, retries) are taken from the source
    // now that every event is applied, so their field order is exact too.
    await this.call('resyncDocuments', () => this.act.resyncDocuments({ source: s.source, destination: s.destination }));
    await this.call('finalizeDestination', () => this.act.finalizeDestination({ ...this.catalog, stage: 'beforeCanWrite' }));
    if (verifying) await this.verifier.drainDestinationEvents();
    if (verifying) await this.verifyAtCommit();
    if (s.options.writeBlocking !== 'none') {
      s.destinationWritableAt = await this.call('noteTime', () =>
        this.act.noteTime({ cluster: s.destination, reason: 'writes enabled', syncId: s.syncId }),
      );
      await this.call('setWriteBlocking', () => this.act.setWriteBlocking({ cluster: s.destination, blocked: false }));
      s.destinationWritesBlocked = false;
    }
    s.commit.canWrite = true;
    this.publish();
    await this.call('finalizeDestination', () => this.act.finalizeDestination({ ...this.catalog, stage: 'afterCanWrite' }));
    s.phase = 'committed';
    this.publish();
  }

  /**
   * Blocks the source's user writes (when the sync blocks them), then notes the commit point: every
   * write the source accepted is before it. Idempotent (a commit resumed after a crash).
   */
  private async holdSourceAtCommitPoint(): Promise<void> {
    const s = this.s;
    if (s.options.writeBlocking === 'sourceAndDestination' && !s.sourceWritesBlocked) {
      await this.call('setWriteBlocking', () => this.act.setWriteBlocking({ cluster: s.source, blocked: true }));
      s.sourceWritesBlocked = true;
    }
    s.commit.point ??= await this.call('noteTime', () => this.act.noteTime({ cluster: s.source, reason: 'commit point', syncId: s.syncId }));
  }

  /**
   * The verifier's commit check: every event up to the commit point is applied, so what it
   * rechecks must be equal. A mismatch fails the sync and the destination stays write-blocked.
   */
  private async verifyAtCommit(): Promise<void> {
    const s = this.s;
    // (The catalog check cannot run alongside: verifyAtCommit counts every mismatch in the
    // verifier's store, where the catalog check records its own, and drops the store when none.)
    const result = await this.call('verifyAtCommit', () => this.act.verifyAtCommit({ source: s.source, destination: s.destination }));
    const catalog = await this.verifyCatalogAtCommit();
    if (result.mismatchCount === 0 && catalog.mismatchCount === 0) return;
    this.verifier.noteConfirmed(result.mismatches, result.mismatchCount);
    this.verifier.noteConfirmed(catalog.mismatches, catalog.mismatchCount);
    throw ApplicationFailure.create({
      type: SyncErrorName.VerificationFailed,
      nonRetryable: true,
      message: commitCheckFailureMessage(result, catalog),
    });
  }

  /**
   * The commit check of the catalog: with the destination's indexes and options restored, every
   * synced namespace's options, indexes and view definition must equal the source's. Runs
   * recorded before it skip it (the patch).
   */
  private async verifyCatalogAtCommit(): Promise<CommitCheckFindings> {
    if (!patched(CATALOG_AT_COMMIT_PATCH)) return { mismatchCount: 0, mismatches: [] };
    const result = await this.call('verifyCatalog', () => this.act.verifyCatalog(this.catalog));
    if (this.s.verification) this.s.verification.catalogNamespaces = result.namespaces;
    return result;
  }

  private async reverse(): Promise<void> {
    const s = this.s;
    this.publish();
    const [oldSource, oldDestination] = [s.source, s.destination];
    // The old source has been write-blocked since the commit; it now receives the changes.
    await this.call('setWriteBlocking', () => this.act.setWriteBlocking({ cluster: oldSource, blocked: true }));
    s.source = oldDestination;
    s.destination = oldSource;
    s.sourceWritesBlocked = false;
    s.destinationWritesBlocked = true;
    s.apply.checkpoint = { resumeToken: null, startAt: s.destinationWritableAt };
    s.apply.appliedThrough = s.destinationWritableAt;
    s.apply.sourceTime = null;
    s.apply.sourceOplogOldest = null;
    s.apply.sourceOplogFreeSeconds = null;
    s.apply.lagSamples = [];
    s.apply.iterations = 0;
    s.commit = { point: null, canWrite: false };
    s.destinationWritableAt = null;
    s.reversals += 1;
    // The copy plan the verifier walks went with the commit: a reversed sync runs without it.
    s.verification = null;
    s.phase = 'applying';
    this.publish();
  }

  // --- stalls and failures ------------------------------------------------------------------

  /**
   * Runs an activity call until it succeeds. When the server used up its attempts on retryable
   * errors, the stall is shown as a /progress warning and the call is scheduled again after
   * stallRetryDelayMs, so the sync heals when the cause goes away. Anything else propagates.
   */
  private async call<T>(label: string, run: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const result = await run();
        this.clearStall(label);
        return result;
      } catch (error) {
        if (!retriesExhausted(error)) throw error;
        this.noteStall(label, error);
        await this.order.settle(sleep(this.s.tuning.stallRetryDelayMs));
      }
    }
  }

  private noteStall(label: string, error: unknown): void {
    const { error: name, errorDescription } = failureInfo(error);
    const stalls = this.s.stalls;
    const known = stalls.find((stall) => stall.call === label);
    const stall: ActivityStall = known ?? { call: label, error: name, errorDescription, failures: 0, since: new Date().toISOString() };
    stall.error = name;
    stall.errorDescription = errorDescription;
    stall.failures += this.s.tuning.stallWarningAttempts;
    if (!known) stalls.push(stall);
    log.warn('activity keeps failing; retrying', { call: label, error: name, errorDescription, failures: stall.failures });
    this.publish();
  }

  private clearStall(label: string): void {
    const index = this.s.stalls.findIndex((stall) => stall.call === label);
    if (index < 0) return;
    this.s.stalls.splice(index, 1);
    this.publish();
  }

  /**
   * A fatal error: the sync becomes FAILED (shown at once), then releases the write blocks it
   * set. On cancellation, only the blocks are released and the cancellation goes on.
   */
  async fail(error: unknown): Promise<void> {
    const s = this.s;
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => this.releaseWriteBlocks());
      throw error;
    }
    const { error: name, errorDescription } = failureInfo(error);
    s.failure = { error: name, errorDescription, phase: s.phase, at: new Date().toISOString(), blocksLeft: null };
    s.phase = 'failed';
    s.paused = false;
    s.stalls = [];
    log.error('sync failed', { syncId: s.syncId, error: name, errorDescription, phase: s.failure.phase });
    this.publish();
    // The destination failed verification: it is not opened to writes (only /clear does that).
    await this.releaseWriteBlocks(name === SyncErrorName.VerificationFailed);
  }

  /** Releases the write blocks this sync set; what cannot be released is said in the failure. */
  private async releaseWriteBlocks(keepDestinationBlocked = false): Promise<void> {
    const s = this.s;
    const left: string[] = [];
    if (keepDestinationBlocked && s.destinationWritesBlocked) {
      left.push(`user writes on ${s.destination} stay blocked because verification failed; /clear releases them`);
    }
    const release = async (cluster: ClusterLabel, flag: 'sourceWritesBlocked' | 'destinationWritesBlocked'): Promise<void> => {
      if (!s[flag]) return;
      try {
        await this.act.releaseWriteBlocking({ cluster, blocked: false });
        s[flag] = false;
      } catch (error) {
        const host = s.hosts[cluster] ? ` (${s.hosts[cluster]})` : '';
        left.push(
          `user writes on ${cluster}${host} are still blocked (${failureInfo(error).errorDescription}): ` +
            'release them with db.adminCommand({ setUserWriteBlockMode: 1, global: false }) there, ' +
            'or call /clear to try again',
        );
      }
    };
    await release(s.source, 'sourceWritesBlocked');
    if (!keepDestinationBlocked) await release(s.destination, 'destinationWritesBlocked');
    if (s.failure) s.failure.blocksLeft = left.length > 0 ? left.join('; ') : null;
    this.publish();
  }

  /** How the workflow ends once a FAILED sync is cleared: failed, with the sync's error. */
  clearedFailure(): ApplicationFailure {
    const failure = this.s.failure!;
    return ApplicationFailure.create({
      message: `${failure.errorDescription} (cleared by the user)`,
      type: failure.error,
      nonRetryable: true,
      details: [failure],
    });
  }
}

function reject(error: SyncErrorName, description: string): never {
  throw ApplicationFailure.nonRetryable(description, error);
}
