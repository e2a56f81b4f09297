// Execution plan for a batch of translated change events. Activity-side.
//
// - CRUD writes are grouped into per-document queues: writes for the same (namespace,
//   document key) keep their stream order; different keys are independent and may run
//   concurrently. `segmentRounds` turns a segment into rounds: round r holds the r-th write
//   of every queue, so running the rounds one after another (each round as concurrent
//   unordered bulk writes, one per namespace) keeps every key's order.
// - DDL events are barriers: the plan is a sequence of steps, and a step starts only after
//   the previous one has finished.
// - An unsupported event ends the plan: everything before it is planned, nothing after it.
// - Coalescing inside a queue (exact, see coalesceQueue): a replace or delete makes earlier
//   writes of the same key unnecessary; consecutive single-update events merge when the later
//   one only touches paths the earlier one touched.
// Every planned write lists the event indexes it `covers`, so the writer can reach the events
// behind it (their collectionUUID, the DDL event of a barrier).
//
// Document keys are compared the way the server's _id index compares them (key-identity.ts):
// numbers by exact value whatever their BSON type, strings and symbols alike, everything else
// by exact value. Two distinct documents never share a queue (their writes would be merged),
// and one document never has two queues (its writes could run out of order).
// With a non-simple collation on the collection, strings that differ may still be equal, so
// such namespaces are listed in `serializedNamespaces`: every key that holds a string or symbol
// goes to the namespace's one serialized queue; keys without one keep their own queues (no
// collation makes them equal to anything but themselves).
import type { Document } from 'mongodb';
import type { CrudWrite, DdlOperation, EventNamespace, EventTranslation } from './event-translation';
import { holdsCollatableValue, keyValueIdentity } from './key-identity';

export interface PlannedWrite {
  write: CrudWrite;
  /** the write's filter */
  documentKey: Document;
  /** indexes (in the planned batch) of the events this write accounts for */
  covers: number[];
}

export interface KeyQueue {
  key: string;
  ns: EventNamespace;
  /** true for a serialized namespace: the queue holds writes of many documents */
  serialized: boolean;
  writes: PlannedWrite[];
}

export interface CrudStep {
  kind: 'crud';
  queues: KeyQueue[];
}

export interface DdlStep {
  kind: 'ddl';
  operation: DdlOperation;
  covers: number[];
}

export type PlanStep = CrudStep | DdlStep;

export interface ApplyPlan {
  steps: PlanStep[];
  /** events that need no destination change; count them as applied at once */
  noop: number[];
  /** the unsupported event that ends the plan, if any */
  stop: { index: number; operationType: string; reason: string } | null;
}

export interface PlanOptions {
  /** 'db.coll' names with a non-simple default collation: their keys holding strings share one queue */
  serializedNamespaces?: ReadonlySet<string>;
  /** merge and drop writes where exact (default true) */
  coalesce?: boolean;
}

/** Whether collection options carry a default collation other than the simple (binary) one. */
export function hasNonSimpleCollation(collectionOptions: Document): boolean {
  const collation = collectionOptions.collation as Document | undefined;
  return collation !== undefined && collation !== null && collation.locale !== 'simple';
}

/** The namespaces of the CRUD events whose document key holds a string (a collation could match it). */
export function namespacesWithCollatableKeys(translations: readonly EventTranslation[]): EventNamespace[] {
  const found = new Map<string, EventNamespace>();
  for (const translation of translations) {
    if (translation.kind === 'crud' && holdsCollatableValue(translation.documentKey)) found.set(namespaceString(translation.ns), translation.ns);
  }
  return [...found.values()];
}

export function namespaceString(ns: EventNamespace): string {
  return `${ns.db}.${ns.coll}`;
}

/** The queue key of a document: namespace plus normalised document key. */
export function documentKeyIdentity(ns: EventNamespace, documentKey: Document): string {
  return `${ns.db}\u0000${ns.coll}\u0000${keyValueIdentity(documentKey)}`;
}

function isFullStateWrite(write: CrudWrite): boolean {
  return write.kind === 'replace' || write.kind === 'delete';
}

interface SimpleUpdate {
  set: Document;
  unset: Document;
}

/** A plain {$set?, $unset?} update, or null when it has other operators. */
function simpleUpdate(write: CrudWrite): SimpleUpdate | null {
  if (write.kind !== 'update') return null;
  const keys = Object.keys(write.update);
  if (!keys.every((k) => k === '$set' || k === '$unset')) return null;
  return { set: (write.update.$set as Document | undefined) ?? {}, unset: (write.update.$unset as Document | undefined) ?? {} };
}

/**
 * Merges `later` into `earlier` when applying the merge equals applying both in order: every
 * path the later update touches was set by the earlier one, or unset by both. (A path the
 * earlier update unset and the later one sets again would move to the end of its document when
 * applied in order, but keep its place when merged, so that case is not merged.)
 */
