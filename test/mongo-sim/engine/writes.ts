// The write path shared by insert/update/delete/findAndModify/TTL: write-block checks, implicit
// collection creation, schema validation, unique indexes, capped limits and oplog entries.
import { ObjectId, type Document } from 'bson';
import type { RequestContext } from './types';
import type { EngineState } from './state';
import {
  cappedLimits,
  idIndexSpec,
  preAndPostImagesEnabled,
  type CollectionInfo,
} from './catalog/catalog';
import { assertCreatableNamespace, INTERNAL_DATABASES } from './catalog/names';
import type { DocRecord } from './storage/id-index';
import { bsonSize, rememberSize } from './storage/doc-size';
import { bsonTypeName, isPlainDocument } from './bson/values';
import { commandError, ErrorCodes, userWritesBlocked } from './errors';
import { validateDocument } from './validation';
import type { OplogEntryInput } from './oplog';
import type { CommandError } from './types';
import { noteCommittedWrite, noteTransactionUniqueKeys, noteTransactionWrite, TransactionWait } from './transactions';

/**
 * Before a document is written: a transaction checks for write conflicts and records the write;
 * a write outside transactions waits (throws TransactionWait) when an open transaction wrote the
 * same document or the unique keys of `doc`, its new version.
 */
function beforeDocumentWrite(state: EngineState, info: CollectionInfo, key: string, doc?: Document): void {
  const txn = state.transaction;
  if (txn) noteTransactionWrite(state, txn, info, key);
  else if (state.transactions.open.size > 0) noteCommittedWrite(state, info, key, doc);
}

/** Runs writes that cannot wait for a transaction: a conflict aborts the transaction instead. */
export function withoutWaiting<T>(state: EngineState, fn: () => T): T {
  state.abortHoldersOnConflict++;
  try {
    return fn();
  } finally {
    state.abortHoldersOnConflict--;
  }
}

/** After a committed write (outside transactions): its undo record, for snapshots. */
function rememberCommitted(state: EngineState, info: CollectionInfo, key: string, before: { doc: Document; size: number } | undefined): void {
  if (state.transaction || info.db === 'local' || !state.history.recording) return;
  state.history.record(info.uuid, key, state.oplog.latest(), before);
}

export const MAX_USER_DOC_BYTES = 16 * 1024 * 1024;

/** Is this namespace exempt from user write blocking (internal databases, system.profile)? */
export function exemptFromWriteBlocking(db: string, coll: string | undefined): boolean {
  return INTERNAL_DATABASES.has(db) || coll === 'system.profile';
}

/** The 371 error when user writes are blocked for this request and namespace, else undefined. */
export function writeBlockError(state: EngineState, ctx: RequestContext, db: string, coll?: string): CommandError | undefined {
  if (!state.writeBlock.enabled || ctx.mayBypassWriteBlocking || exemptFromWriteBlocking(db, coll)) return undefined;
  return userWritesBlocked(state.writeBlock.reason);
}

export function assertWritesAllowed(state: EngineState, ctx: RequestContext, db: string, coll?: string): void {
  const err = writeBlockError(state, ctx, db, coll);
  if (err) throw err;
}

/** Session fields copied into oplog entries of retryable writes. */
function sessionFields(ctx: RequestContext): Pick<OplogEntryInput, 'lsid' | 'txnNumber'> {
  return ctx.txnNumber !== undefined && ctx.lsid !== undefined ? { lsid: ctx.lsid, txnNumber: ctx.txnNumber } : {};
}

/** Appends an oplog entry unless the namespace lives in `local` (which is not replicated). */
export function logOp(state: EngineState, db: string, input: OplogEntryInput, oSize?: number): void {
  if (db === 'local') return;
  state.oplog.append(input, oSize);
}

/** Creates a collection and logs its `create` entry (options in the order given, then idIndex). */
export function createCollection(state: EngineState, db: string, name: string, options: Document): CollectionInfo {
  const info = state.catalog.addCollection(db, name, options);
  const o: Document = { create: name, ...options };
  const idIndex = idIndexSpec(info);
  if (idIndex) o.idIndex = idIndex;
  logOp(state, db, { op: 'c', ns: `${db}.$cmd`, ui: info.uuid, o });
  return info;
}

/**
 * The collection a write goes to, created implicitly (with a `create` oplog entry) when missing.
 * Views fail with 166.
 */
