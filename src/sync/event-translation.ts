// Translation of one source change event (https://www.mongodb.com/docs/manual/reference/change-events/) into what to do on
// the destination. Activity-side.
//
// CRUD events become idempotent writes on the document's key (`documentKey` is the filter):
//   insert, replace -> replaceOne(key, fullDocument, {upsert: true})
//   delete          -> deleteOne(key)
//   update          -> updateOne(key, {$push: {<array>: {$each: [], $slice: n}}, $set, $unset})
// built from updateDescription: truncatedArrays first (as a separate update when a $set or
// $unset touches the same array, since one update may not touch a path twice), then
// updatedFields as $set and removedFields as $unset of dotted paths. No upsert: an update of a
// document the destination does not have yet is left to the copy or to later events.
//
// Why this converges: applied in stream order per key to the state the source had before the
// event, the update reproduces the source's new state exactly (a numeric path component means
// an array index or a field name according to the type the destination has, which is the
// type the source had). Applied again to its own result (the write in flight at a crash, or a
// duplicate), it changes nothing. Applied again to a later state (a replay of several events
// of the same document after a restart from an older checkpoint), every path it writes is
// either rewritten by a later event of the replay or already holds the value the event wrote,
// so the replay ends with the same fields and values; only field order can differ (a field
// removed and added again inside the replayed window ends up last). The applier checkpoints
// only after a whole batch is applied (src/activities/change-events.ts), so a restart replays
// at most the batch that was in flight. A replayed update
// can hit a type conflict (e.g. $set 'a.b' after a later event made `a` a number); the
// applier must then resync the document (below) and count the event as applied.
//
// Paths that a dotted $set/$unset cannot express (a field name containing '.', starting with
// '$', or empty; told apart by disambiguatedPaths, which requires showExpandedEvents before
// 8.2), and on 6.0, which sends no disambiguatedPaths, every path with a dot (its components
// cannot be told apart, see pathComponents) are handled without guessing: the write is a
// `resync`: read the current document from the source by key and upsert it (or delete the key
// when it is gone). A source read reflects a later state than the event, which converges like a
// replay. The reader must check that the collection it reads still has the event's
// collectionUUID (a rename may have moved it). The fullDocument of an update event is never
// used: it is not trusted to be the post-image.
//
// DDL events become a DdlOperation for the applier to execute (after relaxing options and
// indexes with index-relaxation.ts and checking renames against the namespace filter).
import type { AnyBulkWriteOperation, Document } from 'mongodb';

export interface EventNamespace {
  db: string;
  coll: string;
}

export type CrudWrite =
  /** replaceOne(documentKey, replacement, {upsert: true}) */
  | { kind: 'replace'; replacement: Document }
  /** updateOne(documentKey, update) without upsert */
  | { kind: 'update'; update: Document }
  /** deleteOne(documentKey) */
  | { kind: 'delete' }
  /** read the document from the source by documentKey; replace it upserting, or delete the key */
  | { kind: 'resync' };

export interface CrudTranslation {
  kind: 'crud';
  operationType: 'insert' | 'update' | 'replace' | 'delete';
  ns: EventNamespace;
  /** the event's documentKey, used as the write filter */
  documentKey: Document;
  /** writes to run in order; empty when the event changes nothing */
  writes: CrudWrite[];
}

export type DdlOperation =
  /** create a collection, or a view when options.viewOn is set; options as on the source */
  | { type: 'create'; ns: EventNamespace; options: Document }
  | { type: 'drop'; ns: EventNamespace }
  | { type: 'rename'; from: EventNamespace; to: EventNamespace; dropTarget: boolean }
  /** drop the database's user collections and views (system collections stay) */
  | { type: 'dropDatabase'; db: string }
  /** the source's index specs as created; relax them before building */
  | { type: 'createIndexes'; ns: EventNamespace; indexes: Document[] }
  | { type: 'dropIndexes'; ns: EventNamespace; names: string[] }
  /** the collMod body seen on the source (operationDescription); relax it before running */
  | { type: 'modify'; ns: EventNamespace; operationDescription: Document };