function mergeUpdates(earlier: SimpleUpdate, later: SimpleUpdate): CrudWrite | null {
  for (const path of Object.keys(later.set)) if (!(path in earlier.set)) return null;
  for (const path of Object.keys(later.unset)) if (!(path in earlier.set) && !(path in earlier.unset)) return null;
  const set: Document = { ...earlier.set, ...later.set };
  const unset: Document = { ...earlier.unset };
  for (const path of Object.keys(later.unset)) {
    delete set[path];
    unset[path] = '';
  }
  const update: Document = {};
  if (Object.keys(set).length > 0) update.$set = set;
  if (Object.keys(unset).length > 0) update.$unset = unset;
  return { kind: 'update', update };
}

/** Exact coalescing of one document's writes, in order (see the header). */
export function coalesceQueue(writes: readonly PlannedWrite[]): PlannedWrite[] {
  const out: PlannedWrite[] = [];
  for (const next of writes) {
    if (isFullStateWrite(next.write) && out.length > 0) {
      const covers = [...out.flatMap((w) => w.covers), ...next.covers];
      out.length = 0;
      out.push({ ...next, covers });
      continue;
    }
    const previous = out[out.length - 1];
    const earlier = previous && previous.covers.length > 0 ? simpleUpdate(previous.write) : null;
    const later = simpleUpdate(next.write);
    const merged = earlier && later ? mergeUpdates(earlier, later) : null;
    if (merged) {
      out[out.length - 1] = { ...previous, write: merged, covers: [...previous.covers, ...next.covers] };
      continue;
    }
    out.push({ ...next, covers: [...next.covers] });
  }
  return out;
}

/** Plans the application of `translations` (index i = event i of the batch). */
export function planApply(translations: readonly EventTranslation[], options: PlanOptions = {}): ApplyPlan {
  const coalesce = options.coalesce ?? true;
  const steps: PlanStep[] = [];
  const noop: number[] = [];
  let queues = new Map<string, KeyQueue>();

  const flushCrud = (): void => {
    if (queues.size === 0) return;
    const list = [...queues.values()];
    // (a queue of one write, the usual case, has nothing to coalesce)
    if (coalesce) for (const queue of list) if (!queue.serialized && queue.writes.length > 1) queue.writes = coalesceQueue(queue.writes);
    steps.push({ kind: 'crud', queues: list });
    queues = new Map();
  };

  for (const [index, translation] of translations.entries()) {
    switch (translation.kind) {
      case 'ignore':
        noop.push(index);
        break;
      case 'unsupported':
        flushCrud();
        return { steps, noop, stop: { index, operationType: translation.operationType, reason: translation.reason } };
      case 'ddl':
        flushCrud();
        steps.push({ kind: 'ddl', operation: translation.operation, covers: [index] });
        break;
      case 'crud': {
        if (translation.writes.length === 0) {
          noop.push(index);
          break;
        }
        const nsName = namespaceString(translation.ns);
        const serialized = (options.serializedNamespaces?.has(nsName) ?? false) && holdsCollatableValue(translation.documentKey);
        const key = serialized ? `${nsName}\u0000*` : documentKeyIdentity(translation.ns, translation.documentKey);
        let queue = queues.get(key);
        if (!queue) {
          queue = { key, ns: translation.ns, serialized, writes: [] };
          queues.set(key, queue);
        }
        // A multi-write event covers its index only with its last write: it is applied when
        // all of its writes are.
        translation.writes.forEach((write, i) => {
          queue.writes.push({
            write,
            documentKey: translation.documentKey,
            covers: i === translation.writes.length - 1 ? [index] : [],
          });
        });
        break;
      }
    }
  }
  flushCrud();
  return { steps, noop, stop: null };
}

export interface RoundGroup {
  ns: EventNamespace;
  writes: PlannedWrite[];
}

/**
 * The rounds of a CRUD step: round r holds the r-th write of every queue, grouped by
 * namespace. Writes inside a round have distinct keys (except in a serialized namespace, whose
 * single queue contributes one write per round).
 */
export function segmentRounds(step: CrudStep): RoundGroup[][] {
  const rounds: RoundGroup[][] = [];
  const longest = Math.max(0, ...step.queues.map((q) => q.writes.length));
  for (let r = 0; r < longest; r++) {
    const groups = new Map<string, RoundGroup>();
    for (const queue of step.queues) {
      const planned = queue.writes[r];
      if (!planned) continue;
      const nsName = namespaceString(queue.ns);
      let group = groups.get(nsName);
      if (!group) {
        group = { ns: queue.ns, writes: [] };
        groups.set(nsName, group);
      }
      group.writes.push(planned);
    }
    rounds.push([...groups.values()]);
  }
  return rounds;
}
