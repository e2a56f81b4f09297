// Multi-document transactions on the single-node replica set. A transaction reads a snapshot taken
// at its first statement (the collections it touches are copied as they were then, from the write
// history) and writes into those private copies; nobody else sees them until commit. Commit
// applies the transaction's final document versions to the shared stores and logs one `applyOps`
// entry (a chain of `partialTxn` entries when the operations exceed 16 MiB), so change streams
// unwind it into one event per operation. The first writer of a document wins: a second
// transaction writing it gets 112 WriteConflict (TransientTransactionError) and is aborted.
import { Binary, type Long, type Document, type Timestamp } from 'bson';
import type { EngineState } from './state';
import type { CollectionInfo, NamespaceInfo } from './catalog/catalog';
import type { OplogEntryInput } from './oplog';
import { CommandError } from './types';

export const TransactionErrorCodes = {
  WriteConflict: 112,
  TransactionTooOld: 225,
  SnapshotTooOld: 239,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  ConflictingOperationInProgress: 117,
} as const;

const NAMES: Record<number, string> = {
  112: 'WriteConflict',
  117: 'ConflictingOperationInProgress',
  225: 'TransactionTooOld',
  239: 'SnapshotTooOld',
  251: 'NoSuchTransaction',
  256: 'TransactionCommitted',
  263: 'OperationNotSupportedInTransaction',
};

export function transactionError(code: number, message: string): CommandError {
  return new CommandError(code, NAMES[code] ?? `Location${code}`, message);
}

/** The largest applyOps entry a transaction writes before it splits into partialTxn entries. */
export const MAX_APPLY_OPS_BYTES = 16 * 1024 * 1024;

type TxnState = 'inProgress' | 'committed' | 'aborted';

interface TouchedCollection {
  base: CollectionInfo;
  /** the transaction's private copy (same UUID, private store) */
  copy: CollectionInfo;
  /** canonical `_id` keys the transaction wrote */
  written: Set<string>;
}

export class Transaction {
  state: TxnState = 'inProgress';
  readonly touched = new Map<string, TouchedCollection>();
  /** collections created by the transaction, by namespace */
  readonly created = new Map<string, CollectionInfo>();
  readonly ops: OplogEntryInput[] = [];
  /** simulator-only pre/post images per operation (change streams with images) */
  readonly images: Array<{ preImage?: Document; postImage?: Document }> = [];
  statements = 0;
  /** the reply (and operationTime) of a successful commit, answered again to a retried commit */
  commitTs?: Timestamp;
  /** why the transaction was aborted, for the NoSuchTransaction message */
  abortedBecause?: string;
  /** writes outside transactions waiting for this one to end */
  private readonly endWaiters: Array<() => void> = [];

  constructor(
    readonly sessionKey: string,
    readonly lsid: Document,
    readonly txnNumber: Long,
    readonly snapshotTs: Timestamp,
    readonly startedAtMs: number,
  ) {}

  get isOpen(): boolean {
    return this.state === 'inProgress';
  }

  /** Drops the private copies once the transaction ended (the session keeps only its outcome). */
  release(): void {
    this.touched.clear();
    this.created.clear();
    this.ops.length = 0;
    this.images.length = 0;
    for (const wake of this.endWaiters.splice(0)) wake();
  }

  /** Resolves when the transaction commits or aborts (at once when it has). */
  whenEnded(): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  writtenBy(uuidHex: string, key: string): boolean {
    return this.touched.get(uuidHex)?.written.has(key) === true;
  }
}

export function sessionKeyOf(lsid: Document): string {
  const hex = (v: unknown): string => (v instanceof Binary ? Buffer.from(v.buffer.subarray(0, v.position)).toString('hex') : String(v));
  return lsid.uid === undefined ? hex(lsid.id) : `${hex(lsid.id)}/${hex(lsid.uid)}`;
}

export class TransactionManager {
  /** the newest transaction of each session (one per session, as on the server) */
  private readonly bySession = new Map<string, Transaction>();
  /** transactions in progress; empty almost always, so the write path checks it first */
  readonly open = new Set<Transaction>();

  constructor(private lifetimeLimitMs: number) {}

  setLifetimeLimitSeconds(seconds: number): void {
    this.lifetimeLimitMs = seconds * 1000;
  }

  get(sessionKey: string): Transaction | undefined {
    return this.bySession.get(sessionKey);
  }

