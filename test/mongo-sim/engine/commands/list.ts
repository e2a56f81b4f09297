// listDatabases and listCollections.
import { Int32, Long, type Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { idIndexSpec, type NamespaceInfo } from '../catalog/catalog';
import { collectionSizes } from '../catalog/stats';
import { ArrayCursor } from '../cursors';
import { compileFilter } from '../query/matcher';
import { toQueryView } from '../bson/typed-view';
import { assertKnownFields, cursorBatchSize, optionalBool, optionalDocument } from './args';

function sizeNumber(n: number): Int32 | Long {
  return n <= 2147483647 ? new Int32(n) : Long.fromNumber(n);
}

export function listDatabasesCommand(cmd: Document, _ctx: RequestContext, state: EngineState): Document {
  assertKnownFields(cmd, 'listDatabases', ['filter', 'nameOnly', 'authorizedDatabases']);
  const nameOnly = optionalBool(cmd, 'listDatabases', 'nameOnly') ?? false;
  const filter = optionalDocument(cmd, 'listDatabases', 'filter');
  const test = compileFilter(filter);
  const entries: Document[] = [];
  let total = 0;
  for (const db of state.catalog.databaseNames().sort()) {
    let size = 0;
    let empty = true;
    for (const info of state.catalog.namespaces(db)) {
      if (info.kind !== 'collection') continue;
      const s = collectionSizes(state, info);
      size += s.storageSize + s.totalIndexSize;
      if (s.count > 0) empty = false;
    }
    const entry: Document = nameOnly ? { name: db } : { name: db, sizeOnDisk: sizeNumber(size), empty };
    if (!test(toQueryView(entry))) continue;
    entries.push(entry);
    total += size;
  }
  if (nameOnly) return { databases: entries };
  return { databases: entries, totalSize: sizeNumber(total), totalSizeMb: Long.fromNumber(Math.floor(total / (1024 * 1024))) };
}

function collectionEntry(info: NamespaceInfo): Document {
  if (info.kind === 'view') {
    return { name: info.name, type: 'view', options: info.options, info: { readOnly: true } };
  }
  const entry: Document = { name: info.name, type: 'collection', options: info.options, info: { readOnly: false, uuid: info.uuid } };
  const id = idIndexSpec(info);
  if (id) entry.idIndex = id;
  return entry;
}

/** The entry the server shows for `system.views` once a database has views. */
function systemViewsEntry(state: EngineState, db: string): Document {
  return {
    name: 'system.views',
    type: 'collection',
    options: {},
    info: { readOnly: false, uuid: state.systemViewsUuid(db) },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  };
}

export async function listCollectionsCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  assertKnownFields(cmd, 'listCollections', ['filter', 'nameOnly', 'authorizedCollections', 'cursor', 'includePendingDrops']);
  const nameOnly = optionalBool(cmd, 'listCollections', 'nameOnly') ?? false;
  const filter = optionalDocument(cmd, 'listCollections', 'filter');
  const batchSize = cursorBatchSize(cmd, 'listCollections');
  const test = compileFilter(filter);
  const namespaces = state.catalog.namespaces(ctx.db);
  const entries = namespaces.map(collectionEntry);
  if (namespaces.some((n) => n.kind === 'view')) entries.push(systemViewsEntry(state, ctx.db));
  const shown = entries
    .map((e) => (nameOnly ? { name: e.name, type: e.type } : e))
    .filter((e) => test(toQueryView(e)));
  return state.cursors.open(new ArrayCursor(`${ctx.db}.$cmd.listCollections`, shown), { batchSize, signal: ctx.signal });
}