export interface DdlTranslation {
  kind: 'ddl';
  operation: DdlOperation;
}

/** Events that need no destination change (e.g. Atlas Search index events). */
export interface IgnoredEvent {
  kind: 'ignore';
  operationType: string;
  reason: string;
}

/** Events the engine cannot replicate; the sync must stop with UnsupportedOperation. */
export interface UnsupportedEvent {
  kind: 'unsupported';
  operationType: string;
  reason: string;
}

export type EventTranslation = CrudTranslation | DdlTranslation | IgnoredEvent | UnsupportedEvent;

/** A change event as received from the driver (any operationType, extra fields tolerated). */
export type ChangeEvent = Document;

const IGNORED_OPERATION_TYPES: Record<string, string> = {
  createSearchIndexes: 'Atlas Search indexes are not synced',
  updateSearchIndex: 'Atlas Search indexes are not synced',
  dropSearchIndex: 'Atlas Search indexes are not synced',
};

const SHARDING_OPERATION_TYPES = new Set(['shardCollection', 'reshardCollection', 'refineCollectionShardKey']);

function isDocument(value: unknown): value is Document {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readNamespace(value: unknown): EventNamespace | null {
  if (!isDocument(value) || typeof value.db !== 'string' || typeof value.coll !== 'string') return null;
  return { db: value.db, coll: value.coll };
}

function unsupported(operationType: string, reason: string): UnsupportedEvent {
  return { kind: 'unsupported', operationType, reason };
}

/**
 * Splits an update path into components (numbers are array indexes, strings field names), or
 * returns null when the path is ambiguous and the server did not resolve it.
 *
 * With `disambiguatedPaths` (6.1+ with showExpandedEvents, every version from 8.2; `{}` when
 * nothing is ambiguous) the server lists every path that holds a field name with a dot or a
 * numeric field name below the top level, as its components. A path it does not list splits on
 * its dots, and its numeric components are array indexes.
 * Without it (6.0) a path with a dot cannot be split: "stats.example.com" may be the top-level
 * field "stats.example.com", field "com" of "stats.example", and so on, and "a.0" may be an
 * array element or a field named "0". Only a path without a dot is certain.
 */
export function pathComponents(path: string, disambiguatedPaths: Document | undefined): (string | number)[] | null {
  if (disambiguatedPaths === undefined) return path.includes('.') ? null : [path];
  const resolved = disambiguatedPaths[path];
  if (resolved === undefined) return path.split('.');
  if (Array.isArray(resolved) && resolved.every((c) => typeof c === 'string' || typeof c === 'number')) {
    return resolved as (string | number)[];
  }
  return null;
}

/** The dotted path for $set/$unset, or null when a component cannot be written in one. */
export function dottedPath(components: readonly (string | number)[] | null): string | null {
  if (components === null || components.length === 0) return null;
  const parts: string[] = [];
  for (const component of components) {
    if (typeof component === 'number') {
      if (!Number.isInteger(component) || component < 0) return null;
      parts.push(String(component));
      continue;
    }
    if (component === '' || component.includes('.') || component.startsWith('$')) return null;
    parts.push(component);
  }
  return parts.join('.');
}

/**
 * dottedPath(pathComponents(path, disambiguatedPaths)), without splitting and joining a path
 * that is one plain field name the server did not list (most paths): that is the name itself.
 */
function updatePath(path: string, disambiguatedPaths: Document | undefined): string | null {
  if (path !== '' && !path.includes('.') && !path.startsWith('$') && (disambiguatedPaths === undefined || disambiguatedPaths[path] === undefined)) {
    return path;
  }
  return dottedPath(pathComponents(path, disambiguatedPaths));
}

function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

function anyOverlap(paths: readonly string[], others: readonly string[]): boolean {
  return paths.some((p) => others.some((o) => pathsOverlap(p, o)));
}

function hasInternalOverlap(paths: readonly string[]): boolean {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) if (pathsOverlap(paths[i], paths[j])) return true;
  }
  return false;
}

