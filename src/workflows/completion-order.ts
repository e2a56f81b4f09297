// Makes the sync workflow's commands independent of how Temporal groups its events into
// activations.
//
// Several parts of the sync run side by side (the copy's units and the event buffer reader; the
// applier and the verifier's units and follower), each resuming when its activity completes. When
// two completions arrive in the same workflow activation, the SDK resolves both promises before
// running any code after them, so what each part does next interleaves by the number of promise
// hops in its code path, not by the order of the events. The same two events do not always come
// in one activation: a worker that answered a query on a workflow it did not have cached (after a
// worker restart, while the next workflow task still waited on the dead worker's sticky queue)
// applied the first completion then and the second one with the next task, and recorded
// commands in that order; a replay of the history gets both in one activation and schedules them
// in the other order: "[TMPRL1100] Nondeterminism error: Activity type of scheduled event
// 'copyWorkUnit' does not match activity type of activity command 'bufferChangeEvents'".
//
// CompletionOrder lets the code after each completion run on its own, in the order of the events:
// each activity result (and stall-retry timer) waits for its turn, and a turn comes only once the
// code resumed by the previous one has run as far as it can (all its promise hops done, which the
// SDK's condition check after each flush of the promise queue tells). Waits on the job's state
// (condition below) resume, like they would after an activation of their own, before the next
// completion's turn. So one activation with completions A then B issues the commands of A then
// those of B, exactly as two activations would.
//
// Runs recorded before it issue their commands in the old order (the patch).
import { CancellationScope, condition as workflowCondition } from '@temporalio/workflow';

export const ORDERED_COMPLETIONS_PATCH = 'ordered-completions';

export class CompletionOrder {
  /** the next ticket to hand out, and the ticket whose code may run next */
  private issued = 0;
  private serving = 0;
  /** no code was resumed since the promise queue last ran empty */
  private quiet = true;
  /** the job-state waits currently blocked (they go before the next completion's turn) */
  private readonly waits = new Set<() => boolean>();

  constructor(readonly enabled: boolean) {}

  /** `promise`, settled only on its turn (in the order the completions were delivered). */
  settle<T>(promise: Promise<T>): Promise<T> {
    if (!this.enabled) return promise;
    // Registered when the call is made, so the reaction runs first thing after the SDK resolves
    // the promise: the tickets follow the order of the activation's jobs, i.e. of the events.
    return promise.then(
      async (value) => {
        await this.turn();
        return value;
      },
      async (error: unknown) => {
        await this.turn();
        throw error;
      },
    );
  }

  /** Waits until `fn` holds, resuming (when it had to wait) in turn with the completions. */
  condition(fn: () => boolean): Promise<void> {
    if (!this.enabled) return workflowCondition(fn);
    if (fn()) return Promise.resolve();
    this.waits.add(fn);
    return workflowCondition(() => {
      if (!this.quiet || !fn()) return false;
      this.waits.delete(fn);
      return this.resume();
    }).finally(() => this.waits.delete(fn));
  }

  private turn(): Promise<void> {
    const ticket = this.issued++;
    // Not cancellable: a result that arrived is always delivered, even in a cancelled scope.
    return CancellationScope.nonCancellable(() =>
      workflowCondition(() => {
        if (ticket !== this.serving || !this.quiet) return false;
        for (const wait of this.waits) if (wait()) return false;
        this.serving += 1;
        return this.resume();
      }),
    );
  }

  /** Marks code as resumed until the promise queue has run empty. */
  private resume(): true {
    this.quiet = false;
    // Runs within the flush of the promise queue that runs the resumed code, and the SDK checks
    // conditions only between such flushes: a later check sees `quiet` only after that flush.
    void Promise.resolve().then(() => {
      this.quiet = true;
    });
    return true;
  }
}
