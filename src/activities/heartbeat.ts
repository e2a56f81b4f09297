// How a long activity shows progress: it heartbeats its resume point at least every second of
// work (sooner when the heartbeat timeout is short), also while it awaits one long server
// command (an index build, a $sample), and stops at the next step once Temporal cancelled the
// attempt (a heartbeat timeout makes the server give up on it: without this check the zombie
// attempt would keep working next to its retry).
import { Context } from '@temporalio/activity';

/** Longest gap between two heartbeats of a working activity. */
const MAX_BEAT_INTERVAL_MS = 1000;

export class ActivityProgress<Details> {
  private readonly context = Context.current();
  private readonly intervalMs: number;
  private lastBeatAt = 0;

  /** `details` gives the resume point to record; it is read at every heartbeat. */
  constructor(private readonly details: () => Details) {
    const timeout = this.context.info.heartbeatTimeoutMs;
    this.intervalMs = Math.max(50, Math.min(MAX_BEAT_INTERVAL_MS, timeout ? timeout / 4 : MAX_BEAT_INTERVAL_MS));
  }

  /** What the last attempt heartbeated, when this attempt is a retry that can resume from it. */
  get resumed(): Details | undefined {
    return (this.context.info.heartbeatDetails ?? undefined) as Details | undefined;
  }

  /**
   * Records the resume point (at most a few times a second: the details are serialized each time)
   * and stops the attempt if Temporal cancelled it. Call it after every unit of work.
   */
  beat(): void {
    this.throwIfCancelled();
    const now = Date.now();
    if (now - this.lastBeatAt < this.intervalMs / 4) return;
    this.lastBeatAt = now;
    this.context.heartbeat(this.details());
  }

  /** Records the resume point now, whenever the last heartbeat was. */
  beatNow(): void {
    this.throwIfCancelled();
    this.lastBeatAt = Date.now();
    this.context.heartbeat(this.details());
  }

  throwIfCancelled(): void {
    throwIfActivityCancelled();
  }

  /**
   * Awaits one long step (a server command that reports nothing until it ends), heartbeating the
   * resume point on a timer meanwhile; rejects as soon as the attempt is cancelled. The step
   * itself is left to finish on the server: every step awaited here is idempotent, so the
   * retry's own request finds it done or joins it.
   */
  async during<T>(work: Promise<T>): Promise<T> {
    this.beatNow();
    return heartbeatDuring(() => {
      this.lastBeatAt = Date.now();
      this.context.heartbeat(this.details());
    }, work, this.intervalMs);
  }
}

/**
 * Awaits `work`, calling `beat` every `intervalMs` meanwhile; inside an activity, rejects as soon
 * as the attempt is cancelled (the work itself is left to finish: it must be idempotent).
 */
export async function heartbeatDuring<T>(beat: () => void, work: Promise<T>, intervalMs = MAX_BEAT_INTERVAL_MS): Promise<T> {
  // The race below may end first; the step's own failure then has nobody else to handle it.
  work.catch(() => undefined);
  const timer = setInterval(() => {
    try {
      beat();
    } catch {
      // a heartbeat that cannot be sent now is retried on the next tick
    }
  }, intervalMs);
  try {
    const context = currentContext();
    return await (context ? Promise.race([work, context.cancelled]) : work);
  } finally {
    clearInterval(timer);
  }
}

/** Stops the current activity's attempt if Temporal cancelled it; a no-op outside an activity. */
export function throwIfActivityCancelled(): void {
  const signal = currentContext()?.cancellationSignal;
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(`activity cancelled: ${String(signal.reason)}`);
}

/**
 * Like throwIfActivityCancelled, except for a cancellation the workflow requested: an activity
 * that ends early on request (applyChangeEvents) finishes the step in hand and returns its
 * result. A lost attempt (timed out, worker shutting down) still stops at once.
 */
export function throwIfAttemptLost(): void {
  if (currentContext()?.cancellationDetails?.cancelRequested) return;
  throwIfActivityCancelled();
}

/** The workflow asked the current activity to end early (cancelled it); false outside an activity. */
export function endRequested(): boolean {
  const context = currentContext();
  return context?.cancellationSignal.aborted === true && context.cancellationDetails?.cancelRequested === true;
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
