// What the embedded verifier's changed set (verifier-store.ts) is known to hold, kept in the
// worker across calls: the applier (destination-writer.ts, across applyChangeEvents iterations)
// and the follower of the destination's change stream (verify-destination-events.ts) both
// record there, and both skip a document the memory holds. On a busy source most writes are of
// documents written before, and the follower reads back every write the applier makes: each
// repeated record would be a write the destination refuses as a duplicate.
//
// Skipping is exact because an entry, once recorded, stays for as long as events are applied
// and the destination is followed: entries are removed only by the commit check, which runs
// after the last application and after the follower's drain up to the commit point, and with
// the whole store when another run claims it or the commit check passed (docs/
// embedded-verifier.md, "Writes made on the destination"). An identity is added only once the
// store acknowledged its record (majority write concern). The memory is keyed by the store's
// claim (the owning run, and the claim's own id: a store dropped and claimed again, even by the
// same run key, starts with an empty memory), read at the start of each call. A worker that
// restarts starts empty too, and records again (the store ignores the duplicates).
import type { MongoClient } from 'mongodb';
import { keyValueIdentity } from '../sync/key-identity';
import { C2C_VERIFIER_DB } from '../sync/namespace-names';

/**
 * A document's identity in the memory: its namespace and the _id index's identity of its _id
 * (numbers equal by value are one document, as they are one entry in the store).
 */
export function changeIdentity(ns: { db: string; coll: string }, id: unknown): string {
  return `${ns.db}\u0000${ns.coll}\u0000${keyValueIdentity(id)}`;
}

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
 * The memory of the claim of the destination's verifier store now; a fresh one, shared with
 * nobody, when the store has no owner.
 */
export async function recordedChangesFor(destination: MongoClient): Promise<RecordedChanges> {
  // The store's owner and claim, as claimStore in verifier-store.ts writes them (a store claimed
  // before claims had an id has the run key only).
  const run = await destination.db(C2C_VERIFIER_DB).collection<{ _id: string; key?: unknown; claim?: unknown }>('run').findOne({ _id: 'run' });
  if (typeof run?.key !== 'string') return new RecordedChanges();
  const key = run.claim === undefined ? run.key : `${run.key}\u0000${String(run.claim)}`;
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
