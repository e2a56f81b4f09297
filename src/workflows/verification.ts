// The embedded verifier in the workflow (docs/embedded-verifier.md). Once change event
// application starts, it compares every work unit of the copy plan (verifyWorkUnit, up to
// verifyConcurrency at once, each resuming from its checkpoint) while the applier runs, and
// rechecks the candidates the comparisons found once the applier has passed them. canCommit waits
// for the first pass (commitBlocker in src/sync/progress.ts); the commit check runs in SyncJob.commit.
//
// The work runs as promises that live across the applier's steps: launched after each step and
// whenever one of them ends, never while paused, committing or when continue-as-new is due.
// Runs recorded before the verifier existed replay without it (the patch below).
import { CancellationScope, isCancellation, log, patched } from '@temporalio/workflow';
import {
  describeMismatch,
  earlierTime,
  noteMismatches,
  type OpenVerificationUnit,
  recheckDue,
  type VerificationMismatch,
  type VerificationState,
  type VerificationTime,
  verificationSpan,
} from '../sync/verification';
import type { SyncWorkflowState } from '../sync/state';
import type { SyncActivityCalls } from './activity-calls';
import type { JobHost } from './job-host';

export const EMBEDDED_VERIFIER_PATCH = 'embedded-verifier';
/** Several work units per verifyWorkUnit call; runs recorded before compare one unit per call. */
export const VERIFIER_SPANS_PATCH = 'verifier-unit-spans';
/** The verifier follows the destination's change stream (verify-destination-events.ts); runs recorded before do not. */
export const DESTINATION_EVENTS_PATCH = 'verifier-destination-events';
/** settle() cancels the follower's call in flight instead of waiting up to verifyChunkMaxMs for it. */
export const SETTLE_ENDS_FOLLOWER_PATCH = 'settle-ends-destination-follower';
/**
 * The first pass starts as the copy ends, alongside the index build, instead of at change event
 * application; runs recorded before start it at CEA.
 */
export const VERIFIER_AT_COPY_END_PATCH = 'verifier-starts-at-copy-end';
const FOLLOWER = 'destination events';

export class Verifier {
  private readonly running = new Map<string, Promise<void>>();
  private failure: { error: unknown } | undefined;
  private patchedIn: boolean | undefined;
  private spansPatched: boolean | undefined;
  private followsDestination: boolean | undefined;
  /** The follower's call in flight, which settle() may end early. */
  private following: CancellationScope | undefined;
  private holding = false;
  /** the first pass may run before CEA: the copy has ended (patch VERIFIER_AT_COPY_END_PATCH) */
  private startedAtCopyEnd = false;
  /**
   * Candidates the units reported while a recheck ran, and their earliest stamp: the recheck's
   * count may have missed them, so they are added to it (an overcount is corrected by the next
   * recheck; an undercount would open canCommit with undecided candidates).
   */
  private duringRecheck: { candidates: number; dueAt: VerificationTime | null } | null = null;

  constructor(private readonly host: JobHost) {}

  /**
   * True when this sync verifies. A run recorded before the verifier existed, or one whose copy
   * plan is not on the destination (a legacy copy), drops its verifier state instead.
   */
  active(): boolean {
    const s = this.host.s;
    if (!s.verification) return false;
    if (this.patchedIn === undefined) this.patchedIn = patched(EMBEDDED_VERIFIER_PATCH);
    if (!this.patchedIn || s.copy.legacy) {
      s.verification = null;
      return false;
    }
    return true;
  }

  /** Runs one applier step with the verifier's work launched alongside; throws a verifier failure. */
  async alongside(step: () => Promise<unknown>): Promise<void> {
    if (this.active()) this.launch();
    await step();
    if (this.active()) this.launch(true);
    this.throwIfFailed();
  }

  /**
   * A commit was requested: launch nothing more, and end the follower's call in flight now, at the
   * same time as the applier's (a cancellation reaches each at its next heartbeat), instead of
   * after it. settle() then waits for what is still in flight.
   */
  beginSettling(): void {
    if (!this.active()) return;
    this.holding = true;
    this.following?.cancel();
  }

  /**
   * Starts the verifier as the copy ends, while the indexes build (its activities run on across
   * the step that follows). A comparison then finds more documents the applier has still to
   * write, but each becomes a candidate that is rechecked only once the applier has passed its
   * stamp, and the applier records what it writes from its first call on (the verifier has begun
   * by then), so starting earlier changes what is decided by a recheck, not what is decided.
   */
  startAtCopyEnd(): void {
    const s = this.host.s;
    if (!s.verification || !s.copy.done) return;
    if (!patched(VERIFIER_AT_COPY_END_PATCH) || !this.active()) return;
    this.startedAtCopyEnd = true;
    this.launch();
  }

