// Samples a running sync once a second through the product's client (the `state` query, the
// same one `/progress` is built from) and the source's oplog window, and keeps only running
// figures: when the copy started and ended, the best change-event apply rate over a window,
// and the largest oplog distance the sync needed.
import type { SyncController } from '../../../src/client/sync-controller';
import type { SyncWorkflowState } from '../../../src/sync/state';
import type { ClusterTime } from '../../../src/sync/vocabulary';
import type { MongoClient } from 'mongodb';
import { type OplogMeter, oplogWindow } from './oplog-meter';

/**
 * The oldest source position the sync may still read, or null when it reads the source no more.
 * The same rule as oplogSecondsRemaining in src/sync/progress.ts (the applied position, else the
 * start point); the one place to change when the engine reads events from elsewhere.
 */
export function neededSourceTime(state: SyncWorkflowState): ClusterTime | null {
  if (!['starting', 'copying', 'applying'].includes(state.phase) || state.commit.canWrite) return null;
  return state.apply.appliedThrough ?? state.apply.checkpoint.startAt ?? state.startPoint;
}

export interface SyncSamples {
  copyStartedMs: number | null;
  copyDoneMs: number | null;
  /** when the sync was first seen applying change events (the index build after the copy is over) */
  applyingMs: number | null;
  copiedDocuments: number;
  copiedBytes: number;
  eventsApplied: number;
  /** best events/s over any window of at least APPLY_WINDOW_MS */
  peakApplyRate: number;
  /** events applied after the copy ended, and over how long, until the sync first could commit */
  drainEvents: number | null;
  drainMs: number | null;
  /** the largest (newest source entry - oldest needed position), in seconds and oplog bytes */
  maxNeededSeconds: number;
  maxNeededBytes: number;
  /** the smallest (oldest needed position - oldest oplog entry): how close the oplog came to losing what the sync needed */
  minOplogHeadroomSeconds: number | null;
  samples: number;
  failedSamples: number;
  lastError: string | null;
}

const APPLY_WINDOW_MS = 5_000;

export class SyncSampler {
  readonly figures: SyncSamples = {
    copyStartedMs: null,
    copyDoneMs: null,
    applyingMs: null,
    copiedDocuments: 0,
    copiedBytes: 0,
    eventsApplied: 0,
    peakApplyRate: 0,
    drainEvents: null,
    drainMs: null,
    maxNeededSeconds: 0,
    maxNeededBytes: 0,
    minOplogHeadroomSeconds: null,
    samples: 0,
    failedSamples: 0,
    lastError: null,
  };
  private readonly applyWindow: { at: number; events: number }[] = [];
  private eventsAtCopyDone: number | null = null;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** set by the run when canCommit is first seen, to close the drain measurement */
  private canCommitAt: number | null = null;

  constructor(
    private readonly controller: SyncController,
    private readonly source: MongoClient,
    private readonly meter: OplogMeter,
    private readonly startedAt: number,
    private readonly intervalMs = 1000,
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.sample().catch(() => undefined);
  }

  /** Closes the drain measurement with a fresh sample taken now. */
  async noteCanCommit(at: number): Promise<void> {
    if (this.canCommitAt !== null) return;
    this.canCommitAt = at;
    await this.sample().catch(() => undefined);
    if (this.eventsAtCopyDone !== null && this.figures.copyDoneMs !== null) {
      this.figures.drainEvents = this.figures.eventsApplied - this.eventsAtCopyDone;
      this.figures.drainMs = at - this.startedAt - this.figures.copyDoneMs;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.sample();
      } catch (error) {
        this.figures.failedSamples++;
        this.figures.lastError = (error as Error).message;
      }
      const until = Date.now() + this.intervalMs;
      while (!this.stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, Math.min(100, this.intervalMs)));
    }
  }

  private async sample(): Promise<void> {
    const [state, window] = await Promise.all([this.controller.state(), oplogWindow(this.source)]);
    if (!state) return;
    const now = Date.now();
    const f = this.figures;
    f.samples++;
    if (state.copy.started && f.copyStartedMs === null) f.copyStartedMs = now - this.startedAt;
    if (state.copy.done && f.copyDoneMs === null) {
      f.copyDoneMs = now - this.startedAt;
      this.eventsAtCopyDone = state.apply.eventsApplied;
    }
    if (state.phase === 'applying' && f.applyingMs === null) f.applyingMs = now - this.startedAt;
    f.copiedDocuments = state.copy.copiedDocuments;
    f.copiedBytes = state.copy.copiedBytes;
    f.eventsApplied = state.apply.eventsApplied;

    this.applyWindow.push({ at: now, events: state.apply.eventsApplied });
    while (this.applyWindow.length > 2 && now - this.applyWindow[1]!.at >= APPLY_WINDOW_MS) this.applyWindow.shift();
    const oldest = this.applyWindow[0]!;
    if (now - oldest.at >= APPLY_WINDOW_MS) f.peakApplyRate = Math.max(f.peakApplyRate, ((state.apply.eventsApplied - oldest.events) * 1000) / (now - oldest.at));

    const needed = neededSourceTime(state);
    if (needed && window) {
      f.maxNeededSeconds = Math.max(f.maxNeededSeconds, window.newest.t - needed.t);
      f.maxNeededBytes = Math.max(f.maxNeededBytes, this.meter.bytesBetween(needed, window.newest));
      const headroom = needed.t - window.oldest.t;
      f.minOplogHeadroomSeconds = f.minOplogHeadroomSeconds === null ? headroom : Math.min(f.minOplogHeadroomSeconds, headroom);
    }
  }
}
