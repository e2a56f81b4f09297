// What the applier recorded in the embedded verifier's changed set (verifier-store.ts), kept in
// the worker across applyChangeEvents iterations, so that a document written again is not
// recorded again: on a busy source most writes are of documents written before, and each
// repeated record is a write the destination refuses as a duplicate.
//
// This is exact because an entry, once recorded, stays for as long as events are applied:
// entries are removed only by the commit check (after the last application) and with the whole
// store when another run claims it or the commit check passed. The memory is therefore keyed by
// the run that owns the store, read at the start of each iteration: a store claimed by another
// run starts with an empty memory. A worker that restarts starts empty too, and records again
// (the store ignores the duplicates).
import type { MongoClient } from 'mongodb';
import { C2C_VERIFIER_DB } from '../sync/namespace-names';

/** Identities a run's memory holds, at most (then it forgets them all and starts again): about 20 MB, within the worker's stated memory bound. */
const MAX_REMEMBERED = 100_000;
/** Runs remembered at once (a worker serves few syncs). */
const MAX_RUNS = 2;

/** Identities (namespace and _id identity) of the documents recorded in a run's changed set. */
export class RecordedChanges {
  private readonly identities = new Set<string>();

  constructor(private readonly limit = MAX_REMEMBERED) {}

  has(identity: string): boolean {
    return this.identities.has(identity);
  }

  /** Notes identities whose records the store acknowledged. */
  add(identities: readonly string[]): void {
    if (this.identities.size + identities.length > this.limit) this.identities.clear();
    for (const identity of identities) this.identities.add(identity);
  }

  get size(): number {
    return this.identities.size;
  }
}

const byRun = new Map<string, RecordedChanges>();

/**
 * The memory of the run that owns the destination's verifier store now; a fresh one, shared with
 * nobody, when the store has no owner.
 */
export async function recordedChangesFor(destination: MongoClient): Promise<RecordedChanges> {
  // The store's owner, as claimStore in verifier-store.ts writes it.
  const run = await destination.db(C2C_VERIFIER_DB).collection<{ _id: string; key?: unknown }>('run').findOne({ _id: 'run' });
  const key = typeof run?.key === 'string' ? run.key : undefined;
  if (key === undefined) return new RecordedChanges();
  let memory = byRun.get(key);
  if (memory) {
    byRun.delete(key);
  } else {
    memory = new RecordedChanges();
    if (byRun.size >= MAX_RUNS) byRun.delete(byRun.keys().next().value!);
  }
  byRun.set(key, memory);
  return memory;
}