  /** Waits for the verifier's activities in flight to end (before a commit or continue-as-new). */
  async settle(): Promise<void> {
    this.holding = true;
    // The follower loses nothing when cut short: its position is stored after the entries it
    // covers, and the commit check's drain reads on from there.
    if (this.following && patched(SETTLE_ENDS_FOLLOWER_PATCH)) this.following.cancel();
    try {
      while (this.running.size > 0) await Promise.all([...this.running.values()]);
    } finally {
      this.holding = false;
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    const failure = this.failure;
    if (!failure) return;
    this.failure = undefined;
    throw failure.error;
  }

  private get v(): VerificationState {
    return this.host.s.verification!;
  }

  private launch(afterStep = false): void {
    const { s } = this.host;
    const running = s.phase === 'applying' || (this.startedAtCopyEnd && s.phase === 'copying' && s.copy.done);
    if (this.holding || this.failure || !s.verification || s.paused || !running || this.host.continueAsNewDue()) return;
    const v = this.v;
    if (!v.begun) {
      this.track('begin', () => this.begin());
      return;
    }
    while (this.unitsRunning() < s.tuning.verifyConcurrency) {
      const open = this.nextUnit();
      if (!open) break;
      this.track(`unit ${open.unit}`, () => this.verifyUnit(open));
    }
    if (this.followingDestination()) this.track(FOLLOWER, () => this.followDestination());
    // Deferred candidates wait for the commit check: only undecided ones call for a recheck, and
    // only once the applier has passed the earliest of their stamps (none is due before).
    if (afterStep && s.apply.appliedThrough && recheckDue(v, s.apply.appliedThrough) && !this.running.has('recheck')) {
      const through = s.apply.appliedThrough;
      this.track('recheck', () => this.recheck(through));
    }
  }

  private track(key: string, run: () => Promise<void>): void {
    if (this.running.has(key)) return;
    const work = run()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.running.delete(key);
        this.host.publish();
        this.launch();
      });
    this.running.set(key, work);
  }

  private unitsRunning(): number {
    return [...this.running.keys()].filter((key) => key.startsWith('unit ')).length;
  }

  private nextUnit(): OpenVerificationUnit | undefined {
    const v = this.v;
    const interrupted = v.openUnits.find((open) => !this.running.has(`unit ${open.unit}`));
    if (interrupted) return interrupted;
    if (v.nextUnit >= v.unitsTotal) return undefined;
    if (this.spansPatched === undefined) this.spansPatched = patched(VERIFIER_SPANS_PATCH);
    const units = this.spansPatched ? verificationSpan(v.unitsTotal - v.nextUnit, this.host.s.tuning.verifyConcurrency) : 1;
    const open: OpenVerificationUnit = units > 1 ? { unit: v.nextUnit, units, resume: null } : { unit: v.nextUnit, resume: null };
    v.nextUnit += units;
    v.openUnits.push(open);
    return open;
  }

  private async begin(): Promise<void> {
    const { s, act } = this.host;
    const start = s.startPoint;
    const runKey = `${s.syncId}@${start ? `${start.t}.${start.i}` : 'unknown'}`;
    await this.host.call('beginVerification', () => act.beginVerification({ destination: s.destination, runKey }));
    // The follower's start point comes before any range is compared: a destination write after a
    // range's comparison is then always after the start point.
    if (this.followingDestination()) {
      await this.host.call('beginDestinationEvents', () => act.beginDestinationEvents({ destination: s.destination, syncId: s.syncId }));
    }
    const v = this.v;
    v.begun = true;
    v.unitsTotal = s.copy.unitsPlanned;
    v.passDone = v.unitsTotal === 0;
    log.info('verification started', { syncId: s.syncId, units: v.unitsTotal });
  }

  private async verifyUnit(open: OpenVerificationUnit): Promise<void> {
    const { s, act } = this.host;
    const result = await this.host.call(`verifyWorkUnit #${open.unit}${open.units ? `-${open.unit + open.units - 1}` : ''}`, () =>
      act.verifyWorkUnit({
        source: s.source,
        destination: s.destination,
        unit: open.unit,
        ...(open.units !== undefined ? { units: open.units } : {}),
        resume: open.resume,
        maxDurationMs: s.tuning.verifyChunkMaxMs,
        batchSize: s.tuning.verifyBatchSize,
        syncId: s.syncId,
      }),
    );
    const v = this.v;
    const counted = open.counted ?? { sourceDocuments: 0, destinationDocuments: 0, collectionsScanned: 0 };
    v.sourceDocuments += result.sourceDocuments - counted.sourceDocuments;
    v.destinationDocuments += result.destinationDocuments - counted.destinationDocuments;
    v.collectionsScanned += result.collectionsScanned - counted.collectionsScanned;
    open.counted = { sourceDocuments: result.sourceDocuments, destinationDocuments: result.destinationDocuments, collectionsScanned: result.collectionsScanned };
    v.candidates += result.candidates;
    v.candidatesFound = (v.candidatesFound ?? 0) + result.candidates;
    if (result.candidates > 0) {
      // a result from before the field: its candidates' stamps are unknown, so due now
      const dueAt = result.firstDetectedAt ?? s.apply.appliedThrough ?? null;
      v.nextDueAt = earlierTime(v.nextDueAt, dueAt);
      if (this.duringRecheck) {
        this.duringRecheck.candidates += result.candidates;
        this.duringRecheck.dueAt = earlierTime(this.duringRecheck.dueAt, dueAt);
      }
    }
    if (!result.done) {
      open.resume = result.resume;
      return;
    }
    v.openUnits = v.openUnits.filter((other) => other.unit !== open.unit);
    v.unitsDone += open.units ?? 1;
    if (v.unitsDone >= v.unitsTotal && !v.passDone) {
      v.passDone = true;
      log.info('verification finished its first pass', { syncId: s.syncId, documents: v.sourceDocuments, candidates: v.candidates });
    }
  }

  private async recheck(through: NonNullable<SyncWorkflowState['apply']['appliedThrough']>): Promise<void> {
    const { s, act } = this.host;
    const found = (this.duringRecheck = { candidates: 0, dueAt: null as VerificationTime | null });
    let result: Awaited<ReturnType<SyncActivityCalls['recheckVerification']>>;
    try {
      result = await this.host.call('recheckVerification', () =>
        act.recheckVerification({ source: s.source, destination: s.destination, appliedThrough: through, syncId: s.syncId }),
      );
    } finally {
      this.duringRecheck = null;
    }
    const v = this.v;
    v.candidates = result.candidates + found.candidates;
    v.deferred = result.deferred;
    // a result from before the field: the stamps are unknown, recheck after the next step
    v.nextDueAt = result.nextDueAt === undefined ? null : earlierTime(result.nextDueAt, found.dueAt);
    v.recheckedThrough = through;
    this.noteConfirmed(result.mismatches, result.mismatchCount);
  }

  /** Whether this run follows the destination's change stream (decided once per run, for replay). */
  private followingDestination(): boolean {
    if (this.followsDestination === undefined) this.followsDestination = patched(DESTINATION_EVENTS_PATCH);
    return this.followsDestination;
  }

  private followCall(drain: boolean) {
    const { s, act } = this.host;
    return this.host.call(drain ? 'followDestinationEvents (commit)' : 'followDestinationEvents', () =>
      act.followDestinationEvents({
        source: s.source,
        destination: s.destination,
        includeNamespaces: s.options.includeNamespaces,
        excludeNamespaces: s.options.excludeNamespaces,
        maxDurationMs: s.tuning.verifyChunkMaxMs,
        batchSize: s.tuning.verifyBatchSize,
        syncId: s.syncId,
        ...(drain ? { drain: true } : {}),
      }),
    );
  }

  /** One bounded call of the follower (launched again after it ends, while the applier runs). */
  private async followDestination(): Promise<void> {
    const scope = new CancellationScope();
    this.following = scope;
    try {
      await scope.run(() => this.followCall(false));
    } catch (error) {
      // Ended by settle(); a cancelled workflow goes on cancelling.
      if (!isCancellation(error) || !this.holding || CancellationScope.current().consideredCancelled) throw error;
    } finally {
      this.following = undefined;
    }
  }

  /**
   * The commit check's first part: with every event applied and the destination write-blocked
   * (or no longer written to), reads the destination's events up to a point taken now and
   * compares the namespaces dropped or renamed there. The verifier must be settled.
   */
  async drainDestinationEvents(): Promise<void> {
    if (!this.active() || !this.followingDestination()) return;
    for (;;) {
      const result = await this.followCall(true);
      if (result.drained) return;
    }
  }

  /** Records confirmed mismatches in the state (bounded) and the log (each one named). */
  noteConfirmed(found: readonly VerificationMismatch[], total: number): void {
    if (total === 0) return;
    noteMismatches(this.v, found, total);
    for (const mismatch of found) log.error('verification mismatch', { syncId: this.host.s.syncId, ...mismatch, description: describeMismatch(mismatch) });
    if (total > found.length) log.error('verification mismatches not listed', { syncId: this.host.s.syncId, count: total - found.length });
  }
}
