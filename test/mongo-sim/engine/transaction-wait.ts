// Writes outside transactions that meet a document an open transaction has written wait for that
// transaction to end, as on the server: until it commits or aborts (the server's reaper aborts it
// at transactionLifetimeLimitSeconds), or until the write's own maxTimeMS runs out (50
// MaxTimeMSExpired, which fails the whole command as the server's interruptions do).
import type { Document } from 'bson';
import type { RequestContext } from './types';
import type { EngineState } from './state';
import { CommandError } from './types';
import { TransactionWait } from './transactions';

/** The wall-clock time (Date.now()) at which a write command's maxTimeMS runs out, if it has one. */
export function writeDeadline(cmd: Document): number | undefined {
  const ms = Number(cmd.maxTimeMS ?? 0);
  return Number.isFinite(ms) && ms > 0 ? Date.now() + ms : undefined;
}

/** The wait ran out (maxTimeMS) or was cancelled: fails the whole command, never one statement. */
export class WaitInterrupted extends CommandError {}

/** Waits until `wait.holder` ended; rejects at the deadline or when the request is cancelled. */
export async function waitForTransaction(state: EngineState, wait: TransactionWait, deadline: number | undefined, ctx: RequestContext): Promise<void> {
  const holder = wait.holder;
  if (!holder.isOpen) return;
  const timers: NodeJS.Timeout[] = [];
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      void holder.whenEnded().then(resolve);
      const lifetimeLeft = state.transactions.expiresAtMs(holder) - state.settings.nowMs();
      // the server's reaper aborts the transaction at its lifetime limit (unref: never keeps a
      // process alive on its own)
      const reaper = setTimeout(() => state.transactions.abort(holder, 'it exceeded transactionLifetimeLimitSeconds'), Math.max(0, lifetimeLeft));
      reaper.unref();
      timers.push(reaper);
      if (deadline !== undefined) {
        timers.push(setTimeout(() => reject(new WaitInterrupted(50, 'MaxTimeMSExpired', 'operation exceeded time limit')), Math.max(0, deadline - Date.now())));
      }
      onAbort = () => reject(new WaitInterrupted(11601, 'Interrupted', 'operation was interrupted'));
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs `attempt` (a statement that throws TransactionWait before writing anything it has not
 * recorded as done) until it completes without meeting an open transaction's write. Synchronous
 * unless it has to wait, so that plain writes pay no promise per statement.
 */
export function retryAfterTransactions<T>(state: EngineState, deadline: number | undefined, ctx: RequestContext, attempt: () => T): T | Promise<T> {
  try {
    return attempt();
  } catch (e) {
    if (!(e instanceof TransactionWait)) throw e;
    return waitThenRetry(state, e, deadline, ctx, attempt);
  }
}

async function waitThenRetry<T>(state: EngineState, first: TransactionWait, deadline: number | undefined, ctx: RequestContext, attempt: () => T): Promise<T> {
  let wait = first;
  for (;;) {
    await waitForTransaction(state, wait, deadline, ctx);
    try {
      return attempt();
    } catch (e) {
      if (!(e instanceof TransactionWait)) throw e;
      wait = e;
    }
  }
}
