// createIndexes, dropIndexes and listIndexes.
import { UUID, type Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { idIndexSpec, isClustered, type CollectionInfo } from '../catalog/catalog';
import { assertCreatableNamespace, assertValidNamespace } from '../catalog/names';
import { compareWithExisting, describeIndex, normalizeIndexSpec, sameKeyPattern } from '../catalog/index-specs';
import { assertWritesAllowed, collectionForWrite, logOp } from '../writes';
import { retryAfterTransactions, writeDeadline } from '../transaction-wait';
import { commandError, ErrorCodes, isCommandError } from '../errors';
import { ArrayCursor } from '../cursors';
import { isPlainDocument } from '../bson/values';
import { formatDocument } from '../bson/format';
import { validateCollation } from '../bson/collation';
import { collectionName, cursorBatchSize, optionalArray } from './args';

/** Every index of a collection as listIndexes shows it, the _id index first. */
export function indexSpecs(info: CollectionInfo): Document[] {
  const id = idIndexSpec(info);
  const out: Document[] = [];
  if (id) out.push(id);
  else if (isClustered(info)) out.push({ ...(info.options.clusteredIndex as Document), clustered: true });
  for (const ix of info.store.indexes) out.push(ix.spec);
  return out;
}

/** An index without its own collation takes the collection's default (as listIndexes then shows). */
function withDefaultCollation(spec: Document, info: CollectionInfo | undefined): Document {
  if (spec.collation !== undefined) {
    validateCollation(spec.collation);
    return spec;
  }
  const collectionDefault: unknown = info?.options.collation;
  return isPlainDocument(collectionDefault) ? { ...spec, collation: collectionDefault } : spec;
}

function notAView(state: EngineState, db: string, coll: string, message: string): void {
  if (state.catalog.get(db, coll)?.kind === 'view') throw commandError(ErrorCodes.CommandNotSupportedOnView, message);
}

/** createIndexes; on a collection an open transaction is creating it waits for the transaction. */
export function createIndexesCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document | Promise<Document> {
  return retryAfterTransactions(state, writeDeadline(cmd), ctx, () => createIndexesOnce(cmd, ctx, state));
}

/**
 * createIndexes on a collection the caller has just created itself (the temporary collection of
 * $out or of a cross-database rename): no transaction can hold it, so nothing waits.
 */
export function createIndexesOnNewCollection(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  return createIndexesOnce(cmd, ctx, state);
}

function createIndexesOnce(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const coll = collectionName(cmd, 'createIndexes');
  assertValidNamespace(ctx.db, coll);
  const rawIndexes = optionalArray(cmd, 'createIndexes', 'indexes');
  if (!rawIndexes) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'createIndexes.indexes' is missing but a required field");
  if (rawIndexes.length === 0) throw commandError(ErrorCodes.BadValue, 'Must specify at least one index to create');
  notAView(state, ctx.db, coll, `Cannot create indexes on a view: ${ctx.db}.${coll}`);
  const existingInfo = state.catalog.getCollection(ctx.db, coll);
  const requested = rawIndexes.map(normalizeIndexSpec).map((spec) => withDefaultCollation(spec, existingInfo));
  const existingSpecs = existingInfo ? indexSpecs(existingInfo) : [{ v: 2, key: { _id: 1 }, name: '_id_' }];
  const toBuild: Document[] = [];
  for (const spec of requested) {
    if (isPlainDocument(spec.key) && sameKeyPattern(spec.key, { _id: 1 }) && spec.hidden === true) {
      throw commandError(ErrorCodes.BadValue, "can't hide _id index");
    }
    if (compareWithExisting(spec, [...existingSpecs, ...toBuild]).kind === 'new') toBuild.push(spec);
  }
  const before = existingSpecs.length;
  if (existingInfo && toBuild.length === 0) {
    return { numIndexesBefore: before, numIndexesAfter: before, note: 'all indexes already exist' };
  }
  assertWritesAllowed(state, ctx, ctx.db, coll);
  if (!existingInfo) assertCreatableNamespace(ctx.db, coll);
  const info = collectionForWrite(state, ctx.db, coll);
  const buildUUID = new UUID();
  const descriptors = toBuild.map(describeIndex);
  for (const ix of descriptors) {
    try {
      if (ix.unique || ix.prepareUnique) info.store.buildKeys(ix);
      else info.store.validateIndexable(ix);
    } catch (e) {
      if (isCommandError(e)) {
        throw commandError(
          e.code,
          `Index build failed: ${buildUUID.toHexString(true)}: Collection ${ctx.db}.${coll} ( ${info.uuid.toHexString(true)} ) :: caused by :: ${e.message}`,
          e.extra,
        );
      }
      throw e;
    }
  }
  info.store.indexes.push(...descriptors);
  logOp(state, ctx.db, {
    op: 'c',
    ns: `${ctx.db}.$cmd`,
    ui: info.uuid,
    o: { commitIndexBuild: coll, indexBuildUUID: buildUUID, indexes: toBuild },
  });
  return {
    numIndexesBefore: existingInfo ? before : 1,
    numIndexesAfter: (existingInfo ? before : 1) + toBuild.length,
    createdCollectionAutomatically: !existingInfo,
    commitQuorum: 'votingMembers',
  };
}

function resolveDropTargets(info: CollectionInfo, index: unknown): string[] {
  const names = info.store.indexes.map((ix) => ix.name);
  if (index === '*') return names;
  const byName = (name: string): string => {
    if (name === '_id_') throw commandError(ErrorCodes.InvalidOptions, 'cannot drop _id index');
    if (!names.includes(name)) throw commandError(ErrorCodes.IndexNotFound, `index not found with name [${name}]`);
    return name;
  };
  if (typeof index === 'string') return [byName(index)];
  if (Array.isArray(index)) return index.map((n) => byName(String(n)));
  if (isPlainDocument(index)) {
    if (sameKeyPattern(index, { _id: 1 })) throw commandError(ErrorCodes.InvalidOptions, 'cannot drop _id index');
    const match = info.store.indexes.filter((ix) => sameKeyPattern(ix.keyPattern, index));
    if (match.length === 0) throw commandError(ErrorCodes.IndexNotFound, `can't find index with key: ${formatDocument(index)}`);
    if (match.length > 1) {
      throw commandError(ErrorCodes.AmbiguousIndexKeyPattern, `${match.length} indexes found for key: ${formatDocument(index)}, identify by name instead. Conflicting indexes: ${match.map((m) => formatDocument(m.spec)).join(', ')}`);
    }
    return [match[0].name];
  }
  throw commandError(ErrorCodes.TypeMismatch, "BSON field 'dropIndexes.index' is the wrong type, expected types '[string, object, array]'");
}

export function dropIndexesCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const name = Object.keys(cmd)[0];
  const coll = collectionName(cmd, name);
  assertValidNamespace(ctx.db, coll);
  notAView(state, ctx.db, coll, `Namespace ${ctx.db}.${coll} is a view, not a collection`);
  const info = state.catalog.getCollection(ctx.db, coll);
  if (!info || info.virtualOplog) throw commandError(ErrorCodes.NamespaceNotFound, `ns not found ${ctx.db}.${coll}`);
  if (cmd.index === undefined) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'dropIndexes.index' is missing but a required field");
  const targets = resolveDropTargets(info, cmd.index);
  const nIndexesWas = indexSpecs(info).length;
  if (targets.length > 0) assertWritesAllowed(state, ctx, ctx.db, coll);
  for (const target of targets) {
    const pos = info.store.indexes.findIndex((ix) => ix.name === target);
    const [removed] = info.store.indexes.splice(pos, 1);
    logOp(state, ctx.db, {
      op: 'c',
      ns: `${ctx.db}.$cmd`,
      ui: info.uuid,
      o: { dropIndexes: coll, index: target },
      o2: removed.spec,
    });
  }
  const reply: Document = { nIndexesWas };
  if (cmd.index === '*') reply.msg = 'non-_id indexes dropped for collection';
  return reply;
}

export async function listIndexesCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const coll = collectionName(cmd, 'listIndexes');
  assertValidNamespace(ctx.db, coll);
  notAView(state, ctx.db, coll, `Namespace ${ctx.db}.${coll} is a view, not a collection`);
  const info = state.catalog.getCollection(ctx.db, coll);
  if (!info) throw commandError(ErrorCodes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${coll}`);
  const batchSize = cursorBatchSize(cmd, 'listIndexes');
  return state.cursors.open(new ArrayCursor(`${ctx.db}.${coll}`, indexSpecs(info)), { batchSize, signal: ctx.signal });
}