  begin(txn: Transaction): void {
    const previous = this.bySession.get(txn.sessionKey);
    if (previous?.isOpen) this.abort(previous, 'a newer transaction started on the session');
    this.bySession.set(txn.sessionKey, txn);
    this.open.add(txn);
  }

  abort(txn: Transaction, because: string): void {
    if (!txn.isOpen) return;
    txn.state = 'aborted';
    txn.abortedBecause = because;
    this.open.delete(txn);
    txn.release();
  }

  markCommitted(txn: Transaction, commitTs: Timestamp): void {
    txn.state = 'committed';
    txn.commitTs = commitTs;
    this.open.delete(txn);
    txn.release();
  }

  /** When `txn` reaches transactionLifetimeLimitSeconds (wall-clock ms). */
  expiresAtMs(txn: Transaction): number {
    return txn.startedAtMs + this.lifetimeLimitMs;
  }

  /** Aborts transactions that outlived transactionLifetimeLimitSeconds (mongod's periodic reaper). */
  expire(nowMs: number): void {
    for (const txn of this.open) {
      if (nowMs - txn.startedAtMs > this.lifetimeLimitMs) this.abort(txn, 'it exceeded transactionLifetimeLimitSeconds');
    }
  }

  /** endSessions / killSessions: aborts the sessions' open transactions and forgets them. */
  endSession(sessionKey: string): void {
    const txn = this.bySession.get(sessionKey);
    if (txn) this.abort(txn, 'its session was ended');
    this.bySession.delete(sessionKey);
  }

  killAll(): void {
    for (const txn of [...this.open]) this.abort(txn, 'its session was killed');
  }

  /** Another open transaction that wrote this document, if any. */
  holderOf(uuidHex: string, key: string, except?: Transaction): Transaction | undefined {
    for (const txn of this.open) if (txn !== except && txn.writtenBy(uuidHex, key)) return txn;
    return undefined;
  }
}

/** 112 WriteConflict as a transaction statement receives it. */
export function writeConflict(): CommandError {
  return transactionError(
    TransactionErrorCodes.WriteConflict,
    'Caused by :: Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
  );
}

/**
 * The engine state a transaction's statements run against: the catalog answers with the
 * transaction's private copies of collections (snapshot at its start), collections it creates
 * stay private, and oplog entries are collected for the commit instead of written.
 */
