// Committing a transaction: its final document versions go into the shared stores (with write
// history at the commit time, so later snapshots stay right) and its operations into the oplog as
// one `applyOps` entry, or, past 16 MiB, a chain of `{applyOps, partialTxn: true}` entries linked
// by `prevOpTime` and closed by `{applyOps, count}` (mongod's unprepared large transactions).
import { calculateObjectSize, Long, Timestamp, type Document, type UUID } from 'bson';
import type { CollectionStore } from './storage/collection-store';
import type { EngineState } from './state';
import type { CollectionInfo } from './catalog/catalog';
import type { OplogEntry } from './internal';
import type { OplogEntryInput } from './oplog';
import { MAX_APPLY_OPS_BYTES, type Transaction, transactionError, TransactionErrorCodes } from './transactions';

const NULL_OP_TIME = (): Document => ({ ts: new Timestamp({ t: 0, i: 0 }), t: Long.fromNumber(-1) });

/** Commits `txn`; returns the commit entry's time, or undefined for a transaction that wrote nothing. */
export function commitTransaction(state: EngineState, txn: Transaction): Timestamp | undefined {
  if (txn.ops.length === 0) {
    state.transactions.markCommitted(txn, state.oplog.latest());
    return undefined;
  }
  assertStillCommittable(state, txn);
  // documents first, all or nothing: should a unique key collide (conflicts are detected at the
  // transaction's writes, so this is a safety net), what was applied is undone and nothing logged
  const applied: Applied[] = [];
  try {
    for (const touched of txn.touched.values()) {
      if (txn.created.has(`${touched.base.db}.${touched.base.name}`)) continue;
      applyWrites(state, touched.base, touched.copy, touched.written, applied);
    }
  } catch (e) {
    undo(applied);
    state.transactions.abort(txn, 'its commit collided with a write outside the transaction');
    throw transactionError(
      TransactionErrorCodes.WriteConflict,
      `Write conflict during commit: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  for (const created of txn.created.values()) state.catalog.attachCollection(created);
  const commitTs = writeOplog(state, txn);
  for (const a of applied) state.history.record(a.uuid, a.key, commitTs, a.before);
  state.transactions.markCommitted(txn, commitTs);
  return commitTs;
}

interface Applied {
  uuid: UUID;
  store: CollectionStore;
  key: string;
  /** the committed document this write replaced, absent for an insert */
  before?: { doc: Document; size: number };
}

function undo(applied: Applied[]): void {
  for (const a of [...applied].reverse()) {
    const current = a.store.records.get(a.key);
    if (current) a.store.remove(current);
    if (a.before) a.store.insert(a.before.doc, a.before.size);
  }
}

/** A collection the transaction wrote that was dropped, or a name it created that is now taken. */
function assertStillCommittable(state: EngineState, txn: Transaction): void {
  for (const touched of txn.touched.values()) {
    const { base } = touched;
    const live = state.catalog.get(base.db, base.name);
    const isCreated = txn.created.has(`${base.db}.${base.name}`);
    const gone = isCreated ? live !== undefined : touched.written.size > 0 && (live?.kind !== 'collection' || !live.uuid.equals(base.uuid));
    if (gone) {
      state.transactions.abort(txn, `${base.db}.${base.name} changed while it was open`);
      throw transactionError(TransactionErrorCodes.WriteConflict, `Write conflict: ${base.db}.${base.name} was changed outside the transaction`);
    }
  }
}

function applyWrites(state: EngineState, base: CollectionInfo, copy: CollectionInfo, keys: Set<string>, applied: Applied[]): void {
  const live = state.catalog.getCollection(base.db, base.name);
  if (!live) return;
  const store = live.store;
  const changes: Parameters<CollectionStore['applyChanges']>[0] = [];
  const befores: Array<Applied['before']> = [];
  for (const key of keys) {
    const final = copy.store.records.get(key);
    const current = store.records.get(key);
    if (!final && !current) continue;
    changes.push({ key, current, final: final ? { doc: final.doc, size: final.size } : undefined });
    befores.push(current ? { doc: current.doc, size: current.size } : undefined);
  }
  // all of a collection's writes at once, so that the transaction's documents may swap unique values
  store.applyChanges(changes);
  changes.forEach((c, i) => applied.push({ uuid: live.uuid, store, key: c.key, before: befores[i] }));
}

function element(op: OplogEntryInput): Document {
  const out: Document = { op: op.op, ns: op.ns };
  if (op.ui !== undefined) out.ui = op.ui;
  out.o = op.o;
  if (op.o2 !== undefined) out.o2 = op.o2;
  return out;
}

/** Splits the operations into applyOps chunks of at most MAX_APPLY_OPS_BYTES. */
function chunks(elements: Document[]): Document[][] {
  const out: Document[][] = [[]];
  let size = 0;
  for (const e of elements) {
    const s = calculateObjectSize(e) + 8;
    if (size + s > MAX_APPLY_OPS_BYTES && out[out.length - 1].length > 0) {
      out.push([]);
      size = 0;
    }
    out[out.length - 1].push(e);
    size += s;
  }
  return out;
}

function writeOplog(state: EngineState, txn: Transaction): Timestamp {
  const elements = txn.ops.map(element);
  const parts = chunks(elements);
  let prevOpTime = NULL_OP_TIME();
  let last: OplogEntry | undefined;
  parts.forEach((part, index) => {
    const final = index === parts.length - 1;
    const o: Document = { applyOps: part };
    if (!final) o.partialTxn = true;
    else if (parts.length > 1) o.count = Long.fromNumber(elements.length);
    const input: OplogEntryInput = { lsid: txn.lsid, txnNumber: txn.txnNumber, op: 'c', ns: 'admin.$cmd', o, prevOpTime };
    if (final) {
      input.txnOps = elements;
      input.txnImages = [...txn.images];
    }
    last = state.oplog.append(input);
    prevOpTime = { ts: last.ts, t: last.t };
  });
  return last!.ts;
}
