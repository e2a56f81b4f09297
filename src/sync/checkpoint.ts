// Change-stream checkpoint math: where it is safe to resume after a batch of events was
// partly applied (events of different documents are applied concurrently, so they complete
// out of order). The safe point is the last event of the longest fully applied prefix; when
// the whole batch is applied, the batch's postBatchResumeToken (which may be a high-water
// mark past the last event). Checkpoints never move backwards.
// On a restart from a checkpoint, events after it are delivered again; `isAlreadyApplied` tells
// which of them were applied before the restart (from the persisted appliedBeyondCheckpoint).
// Workflow-safe: type imports only.
import type { ChangeStreamCheckpoint } from './state-types';
import { clusterTimeFromResumeToken, compareClusterTimes, type ClusterTime, type ResumeToken } from './vocabulary';

export interface EventPosition {
  resumeToken: ResumeToken;
  clusterTime: ClusterTime;
}

export interface BatchPositions {
  /** the batch's events in stream order */
  events: readonly EventPosition[];
  /** the cursor's postBatchResumeToken for this batch, when known */
  postBatchResumeToken?: ResumeToken | null;
  /** cluster time of the postBatchResumeToken (decoded from it when absent) */
  postBatchClusterTime?: ClusterTime | null;
}

/** Number of leading events that are applied. */
export function appliedPrefixLength(count: number, isApplied: (index: number) => boolean): number {
  let n = 0;
  while (n < count && isApplied(n)) n++;
  return n;
}

/**
 * Orders two checkpoints: by cluster time, then by token (hex KeyStrings sort in stream order).
 * A checkpoint without a cluster time sorts before every one with a cluster time.
 */
export function compareCheckpoints(a: ChangeStreamCheckpoint, b: ChangeStreamCheckpoint): number {
  if (a.clusterTime === null || b.clusterTime === null) {
    if (a.clusterTime === b.clusterTime) return compareTokens(a.resumeToken, b.resumeToken);
    return a.clusterTime === null ? -1 : 1;
  }
  const byTime = compareClusterTimes(a.clusterTime, b.clusterTime);
  return byTime !== 0 ? byTime : compareTokens(a.resumeToken, b.resumeToken);
}

function compareTokens(a: ResumeToken | null, b: ResumeToken | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const x = a._data.toUpperCase();
  const y = b._data.toUpperCase();
  return x === y ? 0 : x < y ? -1 : 1;
}

/** The later of two checkpoints (`current` when they are equal). */
export function laterCheckpoint(current: ChangeStreamCheckpoint, candidate: ChangeStreamCheckpoint): ChangeStreamCheckpoint {
  return compareCheckpoints(candidate, current) > 0 ? candidate : current;
}

/**
 * The checkpoint that is safe to persist after applying part of `batch`.
 * `isApplied(i)` tells whether event i of the batch is durably applied (or needs no applying,
 * e.g. it was filtered out).
 */
export function safeCheckpoint(
  current: ChangeStreamCheckpoint,
  batch: BatchPositions,
  isApplied: (index: number) => boolean,
): ChangeStreamCheckpoint {
  const prefix = appliedPrefixLength(batch.events.length, isApplied);
  let candidate: ChangeStreamCheckpoint | null = null;
  if (prefix === batch.events.length && batch.postBatchResumeToken) {
    const lastEvent = batch.events[batch.events.length - 1];
    const clusterTime =
      batch.postBatchClusterTime ?? clusterTimeFromResumeToken(batch.postBatchResumeToken) ?? lastEvent?.clusterTime ?? null;
    candidate = { resumeToken: batch.postBatchResumeToken, clusterTime };
  } else if (prefix > 0) {
    const last = batch.events[prefix - 1];
    candidate = { resumeToken: last.resumeToken, clusterTime: last.clusterTime };
  }
  return candidate === null ? current : laterCheckpoint(current, candidate);
}

/**
 * Tracks completion of a batch whose events finish out of order and reports the safe
 * checkpoint after each completion. Pure bookkeeping; no I/O.
 */
export class BatchCheckpointTracker {
  private readonly applied: boolean[];
  private prefix = 0;
  private checkpoint: ChangeStreamCheckpoint;

  constructor(
    private readonly batch: BatchPositions,
    start: ChangeStreamCheckpoint,
  ) {
    this.applied = batch.events.map(() => false);
    this.checkpoint = start;
  }

  /** Marks events as applied and returns the (possibly advanced) safe checkpoint. */
  markApplied(indexes: Iterable<number>): ChangeStreamCheckpoint {
    for (const index of indexes) {
      if (index < 0 || index >= this.applied.length) throw new RangeError(`event index ${index} is outside the batch`);
      this.applied[index] = true;
    }
    while (this.prefix < this.applied.length && this.applied[this.prefix]) this.prefix++;
    this.checkpoint = safeCheckpoint(this.checkpoint, this.batch, (i) => i < this.prefix);
    return this.checkpoint;
  }

  /**
   * Tokens of the events applied beyond the checkpoint (completed out of order). Persisted
   * with the checkpoint, they let a restart skip exactly those events instead of applying
   * them again onto documents that already reflect later events (see event-translation.ts).
   */
  appliedBeyondCheckpoint(): ResumeToken[] {
    const out: ResumeToken[] = [];
    for (let i = this.prefix; i < this.applied.length; i++) if (this.applied[i]) out.push(this.batch.events[i].resumeToken);
    return out;
  }

  /** Number of leading events applied. */
  get appliedPrefix(): number {
    return this.prefix;
  }

  get isComplete(): boolean {
    return this.prefix === this.applied.length;
  }

  get current(): ChangeStreamCheckpoint {
    return this.checkpoint;
  }
}

/** On a restart, whether a redelivered event was applied before (it is in the persisted list). */
export function isAlreadyApplied(token: ResumeToken, appliedBeyondCheckpoint: readonly ResumeToken[]): boolean {
  return appliedBeyondCheckpoint.some((t) => t._data === token._data);
}