export function transactionState(base: EngineState, txn: Transaction): EngineState {
  const copyOf = (info: CollectionInfo): CollectionInfo => {
    const key = info.uuid.toHexString();
    let touched = txn.touched.get(key);
    if (!touched) {
      const copy: CollectionInfo = { ...info, store: base.history.storeAt(info.uuid, info.store, txn.snapshotTs) };
      touched = { base: info, copy, written: new Set() };
      txn.touched.set(key, touched);
    }
    return touched.copy;
  };
  const get = (db: string, name: string): NamespaceInfo | undefined => {
    const created = txn.created.get(`${db}.${name}`);
    if (created) return created;
    const info = base.catalog.get(db, name);
    if (!info || info.kind === 'view' || info.virtualOplog) return info;
    return copyOf(info);
  };
  const catalog = new Proxy(base.catalog, {
    get(target, prop) {
      if (prop === 'get') return get;
      if (prop === 'getCollection') {
        return (db: string, name: string) => {
          const info = get(db, name);
          return info?.kind === 'collection' ? info : undefined;
        };
      }
      if (prop === 'namespaces') {
        return (db: string) => [
          ...target.namespaces(db).map((info) => get(db, info.name) ?? info),
          ...[...txn.created.values()].filter((info) => info.db === db),
        ];
      }
      if (prop === 'addCollection') {
        return (db: string, name: string, options: Document) => {
          const info = target.detachedCollection(db, name, options);
          txn.created.set(`${db}.${name}`, info);
          txn.touched.set(info.uuid.toHexString(), { base: info, copy: info, written: new Set() });
          return info;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const oplog = new Proxy(base.oplog, {
    get(target, prop) {
      if (prop === 'append') {
        return (input: OplogEntryInput) => {
          for (const op of transactionOps(input)) {
            txn.ops.push(op);
            txn.images.push({ preImage: input.preImage, postImage: input.postImage });
          }
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(base, {
    get(target, prop) {
      if (prop === 'catalog') return catalog;
      if (prop === 'oplog') return oplog;
      if (prop === 'transaction') return txn;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The applyOps elements of one write: CRUD as logged, without session fields; an index build in
 * a transaction is logged as one `createIndexes` command per index (no two-phase build).
 */
function transactionOps(input: OplogEntryInput): OplogEntryInput[] {
  const element = (e: OplogEntryInput): OplogEntryInput => {
    const out: OplogEntryInput = { op: e.op, ns: e.ns, o: e.o };
    if (e.ui !== undefined) out.ui = e.ui;
    if (e.o2 !== undefined) out.o2 = e.o2;
    return out;
  };
  const o = input.o;
  if (input.op === 'c' && typeof o.commitIndexBuild === 'string' && Array.isArray(o.indexes)) {
    return (o.indexes as Document[]).map((spec) => element({ ...input, o: { createIndexes: o.commitIndexBuild, ...spec } }));
  }
  return [element(input)];
}

/** Checks a transaction's write of one document; remembers it in the write set. */
export function noteTransactionWrite(base: EngineState, txn: Transaction, info: CollectionInfo, key: string): void {
  const uuidHex = info.uuid.toHexString();
  const touched = txn.touched.get(uuidHex);
  if (!touched) return;
  if (!txn.created.has(`${info.db}.${info.name}`)) {
    const conflict = base.transactions.holderOf(uuidHex, key, txn) !== undefined || base.history.writtenAfter(info.uuid, key, txn.snapshotTs);
    if (conflict) throw writeConflict();
  }
  touched.written.add(key);
}

/**
 * After a transaction wrote `doc` into its private copy (so keys visible in its snapshot were
 * checked there, answering DuplicateKey): a unique key that another open transaction wrote, or
 * that a write committed after the snapshot holds, is a write conflict, detected at the write as
 * the server does (its unique index sees a key the transaction cannot see).
 */
export function noteTransactionUniqueKeys(base: EngineState, txn: Transaction, info: CollectionInfo, doc: Document, idKey: string): void {
  if (txn.created.has(`${info.db}.${info.name}`) || info.store.indexes.length === 0) return;
  const uuidHex = info.uuid.toHexString();
  // the shared collection as it was when the transaction first touched it (its store is live)
  const live = txn.touched.get(uuidHex)?.base;
  for (const { index, key } of info.store.uniqueKeysOf(doc)) {
    const committed = live?.store.uniqueKeyHolder(index, key);
    if (committed && committed.key !== idKey && !txn.writtenBy(uuidHex, committed.key)) throw writeConflict();
    for (const other of base.transactions.open) {
      if (other === txn) continue;
      const touched = other.touched.get(uuidHex);
      const holder = touched?.copy.store.uniqueKeyHolder(index, key);
      if (holder && holder.key !== idKey && touched!.written.has(holder.key)) throw writeConflict();
    }
  }
}

/**
 * A write outside transactions met a document (or unique key) an open transaction has written:
 * as on the server, the write waits until that transaction commits or aborts, then runs again.
 */
export class TransactionWait {
  constructor(readonly holder: Transaction) {}
}

/**
 * Before a write outside any transaction: a document, or a unique key of the new version `doc`,
 * that an open transaction has written makes the write wait (TransactionWait). Writes that cannot
 * wait (the state's `abortHoldersOnConflict`: TTL deletions, capped evictions) abort the
 * transaction instead; its next statement or commit answers NoSuchTransaction.
 */
export function noteCommittedWrite(base: EngineState, info: CollectionInfo, key: string, doc?: Document): void {
  const uuidHex = info.uuid.toHexString();
  let holder = base.transactions.holderOf(uuidHex, key);
  if (!holder && doc && info.store.indexes.length > 0) holder = uniqueKeyHolder(base, uuidHex, info, doc, key);
  if (!holder) return;
  if (base.abortHoldersOnConflict > 0) base.transactions.abort(holder, 'a write outside the transaction conflicted with it');
  else throw new TransactionWait(holder);
}

function uniqueKeyHolder(base: EngineState, uuidHex: string, info: CollectionInfo, doc: Document, idKey: string): Transaction | undefined {
  const keys = info.store.uniqueKeysOf(doc);
  if (keys.length === 0) return undefined;
  for (const txn of base.transactions.open) {
    const touched = txn.touched.get(uuidHex);
    if (!touched || touched.written.size === 0) continue;
    for (const { index, key } of keys) {
      const rec = touched.copy.store.uniqueKeyHolder(index, key);
      if (rec && rec.key !== idKey && touched.written.has(rec.key)) return txn;
    }
  }
  return undefined;
}
