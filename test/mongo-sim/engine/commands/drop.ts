// drop, dropDatabase and renameCollection.
import { Long, type UUID, type Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { idIndexSpec, type CollectionInfo, type NamespaceInfo } from '../catalog/catalog';
import { assertCreatableNamespace, assertValidNamespace, isValidCollectionName, isValidDbName, splitNamespace } from '../catalog/names';
import { assertWritesAllowed, logOp } from '../writes';
import { commandError, ErrorCodes } from '../errors';
import { dropMissingIsOk } from '../version';
import { collectionName, optionalBool } from './args';
import { renameAcrossDatabases } from './rename-across-databases';

/** Removes a namespace and logs its `drop` entry. */
function dropNamespace(state: EngineState, info: NamespaceInfo): void {
  state.catalog.remove(info.db, info.name);
  if (info.kind === 'view') {
    logOp(state, info.db, { op: 'c', ns: `${info.db}.$cmd`, o: { drop: info.name } });
    return;
  }
  logOp(state, info.db, {
    op: 'c',
    ns: `${info.db}.$cmd`,
    ui: info.uuid,
    o: { drop: info.name },
    o2: { numRecords: Long.fromNumber(info.store.count) },
  });
}

function indexCount(info: CollectionInfo): number {
  return (idIndexSpec(info) ? 1 : 0) + info.store.indexes.length;
}

export function dropCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const name = collectionName(cmd, 'drop');
  assertValidNamespace(ctx.db, name);
  const info = state.catalog.get(ctx.db, name);
  if (!info) {
    if (dropMissingIsOk(state.version)) return {};
    throw commandError(ErrorCodes.NamespaceNotFound, 'ns not found');
  }
  if (info.kind === 'collection' && info.virtualOplog) {
    throw commandError(ErrorCodes.IllegalOperation, "can't drop live oplog while replicating");
  }
  assertWritesAllowed(state, ctx, ctx.db, name);
  dropNamespace(state, info);
  if (info.kind === 'view') return {};
  return { nIndexesWas: indexCount(info), ns: `${ctx.db}.${name}` };
}

export function dropDatabaseCommand(_cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const db = ctx.db;
  if (db === 'admin' || db === 'local') {
    throw commandError(ErrorCodes.IllegalOperation, `Dropping the '${db}' database is prohibited.`);
  }
  if (!state.catalog.hasDatabase(db)) return {};
  assertWritesAllowed(state, ctx, db);
  for (const info of state.catalog.namespaces(db)) dropNamespace(state, info);
  state.catalog.dropDatabase(db);
  logOp(state, db, { op: 'c', ns: `${db}.$cmd`, o: { dropDatabase: 1 } });
  return { dropped: db };
}

function parseFullNamespace(value: unknown, which: 'source' | 'target'): { db: string; coll: string } {
  if (typeof value !== 'string') {
    throw commandError(ErrorCodes.TypeMismatch, `BSON field 'renameCollection.${which === 'source' ? 'renameCollection' : 'to'}' is the wrong type, expected type 'string'`);
  }
  const { db, coll } = splitNamespace(value);
  if (!isValidDbName(db) || !isValidCollectionName(coll)) {
    throw commandError(ErrorCodes.InvalidNamespace, `Invalid ${which} namespace: ${value}`);
  }
  return { db, coll };
}

export function renameCollectionCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const from = parseFullNamespace(cmd.renameCollection, 'source');
  const to = parseFullNamespace(cmd.to, 'target');
  const dropTarget = optionalBool(cmd, 'renameCollection', 'dropTarget') ?? false;
  const fromNs = `${from.db}.${from.coll}`;
  const toNs = `${to.db}.${to.coll}`;
  if (fromNs === toNs) throw commandError(ErrorCodes.IllegalOperation, "Can't rename a collection to itself");
  const source = state.catalog.get(from.db, from.coll);
  if (!source) throw commandError(ErrorCodes.NamespaceNotFound, `Source collection ${fromNs} does not exist`);
  if (source.kind === 'view') {
    throw commandError(ErrorCodes.CommandNotSupportedOnView, `cannot rename view: ${fromNs}`);
  }
  if (source.virtualOplog) throw commandError(ErrorCodes.IllegalOperation, "can't rename live oplog while replicating");
  assertCreatableNamespace(to.db, to.coll);
  const target = state.catalog.get(to.db, to.coll);
  if (target?.kind === 'view') throw commandError(ErrorCodes.NamespaceExists, `a view already exists with that name: ${toNs}`);
  if (target && !dropTarget) throw commandError(ErrorCodes.NamespaceExists, 'target namespace exists');
  assertWritesAllowed(state, ctx, from.db, from.coll);
  assertWritesAllowed(state, ctx, to.db, to.coll);
  if (from.db !== to.db) {
    renameAcrossDatabases(state, ctx, {
      source,
      to,
      dropTarget,
      renameWithin: (within) => renameCollectionCommand(within, ctx, state),
      dropSource: () => dropNamespace(state, source),
    });
    return {};
  }
  let droppedTargetUuid: UUID | undefined;
  if (target) {
    droppedTargetUuid = target.uuid;
    state.catalog.remove(to.db, to.coll);
  }
  state.catalog.move(source, to.db, to.coll);
  const o: Document = { renameCollection: fromNs, to: toNs, stayTemp: false };
  if (droppedTargetUuid) o.dropTarget = droppedTargetUuid;
  logOp(state, from.db, { op: 'c', ns: `${from.db}.$cmd`, ui: source.uuid, o });
  return {};
}
