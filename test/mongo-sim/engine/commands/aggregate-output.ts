// The writing final stages of aggregate. `$out` builds `tmp.agg_out.<UUID>` in the target database
// (created with the target's options and indexes, filled with inserts) and renames it over the
// target with dropTarget, which is what the oplog and a change stream with expanded events show on
// a real server. `$merge` writes each result into the target by its `on` fields with the
// whenMatched / whenNotMatched modes, as ordinary inserts and updates; like mongod it matches the
// `on` fields under the aggregate's collation and only through a unique index with that collation.
import { UUID, type Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { commandError, duplicateKey, ErrorCodes } from '../errors';
import { isPlainDocument } from '../bson/values';
import { assertCreatableNamespace, assertValidNamespace } from '../catalog/names';
import { cappedLimits, type CollectionInfo } from '../catalog/catalog';
import type { IndexDescriptor } from '../storage/collection-store';
import { compareValues } from '../bson/compare';
import type { Collation } from '../bson/collation';
import { createCollection, insertRecord, prepareInsertDocument } from '../writes';
import { renameCollectionCommand, dropCommand } from './drop';
import { updateCommand } from './update';
import { insertCommand } from './insert';
import { createIndexesOnNewCollection, indexSpecs } from './indexes';

/** The value at a dotted path of plain subdocuments (undefined when missing). */
function lookupPath(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (!isPlainDocument(value)) return undefined;
    value = value[part];
  }
  return value;
}

export type OutputStage = { kind: '$out'; db: string; coll: string } | { kind: '$merge'; db: string; coll: string; spec: MergeSpec };

interface MergeSpec {
  on: string[];
  whenMatched: 'replace' | 'keepExisting' | 'merge' | 'fail' | Document[];
  whenNotMatched: 'insert' | 'discard' | 'fail';
  let?: Document;
}

function target(value: unknown, db: string, stage: string): { db: string; coll: string } {
  if (typeof value === 'string') return { db, coll: value };
  if (isPlainDocument(value) && typeof value.coll === 'string') {
    return { db: typeof value.db === 'string' ? value.db : db, coll: value.coll };
  }
  throw commandError(ErrorCodes.FailedToParse, `${stage} stage requires a collection name or {db, coll}`);
}

/** The output stage at the end of `pipeline`, if any; an output stage elsewhere is an error. */
export function outputStage(pipeline: Document[], db: string): OutputStage | undefined {
  pipeline.forEach((stage, i) => {
    const name = Object.keys(stage)[0];
    if ((name === '$out' || name === '$merge') && i !== pipeline.length - 1) {
      throw commandError(40601, `${name} can only be the final stage in the pipeline`);
    }
  });
  const last = pipeline[pipeline.length - 1];
  if (!last) return undefined;
  if (last.$out !== undefined) {
    const spec: unknown = last.$out;
    if (isPlainDocument(spec) && spec.timeseries !== undefined) throw commandError(ErrorCodes.InvalidOptions, 'time-series collections are not supported by the simulator');
    return { kind: '$out', ...target(spec, db, '$out') };
  }
  if (last.$merge !== undefined) {
    const raw: unknown = last.$merge;
    const spec = typeof raw === 'string' ? { into: raw } : raw;
    if (!isPlainDocument(spec)) throw commandError(ErrorCodes.FailedToParse, '$merge requires a string or object argument');
    const on = spec.on === undefined ? ['_id'] : typeof spec.on === 'string' ? [spec.on] : spec.on;
    if (!Array.isArray(on) || on.length === 0 || !on.every((f) => typeof f === 'string')) {
      throw commandError(51186, "$merge 'on' field must be either a string or an array of strings");
    }
    const whenMatched = spec.whenMatched ?? 'merge';
    const whenNotMatched = spec.whenNotMatched ?? 'insert';
    if (!Array.isArray(whenMatched) && !['replace', 'keepExisting', 'merge', 'fail'].includes(whenMatched as string)) {
      throw commandError(ErrorCodes.BadValue, `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`);
    }
    if (!['insert', 'discard', 'fail'].includes(whenNotMatched as string)) {
      throw commandError(ErrorCodes.BadValue, `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`);
    }
    const mergeSpec: MergeSpec = {
      on: on as string[],
      whenMatched: whenMatched as MergeSpec['whenMatched'],
      whenNotMatched: whenNotMatched as MergeSpec['whenNotMatched'],
      ...(isPlainDocument(spec.let) ? { let: spec.let } : {}),
    };
    return { kind: '$merge', ...target(spec.into, db, '$merge'), spec: mergeSpec };
  }
  return undefined;
}

function writableTarget(state: EngineState, db: string, coll: string): CollectionInfo | undefined {
  assertValidNamespace(db, coll);
  const info = state.catalog.get(db, coll);
  if (info?.kind === 'view') throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${db}.${coll} is a view, not a collection`);
  if (info && cappedLimits(info)) throw commandError(17152, `namespace '${db}.${coll}' is capped so it can't be used for $out`);
  return info;
}