/**
 * The operator updates for an updateDescription, in order, or null when a path cannot be
 * expressed as a dotted path (the caller then replaces or resyncs the document).
 */
export function updatesFromDescription(description: Document): Document[] | null {
  const disambiguated = isDocument(description.disambiguatedPaths) ? description.disambiguatedPaths : undefined;
  const updatedFields = isDocument(description.updatedFields) ? description.updatedFields : {};
  const removedFields = Array.isArray(description.removedFields) ? (description.removedFields as unknown[]) : [];
  const truncatedArrays = Array.isArray(description.truncatedArrays) ? (description.truncatedArrays as unknown[]) : [];

  const set: Document = {};
  const unset: Document = {};
  const push: Document = {};
  for (const [path, value] of Object.entries(updatedFields)) {
    const dotted = updatePath(path, disambiguated);
    if (dotted === null) return null;
    set[dotted] = value;
  }
  for (const path of removedFields) {
    if (typeof path !== 'string') return null;
    const dotted = updatePath(path, disambiguated);
    if (dotted === null) return null;
    unset[dotted] = '';
  }
  for (const truncation of truncatedArrays) {
    if (!isDocument(truncation) || typeof truncation.field !== 'string') return null;
    const newSize = Number(truncation.newSize);
    if (!Number.isInteger(newSize) || newSize < 0) return null;
    const dotted = dottedPath(pathComponents(truncation.field, disambiguated));
    if (dotted === null) return null;
    push[dotted] = { $each: [], $slice: newSize };
  }

  const fieldPaths = [...Object.keys(set), ...Object.keys(unset)];
  const arrayPaths = Object.keys(push);
  if (hasInternalOverlap(fieldPaths) || hasInternalOverlap(arrayPaths)) return null;

  const fieldUpdate: Document = {};
  if (Object.keys(set).length > 0) fieldUpdate.$set = set;
  if (Object.keys(unset).length > 0) fieldUpdate.$unset = unset;
  if (arrayPaths.length === 0) return fieldPaths.length === 0 ? [] : [fieldUpdate];
  if (fieldPaths.length === 0) return [{ $push: push }];
  if (anyOverlap(fieldPaths, arrayPaths)) return [{ $push: push }, fieldUpdate];
  return [{ $push: push, ...fieldUpdate }];
}

function translateUpdate(event: ChangeEvent): CrudWrite[] {
  const description = isDocument(event.updateDescription) ? event.updateDescription : null;
  const updates = description && updatesFromDescription(description);
  if (updates) return updates.map((update) => ({ kind: 'update', update }));
  return [{ kind: 'resync' }];
}

function translateCrud(event: ChangeEvent, operationType: CrudTranslation['operationType']): EventTranslation {
  const ns = readNamespace(event.ns);
  const documentKey = isDocument(event.documentKey) ? event.documentKey : null;
  if (!ns || !documentKey || !('_id' in documentKey)) {
    return unsupported(operationType, 'the event lacks ns or documentKey._id');
  }
  let writes: CrudWrite[];
  switch (operationType) {
    case 'insert':
    case 'replace':
      writes = isDocument(event.fullDocument) ? [{ kind: 'replace', replacement: event.fullDocument }] : [{ kind: 'resync' }];
      break;
    case 'delete':
      writes = [{ kind: 'delete' }];
      break;
    case 'update':
      writes = translateUpdate(event);
      break;
  }
  return { kind: 'crud', operationType, ns, documentKey, writes };
}

function ddl(operation: DdlOperation): DdlTranslation {
  return { kind: 'ddl', operation };
}

function translateCreate(event: ChangeEvent, ns: EventNamespace): EventTranslation {
  const description = event.operationDescription;
  if (!isDocument(description)) return unsupported('create', 'create events need showExpandedEvents (operationDescription is missing)');
  const { nsType, ...options } = description;
  const kind = event.nsType ?? nsType;
  if (kind === 'timeseries' || options.timeseries !== undefined) {
    return unsupported('create', `time-series collection '${ns.db}.${ns.coll}' is not supported`);
  }
  return ddl({ type: 'create', ns, options });
}

