// Runs one update statement (update command entry or findAndModify): selects the documents,
// computes each new version (operators, replacement or pipeline), writes and logs changed ones,
// and upserts when nothing matched.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import type { CollectionInfo } from '../catalog/catalog';
import type { DocRecord } from '../storage/id-index';
import { selectRecords } from '../query/execute';
import type { SortField } from '../query/sort';
import { commandError, ErrorCodes } from '../errors';
import { collectionForWrite, deleteRecord, insertRecord, prepareInsertDocument, updateRecord } from '../writes';
import { computeUpdateDiff } from './diff';
import { applyOperatorUpdate, isOperatorUpdate } from './operators';
import { applyPipelineUpdate } from './pipeline-update';
import { assertReplacementFields, replaceDocument } from './replacement';
import { upsertBaseDocument } from './upsert-base';
import { isPlainDocument } from '../bson/values';
import { bsonEquals } from '../bson/compare';

export interface UpdateStatement {
  q: Document;
  u: Document | unknown[];
  upsert: boolean;
  multi: boolean;
  arrayFilters?: unknown[];
  hint?: unknown;
  sort?: SortField[];
  variables?: Document;
  /** the statement's collation (the collection default applies without one) */
  collation?: Document;
  bypassValidation: boolean;
}

export interface UpdateOutcome {
  matched: number;
  modified: number;
  /** set when the statement inserted a document */
  upserted?: Document;
  /** [before, after] of each matched document (after === before for no-ops) */
  changes: { before: Document; after: Document }[];
}

/**
 * What a statement has done so far, kept across its attempts: a statement that waited for a
 * transaction (see transaction-wait.ts) runs again and skips the documents it already wrote.
 */
export type UpdateProgress = UpdateOutcome & { done: Set<string> };

export function newUpdateProgress(): UpdateProgress {
  return { matched: 0, modified: 0, changes: [], done: new Set() };
}

type ComputedUpdate = { after: Document; changed: boolean; log: { diff: Document } | { replacement: true } };

function assertUpdateShape(u: unknown): void {
  if (Array.isArray(u)) return;
  if (!isPlainDocument(u)) {
    throw commandError(ErrorCodes.FailedToParse, 'Update argument must be either an object or an array');
  }
  if (!isOperatorUpdate(u)) assertReplacementFields(u);
}

function computeUpdate(state: EngineState, st: UpdateStatement, before: Document, inserting: boolean): ComputedUpdate {
  const u = st.u;
  if (Array.isArray(u)) {
    const r = applyPipelineUpdate(before, u, st.variables, inserting);
    return { after: r.after, changed: r.changed, log: { diff: computeUpdateDiff(before, r.after) ?? {} } };
  }
  if (isOperatorUpdate(u)) {
    const r = applyOperatorUpdate(before, u, {
      inserting,
      arrayFilters: st.arrayFilters,
      query: st.q,
      now: () => new Date(state.settings.nowMs()),
      tick: () => state.oplog.reserveTimestamp(),
    });
    return { after: r.after, changed: r.changed, log: { diff: computeUpdateDiff(before, r.after, r.opaque) ?? {} } };
  }
  if (inserting) {
    const after: Document = before._id !== undefined && !('_id' in u) ? { _id: before._id, ...u } : u;
    return { after, changed: true, log: { replacement: true } };
  }
  const after = replaceDocument(before, u);
  return { after, changed: !bsonEquals(before, after), log: { replacement: true } };
}

function updateOne(state: EngineState, ctx: RequestContext, info: CollectionInfo, rec: DocRecord, st: UpdateStatement): { before: Document; after: Document; changed: boolean } {
  const before = rec.doc;
  const r = computeUpdate(state, st, before, false);
  if (!r.changed) return { before, after: before, changed: false };
  if (!('_id' in r.after)) throw commandError(ErrorCodes.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  updateRecord(state, ctx, info, rec, r.after, r.log, { bypassValidation: st.bypassValidation });
  return { before, after: r.after, changed: true };
}

function upsert(state: EngineState, ctx: RequestContext, db: string, coll: string, st: UpdateStatement): Document {
  const base = upsertBaseDocument(st.q);
  const r = computeUpdate(state, st, base, true);
  const info = collectionForWrite(state, db, coll);
  const doc = prepareInsertDocument(r.after);
  insertRecord(state, ctx, info, doc, { bypassValidation: st.bypassValidation });
  return doc;
}

export function executeUpdate(
  state: EngineState,
  ctx: RequestContext,
  db: string,
  coll: string,
  st: UpdateStatement,
  progress: UpdateProgress = newUpdateProgress(),
): UpdateOutcome {
  assertUpdateShape(st.u);
  if (st.multi && !Array.isArray(st.u) && !isOperatorUpdate(st.u)) {
    throw commandError(ErrorCodes.FailedToParse, 'multi update is not supported for replacement-style update');
  }
  const existing = state.catalog.get(db, coll);
  if (existing?.kind === 'view') {
    throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${db}.${coll} is a view, not a collection`);
  }
  const outcome = progress;
  if (existing && !existing.virtualOplog && !(outcome.done.size > 0 && !st.multi)) {
    const records = selectRecords(existing, { filter: st.q, sort: st.sort ?? [], hint: st.hint, collation: st.collation, variables: st.variables });
    const targets = st.multi ? records : records.slice(0, 1);
    for (const rec of targets) {
      if (rec.removed || outcome.done.has(rec.key)) continue;
      const r = updateOne(state, ctx, existing, rec, st);
      outcome.done.add(rec.key);
      outcome.matched++;
      if (r.changed) outcome.modified++;
      outcome.changes.push({ before: r.before, after: r.after });
    }
  }
  if (outcome.matched === 0 && st.upsert) {
    const doc = upsert(state, ctx, db, coll, st);
    outcome.upserted = doc;
    outcome.changes.push({ before: doc, after: doc });
  }
  return outcome;
}

/**
 * Deletes the documents a delete statement selects (`limit` 1 = the first match only). `done`
 * holds what earlier attempts of the statement deleted (see UpdateProgress).
 */
export function executeDelete(
  state: EngineState,
  ctx: RequestContext,
  db: string,
  coll: string,
  st: { q: Document; limit: number; hint?: unknown; sort?: SortField[]; collation?: Document; variables?: Document },
  done: Map<string, Document> = new Map(),
): Document[] {
  const info = state.catalog.get(db, coll);
  if (info?.kind === 'view') {
    throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${db}.${coll} is a view, not a collection`);
  }
  if (!info || info.virtualOplog || (st.limit === 1 && done.size > 0)) return [...done.values()];
  const records = selectRecords(info, { filter: st.q, sort: st.sort ?? [], hint: st.hint, collation: st.collation, variables: st.variables });
  const targets = st.limit === 1 ? records.slice(0, 1) : records;
  for (const rec of targets) {
    if (rec.removed || done.has(rec.key)) continue;
    ctx.beforeWriteCommit?.();
    deleteRecord(state, ctx, info, rec);
    done.set(rec.key, rec.doc);
  }
  return [...done.values()];
}