export function collectionForWrite(state: EngineState, db: string, coll: string): CollectionInfo {
  const existing = state.catalog.get(db, coll);
  if (!existing) waitForPendingCreation(state, db, coll);
  if (existing?.kind === 'view') {
    throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${db}.${coll} is a view, not a collection`);
  }
  if (existing) {
    if (existing.virtualOplog) throw commandError(ErrorCodes.IllegalOperation, `cannot write to '${db}.${coll}'`);
    return existing;
  }
  assertCreatableNamespace(db, coll);
  return createCollection(state, db, coll, {});
}

/**
 * A write outside transactions to a collection that an open transaction created (and has not
 * committed) needs the collection's lock, which the transaction holds: it waits (TransactionWait)
 * until the transaction ends, then runs again (on the committed collection, or creating it).
 */
function waitForPendingCreation(state: EngineState, db: string, coll: string): void {
  if (state.transaction || state.transactions.open.size === 0) return;
  const ns = `${db}.${coll}`;
  for (const txn of state.transactions.open) if (txn.created.has(ns)) throw new TransactionWait(txn);
}

/** Puts `_id` first (generating an ObjectId when missing) and checks its type. */
export function prepareInsertDocument(doc: unknown): Document {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw commandError(ErrorCodes.TypeMismatch, 'BSON field \'insert.documents\' is the wrong type, expected type \'object\'');
  }
  const d = doc as Document;
  const keys = Object.keys(d);
  let out: Document;
  if (!('_id' in d)) out = { _id: new ObjectId(), ...d };
  else if (keys[0] !== '_id') {
    out = { _id: d._id };
    for (const k of keys) if (k !== '_id') out[k] = d[k];
  } else out = d;
  assertValidId(out._id);
  return out;
}

export function assertValidId(id: unknown): void {
  const t = bsonTypeName(id);
  if (t === 'array') throw commandError(ErrorCodes.InvalidIdField, "The '_id' value cannot be of type array");
  if (t === 'undefined') throw commandError(ErrorCodes.InvalidIdField, "The '_id' value cannot be of type undefined");
  if (t === 'regex') throw commandError(ErrorCodes.InvalidIdField, "The '_id' value cannot be of type regex");
  const dollar = dollarPrefixedField(id);
  if (dollar !== undefined) {
    throw commandError(ErrorCodes.DollarPrefixedFieldName, `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`);
  }
}

/** The first '$'-prefixed field name anywhere inside a value (documents and arrays), if any. */
function dollarPrefixedField(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    for (const x of v) {
      const found = dollarPrefixedField(x);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isPlainDocument(v)) return undefined;
  for (const k of Object.keys(v)) {
    if (k.startsWith('$')) return k;
    const found = dollarPrefixedField(v[k]);
    if (found !== undefined) return found;
  }
  return undefined;
}

function assertSize(size: number): void {
  if (size > MAX_USER_DOC_BYTES) {
    throw commandError(ErrorCodes.BSONObjectTooLarge, `object to insert too large. size in bytes: ${size}, max size: ${MAX_USER_DOC_BYTES}`);
  }
}

function imagesEnabled(info: CollectionInfo): boolean {
  return preAndPostImagesEnabled(info);
}

/** Deletes one stored document and logs it. */
export function deleteRecord(state: EngineState, ctx: RequestContext | undefined, info: CollectionInfo, rec: DocRecord): void {
  beforeDocumentWrite(state, info, rec.key);
  const before = { doc: rec.doc, size: rec.size };
  info.store.remove(rec);
  logOp(state, info.db, {
    ...(ctx ? sessionFields(ctx) : {}),
    op: 'd',
    ns: `${info.db}.${info.name}`,
    ui: info.uuid,
    o: { _id: rec.id },
    ...(imagesEnabled(info) ? { preImage: rec.doc } : {}),
  });
  rememberCommitted(state, info, rec.key, before);
}

/** Removes the oldest documents of a capped collection until it fits its size and max. */
function enforceCapped(state: EngineState, ctx: RequestContext, info: CollectionInfo, keep: DocRecord): void {
  const limits = cappedLimits(info);
  if (!limits) return;
  const store = info.store;
  for (const rec of store.natural()) {
    const tooBig = limits.sizeBytes > 0 && store.dataSize > limits.sizeBytes;
    const tooMany = limits.maxDocs !== undefined && store.count > limits.maxDocs;
    if (!tooBig && !tooMany) break;
    if (rec === keep) break;
    withoutWaiting(state, () => deleteRecord(state, ctx, info, rec));
  }
}

/** Inserts one prepared document (see prepareInsertDocument): validation, unique keys, oplog, capped. */
export function insertRecord(
  state: EngineState,
  ctx: RequestContext,
  info: CollectionInfo,
  doc: Document,
  opts: { bypassValidation?: boolean } = {},
): DocRecord {
  const size = bsonSize(doc);
  assertSize(size);
  validateDocument(info, doc, undefined, opts.bypassValidation === true);
  ctx.beforeWriteCommit?.();
  if (state.transaction || state.transactions.open.size > 0) beforeDocumentWrite(state, info, info.store.keyOf(doc._id), doc);
  const rec = info.store.insert(doc, size);
  if (state.transaction) noteTransactionUniqueKeys(state, state.transaction, info, doc, rec.key);
  rememberSize(doc, size);
  logOp(
    state,
    info.db,
    { ...sessionFields(ctx), op: 'i', ns: `${info.db}.${info.name}`, ui: info.uuid, o: doc, o2: { _id: rec.id } },
    size,
  );
  rememberCommitted(state, info, rec.key, undefined);
  enforceCapped(state, ctx, info, rec);
  return rec;
}

/**
 * Installs the new version of an updated document and logs it: `diff` for operator and pipeline
 * updates ($v: 2), the full document for replacements.
 */
export function updateRecord(
  state: EngineState,
  ctx: RequestContext,
  info: CollectionInfo,
  rec: DocRecord,
  after: Document,
  log: { diff: Document } | { replacement: true },
  opts: { bypassValidation?: boolean } = {},
): void {
  const before = rec.doc;
  const size = bsonSize(after);
  assertSize(size);
  validateDocument(info, after, before, opts.bypassValidation === true);
  ctx.beforeWriteCommit?.();
  beforeDocumentWrite(state, info, rec.key, after);
  const beforeRecord = { doc: rec.doc, size: rec.size };
  info.store.replace(rec, after, size);
  if (state.transaction) noteTransactionUniqueKeys(state, state.transaction, info, after, rec.key);
  const o = 'diff' in log ? { $v: 2, diff: log.diff } : after;
  logOp(
    state,
    info.db,
    {
      ...sessionFields(ctx),
      op: 'u',
      ns: `${info.db}.${info.name}`,
      ui: info.uuid,
      o,
      o2: { _id: rec.id },
      ...(imagesEnabled(info) ? { preImage: before, postImage: after } : {}),
    },
    'diff' in log ? undefined : size,
  );
  rememberCommitted(state, info, rec.key, beforeRecord);
}