/** `$out`: temp collection, the target's indexes, inserts, then rename over the target. */
export function writeOut(state: EngineState, ctx: RequestContext, out: { db: string; coll: string }, docs: Document[]): void {
  const existing = writableTarget(state, out.db, out.coll);
  if (!existing) assertCreatableNamespace(out.db, out.coll);
  const tempName = `tmp.agg_out.${new UUID().toHexString(true)}`;
  const options: Document = existing ? { ...existing.options } : {};
  const temp = createCollection(state, out.db, tempName, options);
  const secondary = existing ? indexSpecs(existing).filter((spec) => spec.name !== '_id_' && !spec.clustered) : [];
  const dbCtx: RequestContext = { ...ctx, db: out.db };
  try {
    if (secondary.length > 0) {
      createIndexesOnNewCollection({ createIndexes: tempName, indexes: secondary.map(({ v: _v, ...spec }) => spec) }, dbCtx, state);
    }
    for (const doc of docs) insertRecord(state, dbCtx, temp, prepareInsertDocument(doc));
  } catch (e) {
    dropCommand({ drop: tempName }, dbCtx, state);
    throw e;
  }
  renameCollectionCommand({ renameCollection: `${out.db}.${tempName}`, to: `${out.db}.${out.coll}`, dropTarget: true }, { ...ctx, db: 'admin' }, state);
}

function onFilter(doc: Document, on: string[]): Document {
  const filter: Document = {};
  for (const field of on) {
    const value = lookupPath(doc, field);
    if (value === undefined || value === null || Array.isArray(value)) {
      throw commandError(51132, `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
    }
    filter[field] = value;
  }
  return filter;
}

/** A unique index on exactly the `on` fields whose collation is the aggregate's (collationFor caches one object per spec). */
function uniqueIndexOn(info: CollectionInfo | undefined, on: string[], collation: Collation | undefined): IndexDescriptor | undefined {
  return info?.store.indexes.find((ix) => ix.unique && ix.collation === collation && ix.fields.length === on.length && on.every((f) => ix.fields.includes(f)));
}

function throwWriteErrors(reply: Document): void {
  const errors = reply.writeErrors as Document[] | undefined;
  if (errors && errors.length > 0) {
    const e = errors[0];
    throw commandError(Number(e.code), `$merge failed: ${String(e.errmsg)}`, e.keyPattern !== undefined ? { keyPattern: e.keyPattern, keyValue: e.keyValue } : {});
  }
}

/** `$merge`: each result document into the target by its `on` fields, compared under the aggregate's collation. */
export async function writeMerge(
  state: EngineState,
  ctx: RequestContext,
  merge: { db: string; coll: string; spec: MergeSpec },
  docs: Document[],
  collation: Collation | undefined,
): Promise<void> {
  const { spec } = merge;
  const existing = writableTarget(state, merge.db, merge.coll);
  const byIdOnly = spec.on.length === 1 && spec.on[0] === '_id';
  const onIndex = byIdOnly ? undefined : uniqueIndexOn(existing, spec.on, collation);
  if (!byIdOnly && !onIndex) {
    throw commandError(51183, 'Cannot find index to verify that join fields will be unique');
  }
  const dbCtx: RequestContext = { ...ctx, db: merge.db };
  const coll = merge.coll;
  for (const doc of docs) {
    const q = onFilter(doc, spec.on);
    const store = state.catalog.getCollection(merge.db, coll)?.store;
    const current = !store
      ? undefined
      : byIdOnly
        ? store.getById(q._id)
        : [...store.natural()].find((rec) => spec.on.every((f) => compareValues(lookupPath(rec.doc, f), q[f], collation?.compare) === 0));
    if (!current) {
      if (spec.whenNotMatched === 'discard') continue;
      if (spec.whenNotMatched === 'fail') {
        throw commandError(13113, '$merge could not find a matching document in the target collection for at least one document in the source collection');
      }
      throwWriteErrors(await insertCommand({ insert: coll, documents: [doc] }, dbCtx, state));
      continue;
    }
    const wm = spec.whenMatched;
    if (wm === 'keepExisting') continue;
    if (wm === 'fail') {
      const keyPattern = Object.fromEntries(spec.on.map((f) => [f, 1]));
      const index = onIndex?.name ?? '_id_';
      throw duplicateKey(`${merge.db}.${coll}`, index, keyPattern, q);
    }
    if (doc._id !== undefined && compareValues(doc._id, current.id) !== 0 && (wm === 'replace' || wm === 'merge')) {
      throw commandError(ErrorCodes.ImmutableField, '$merge failed to update the matching document, did you attempt to modify the _id or the shard key?');
    }
    const byId = { _id: current.id };
    let u: unknown;
    if (wm === 'replace') u = { ...doc, _id: current.id };
    else if (wm === 'merge') {
      const { _id: _ignored, ...fields } = doc;
      if (Object.keys(fields).length === 0) continue;
      u = { $set: fields };
    }
    else u = wm;
    const statement: Document = { q: byId, u, upsert: false };
    const cmd: Document = { update: coll, updates: [statement] };
    if (Array.isArray(wm)) cmd.let = { ...(spec.let ?? {}), new: doc };
    throwWriteErrors(await updateCommand(cmd, dbCtx, state));
  }
}
