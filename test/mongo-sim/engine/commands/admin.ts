// Administrative commands: setUserWriteBlockMode, appendOplogNote, dbHash, dbStats, collStats,
// currentOp.
import { createHash } from 'node:crypto';
import { Double, Int32, Long, serialize, type Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { cappedLimits, type CollectionInfo } from '../catalog/catalog';
import { assertValidNamespace } from '../catalog/names';
import { collectionSizes, storageStats } from '../catalog/stats';
import { commandError, ErrorCodes, missingField } from '../errors';
import { bsonTypeName, isPlainDocument, toNumber } from '../bson/values';
import { formatDocument } from '../bson/format';
import { compareTimestamps } from '../oplog';
import { supportsWriteBlockReason } from '../version';
import { assertKnownFields, collectionName, optionalArray } from './args';

const WRITE_BLOCK_REASONS = ['Unspecified', 'ClusterToClusterMigrationInProgress', 'DiskUseThresholdExceeded'];

export function setUserWriteBlockModeCommand(cmd: Document, _ctx: RequestContext, state: EngineState): Document {
  const withReason = supportsWriteBlockReason(state.version);
  assertKnownFields(cmd, 'setUserWriteBlockMode', withReason ? ['global', 'reason'] : ['global']);
  if (cmd.global === undefined) throw missingField('setUserWriteBlockMode', 'global');
  if (typeof cmd.global !== 'boolean') {
    throw commandError(
      ErrorCodes.TypeMismatch,
      `BSON field 'setUserWriteBlockMode.global' is the wrong type '${bsonTypeName(cmd.global)}', expected type 'bool'`,
    );
  }
  const block = state.writeBlock;
  if (!withReason) {
    block.enabled = cmd.global;
    return {};
  }
  let reason: string | undefined;
  if (cmd.reason !== undefined && cmd.reason !== null) {
    if (typeof cmd.reason !== 'string' || !WRITE_BLOCK_REASONS.includes(cmd.reason)) {
      throw commandError(ErrorCodes.BadValue, `Enumeration value '${String(cmd.reason)}' for field 'setUserWriteBlockMode.reason' is not a valid value.`);
    }
    reason = cmd.reason;
  }
  if (cmd.global) {
    const requested = reason ?? 'Unspecified';
    if (block.enabled && block.reason !== requested) {
      throw commandError(
        ErrorCodes.IllegalOperation,
        `Cannot enable user write blocking with reason '${requested}' because it is already enabled with reason '${block.reason ?? 'Unspecified'}'`,
      );
    }
    block.enabled = true;
    block.reason = requested;
    return {};
  }
  if (block.enabled && reason !== undefined && reason !== block.reason) {
    throw commandError(
      ErrorCodes.IllegalOperation,
      `Cannot disable user write blocking with reason '${reason}' because it was enabled with reason '${block.reason ?? 'Unspecified'}'`,
    );
  }
  block.enabled = false;
  block.reason = undefined;
  return {};
}

export function appendOplogNoteCommand(cmd: Document, _ctx: RequestContext, state: EngineState): Document {
  const data: unknown = cmd.data;
  if (data === undefined) throw commandError(ErrorCodes.NoSuchKey, 'Missing expected field "data"');
  if (!isPlainDocument(data)) {
    throw commandError(ErrorCodes.TypeMismatch, `"data" had the wrong type. Expected object, found ${bsonTypeName(data)}`);
  }
  const maxClusterTime: unknown = cmd.maxClusterTime;
  if (maxClusterTime !== undefined) {
    if (bsonTypeName(maxClusterTime) !== 'timestamp') {
      throw commandError(
        ErrorCodes.TypeMismatch,
        `"maxClusterTime" had the wrong type. Expected timestamp, found ${bsonTypeName(maxClusterTime)}`,
      );
    }
    const lastApplied = state.oplog.latest();
    const requested = maxClusterTime as typeof lastApplied;
    if (compareTimestamps(requested, lastApplied) <= 0) {
      throw commandError(
        ErrorCodes.StaleClusterTime,
        `Requested maxClusterTime ${formatDocument({ ts: requested })} is less or equal to the last primary OpTime: ${formatDocument({ ts: lastApplied })}`,
      );
    }
  }
  const entry = state.oplog.append({ op: 'n', ns: '', o: data });
  return { operationTime: entry.ts };
}

function md5(bytes: Uint8Array | string): string {
  return createHash('md5').update(bytes).digest('hex');
}

function collectionHash(info: CollectionInfo): string {
  const hash = createHash('md5');
  const records = cappedLimits(info) ? [...info.store.natural()] : info.store.idIndex.ordered();
  for (const rec of records) hash.update(serialize(rec.doc));
  return hash.digest('hex');
}

export function dbHashCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const started = Date.now();
  const wanted = optionalArray(cmd, 'dbHash', 'collections');
  const names = new Set(wanted?.map(String));
  const collections: Document = {};
  const uuids: Document = {};
  const capped: string[] = [];
  const infos = state.catalog
    .namespaces(ctx.db)
    .filter((n): n is CollectionInfo => n.kind === 'collection' && !n.virtualOplog && n.name !== 'system.profile')
    .filter((n) => !wanted || names.has(n.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const all = createHash('md5');
  for (const info of infos) {
    const h = collectionHash(info);
    collections[info.name] = h;
    uuids[info.name] = info.uuid;
    if (cappedLimits(info)) capped.push(info.name);
    all.update(info.name);
    all.update(h);
  }
  return {
    host: state.settings.hostAndPort,
    collections,
    capped,
    uuids,
    md5: infos.length > 0 ? all.digest('hex') : md5(''),
    timeMillis: new Int32(Date.now() - started),
    fromCache: [],
  };
}

function numberOf(n: number): Int32 | Long {
  return Number.isInteger(n) && n <= 2147483647 ? new Int32(n) : Long.fromNumber(Math.floor(n));
}

export function dbStatsCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const scale = Math.max(1, Math.floor(toNumber(cmd.scale) ?? 1));
  let collections = 0;
  let views = 0;
  let objects = 0;
  let dataSize = 0;
  let storageSize = 0;
  let indexes = 0;
  let indexSize = 0;
  for (const info of state.catalog.namespaces(ctx.db)) {
    if (info.kind === 'view') {
      views++;
      continue;
    }
    collections++;
    const s = collectionSizes(state, info);
    objects += s.count;
    dataSize += s.size;
    storageSize += s.storageSize;
    indexes += Object.keys(s.indexSizes).length;
    indexSize += s.totalIndexSize;
  }
  return {
    db: ctx.db,
    collections: new Int32(collections),
    views: new Int32(views),
    objects: numberOf(objects),
    avgObjSize: new Double(objects > 0 ? dataSize / objects : 0),
    dataSize: new Double(dataSize / scale),
    storageSize: new Double(storageSize / scale),
    indexes: new Int32(indexes),
    indexSize: new Double(indexSize / scale),
    totalSize: new Double((storageSize + indexSize) / scale),
    scaleFactor: new Int32(scale),
    fsUsedSize: new Double(0),
    fsTotalSize: new Double(0),
  };
}

/** The deprecated collStats command: $collStats storageStats at the top level. */
export function collStatsCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const coll = collectionName(cmd, Object.keys(cmd)[0]);
  assertValidNamespace(ctx.db, coll);
  const info = state.catalog.get(ctx.db, coll);
  if (info?.kind === 'view') throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${ctx.db}.${coll} is a view, not a collection`);
  if (!info) throw commandError(ErrorCodes.NamespaceNotFound, `Collection [${ctx.db}.${coll}] not found.`);
  const scale = Math.max(1, Math.floor(toNumber(cmd.scale) ?? 1));
  return { ns: `${ctx.db}.${coll}`, ...storageStats(state, info, scale) };
}

export function currentOpCommand(): Document {
  return { inprog: [] };
}