function translateDdl(event: ChangeEvent, operationType: string): EventTranslation {
  if (operationType === 'dropDatabase') {
    const db = isDocument(event.ns) ? event.ns.db : undefined;
    return typeof db === 'string' ? ddl({ type: 'dropDatabase', db }) : unsupported(operationType, 'the event lacks ns.db');
  }
  const ns = readNamespace(event.ns);
  if (!ns) return unsupported(operationType, 'the event lacks ns');
  const description = isDocument(event.operationDescription) ? event.operationDescription : null;
  switch (operationType) {
    case 'create':
      return translateCreate(event, ns);
    case 'drop':
      return ddl({ type: 'drop', ns });
    case 'rename': {
      const to = readNamespace(event.to) ?? readNamespace(description?.to);
      if (!to) return unsupported(operationType, 'the rename event lacks `to`');
      return ddl({ type: 'rename', from: ns, to, dropTarget: description?.dropTarget !== undefined });
    }
    case 'createIndexes': {
      const indexes = description?.indexes;
      if (!Array.isArray(indexes) || !indexes.every(isDocument)) {
        return unsupported(operationType, 'createIndexes events need showExpandedEvents (operationDescription.indexes is missing)');
      }
      return ddl({ type: 'createIndexes', ns, indexes: indexes as Document[] });
    }
    case 'dropIndexes': {
      const indexes = description?.indexes;
      if (!Array.isArray(indexes) || !indexes.every((i) => isDocument(i) && typeof i.name === 'string')) {
        return unsupported(operationType, 'dropIndexes events need showExpandedEvents (operationDescription.indexes is missing)');
      }
      return ddl({ type: 'dropIndexes', ns, names: (indexes as Document[]).map((i) => i.name as string) });
    }
    case 'modify': {
      if (!description) return unsupported(operationType, 'modify events need operationDescription');
      const { stateBeforeChange: _before, ...body } = description;
      return ddl({ type: 'modify', ns, operationDescription: body });
    }
    default:
      return unsupported(operationType, `unknown change event type '${operationType}'`);
  }
}

/** Translates one change event. Never throws; malformed events come back as unsupported. */
export function translateChangeEvent(event: ChangeEvent): EventTranslation {
  const operationType = typeof event.operationType === 'string' ? event.operationType : '';
  switch (operationType) {
    case 'insert':
    case 'update':
    case 'replace':
    case 'delete':
      return translateCrud(event, operationType);
    case 'invalidate':
      return unsupported(operationType, 'the change stream was invalidated');
    default:
      break;
  }
  if (operationType in IGNORED_OPERATION_TYPES) {
    return { kind: 'ignore', operationType, reason: IGNORED_OPERATION_TYPES[operationType] };
  }
  if (SHARDING_OPERATION_TYPES.has(operationType)) {
    return unsupported(operationType, `'${operationType}' is a sharded-cluster operation and is not supported`);
  }
  return translateDdl(event, operationType || '(missing)');
}

/** The driver bulk operation for a write, or null for `resync` (which needs a source read). */
export function toBulkWriteOperation(documentKey: Document, write: CrudWrite): AnyBulkWriteOperation<Document> | null {
  switch (write.kind) {
    case 'replace':
      return { replaceOne: { filter: documentKey, replacement: write.replacement, upsert: true } };
    case 'update':
      return { updateOne: { filter: documentKey, update: write.update, upsert: false } };
    case 'delete':
      return { deleteOne: { filter: documentKey } };
    case 'resync':
      return null;
  }
}

/** Completes a `resync`: the source's current document (or null when gone) as a bulk operation. */
export function resyncOperation(documentKey: Document, sourceDocument: Document | null): AnyBulkWriteOperation<Document> {
  return sourceDocument === null
    ? { deleteOne: { filter: documentKey } }
    : { replaceOne: { filter: documentKey, replacement: sourceDocument, upsert: true } };
}
