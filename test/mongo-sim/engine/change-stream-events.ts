// Builds change events from oplog operations (invalidate events), the way the
// server's event transformer and invalidation check do: one event per relevant operation, followed
// by an `invalidate` when the operation ends the stream.
//
// Field order follows the server's transformer: `to` (rename) and `txnNumber`/`lsid` (transactions)
// are added before `_id`; then operationType, clusterTime, collectionUUID, wallTime, fullDocument,
// ns, documentKey, operationDescription, updateDescription, stateBeforeChange.
import type { Binary, Document } from 'bson';
import type { StreamOp } from './change-stream-unwind';
import { splitNamespace, watchesCollection, watchesDatabase, watchesNamespace } from './change-stream-namespace';
import { toNumber } from './bson/values';
import { updateDescriptionFromDiff } from './change-stream-update-description';
import { encodeTokenData, eventIdentifierHash, type EventToken } from './change-stream-token';
import { timestampValue } from './change-stream-timestamps';
import { streamError } from './change-stream-errors';
import { versionAtLeast, type ChangeStreamSpec } from './change-stream-spec';

export const CLASSIC_EVENT_TYPES = new Set(['insert', 'update', 'replace', 'delete', 'drop', 'rename', 'dropDatabase', 'invalidate']);

/** One event before the images and the user's stages are applied. */
export interface RawEvent {
  /** the event document; for update events that will get a post-image, `fullDocument` is a
   *  placeholder key (value undefined) that keeps the field's position */
  doc: Document;
  operationType: string;
  token: EventToken;
  /** the token's _data */
  tokenData: string;
  /** the operation it came from (images, lookups) */
  source: StreamOp;
  /** namespace of a CRUD event, for updateLookup */
  db?: string;
  coll?: string;
  /** the user's leading $match stages were tested on the event's fields already (and held) */
  matched?: true;
}

/**
 * The event fields known before its token and images are made: what `preview` (see eventsFromOp)
 * is given, holding the same values the event will.
 */
export const PREVIEW_FIELDS: ReadonlySet<string> = new Set(['to', 'operationType', 'clusterTime', 'ns', 'documentKey']);

interface Transformed {
  operationType: string;
  db: string;
  coll?: string;
  to?: { db: string; coll: string };
  fullDocument?: Document;
  documentKey?: Document;
  operationDescription?: Document;
  updateDescription?: Document;
  rawUpdateDescription?: Document;
  stateBeforeChange?: Document;
  /** view events carry no collectionUUID */
  isView?: boolean;
}

function without(doc: Document, ...fields: string[]): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) if (!fields.includes(key)) out[key] = doc[key];
  return out;
}

function nsDocument(ns: string): { db: string; coll: string } {
  return splitNamespace(ns);
}

export function uuidHex(ui: Binary): string {
  return Buffer.from(ui.buffer.subarray(0, ui.position)).toString('hex').toUpperCase();
}

function transformCrud(op: StreamOp, spec: ChangeStreamSpec): Transformed | undefined {
  const { db, coll } = splitNamespace(op.ns);
  if (!watchesCollection(spec, db, coll)) return undefined;
  switch (op.op) {
    case 'i':
      return { operationType: 'insert', db, coll, fullDocument: op.o, documentKey: op.o2 ?? { _id: op.o._id } };
    case 'd':
      return { operationType: 'delete', db, coll, documentKey: op.o };
    case 'u':
      return transformUpdate(op, spec, db, coll);
    default:
      return undefined;
  }
}

function transformUpdate(op: StreamOp, spec: ChangeStreamSpec, db: string, coll: string): Transformed {
  const documentKey = op.o2 ?? { _id: op.o._id };
  const version: unknown = op.o.$v;
  if (version === undefined && op.o._id !== undefined) {
    return { operationType: 'replace', db, coll, fullDocument: op.o, documentKey };
  }
  if (toNumber(version) !== 2) {
    throw streamError(6741200, `Unsupported or missing oplog version, $v: ${String(version)}`);
  }
  if (spec.showRawUpdateDescription) return { operationType: 'update', db, coll, documentKey, rawUpdateDescription: op.o };
  const description = updateDescriptionFromDiff(op.o.diff as Document);
  const updateDescription: Document = {
    updatedFields: description.updatedFields,
    removedFields: description.removedFields,
    truncatedArrays: description.truncatedArrays,
  };
  const showPaths = versionAtLeast(spec.version, 8, 2) || (spec.showExpandedEvents && versionAtLeast(spec.version, 6, 1));
  if (showPaths) updateDescription.disambiguatedPaths = description.disambiguatedPaths;
  return { operationType: 'update', db, coll, documentKey, updateDescription };
}

/** A view is recognised by its definition (`viewOn`) or, for a drop, by the missing collection UUID. */
function transformView(op: StreamOp, spec: ChangeStreamSpec, db: string, operationType: string, coll: string): Transformed | undefined {
  if (spec.level === 'collection' || !spec.showExpandedEvents || !watchesCollection(spec, db, coll)) return undefined;
  const event: Transformed = { operationType, db, coll, isView: true };
  if (operationType !== 'drop') event.operationDescription = without(op.o, 'create', 'collMod');
  return event;
}

function transformCommand(op: StreamOp, spec: ChangeStreamSpec): Transformed | undefined {
  const { db } = splitNamespace(op.ns);
  const o = op.o;
  if (o.drop !== undefined) {
    const coll = String(o.drop);
    if (op.ui === undefined) return transformView(op, spec, db, 'drop', coll);
    return watchesCollection(spec, db, coll) ? { operationType: 'drop', db, coll } : undefined;
  }
  if (o.renameCollection !== undefined) {
    const from = String(o.renameCollection);
    const to = String(o.to);
    // a collection is reported when it is the source or the target of the rename
    if (!watchesNamespace(spec, from) && !watchesNamespace(spec, to)) return undefined;
    const operationDescription: Document = {};
    for (const [key, value] of Object.entries(without(o, 'renameCollection', 'stayTemp'))) {
      operationDescription[key] = key === 'to' ? nsDocument(to) : value;
    }
    return { ...splitNamespace(from), operationType: 'rename', to: nsDocument(to), operationDescription };
  }
  if (o.dropDatabase !== undefined) {
    return spec.level !== 'collection' && watchesDatabase(spec, db) ? { operationType: 'dropDatabase', db } : undefined;
  }
  if (o.create !== undefined) {
    const coll = String(o.create);
    if (o.viewOn !== undefined) return transformView(op, spec, db, 'create', coll);
    if (!watchesCollection(spec, db, coll)) return undefined;
    const event: Transformed = { operationType: 'create', db, coll, operationDescription: without(o, 'create') };
    return event;
  }
  if (o.createIndexes !== undefined) {
    const coll = String(o.createIndexes);
    if (!watchesCollection(spec, db, coll)) return undefined;
    return { operationType: 'createIndexes', db, coll, operationDescription: { indexes: [without(o, 'createIndexes')] } };
  }
  if (o.commitIndexBuild !== undefined) {
    const coll = String(o.commitIndexBuild);
    if (!watchesCollection(spec, db, coll)) return undefined;
    return { operationType: 'createIndexes', db, coll, operationDescription: { indexes: o.indexes } };
  }
  if (o.dropIndexes !== undefined) {
    const coll = String(o.dropIndexes);
    if (!watchesCollection(spec, db, coll)) return undefined;
    return { operationType: 'dropIndexes', db, coll, operationDescription: { indexes: [without(op.o2 ?? {}, 'dropIndexes')] } };
  }
  if (o.collMod !== undefined) {
    const coll = String(o.collMod);
    if (o.viewOn !== undefined || op.ui === undefined) return transformView(op, spec, db, 'modify', coll);
    if (!watchesCollection(spec, db, coll)) return undefined;
    const before = op.o2 ?? {};
    const stateBeforeChange: Document = {};
    if (before.collectionOptions_old !== undefined) stateBeforeChange.collectionOptions = before.collectionOptions_old;
    if (before.indexOptions_old !== undefined) stateBeforeChange.indexOptions = before.indexOptions_old;
    return { operationType: 'modify', db, coll, operationDescription: without(o, 'collMod'), stateBeforeChange };
  }
  return undefined;
}

function transform(op: StreamOp, spec: ChangeStreamSpec): Transformed | undefined {
  if (op.op === 'c') return op.ns.endsWith('.$cmd') ? transformCommand(op, spec) : undefined;
  if (op.op === 'n') return undefined;
  return transformCrud(op, spec);
}

function eventIdentifier(t: Transformed): Document {
  if (t.documentKey !== undefined) return { operationType: t.operationType, documentKey: t.documentKey };
  if (t.operationDescription !== undefined) return { operationType: t.operationType, operationDescription: t.operationDescription };
  return { operationType: t.operationType };
}

function nsOf(t: Transformed): Document {
  return t.coll === undefined ? { db: t.db } : { db: t.db, coll: t.coll };
}

/** The PREVIEW_FIELDS of the event `t` becomes (those it has). */
function previewOf(t: Transformed, op: StreamOp): Document {
  const doc: Document = { operationType: t.operationType, clusterTime: op.ts, ns: nsOf(t) };
  if (t.to) doc.to = t.to;
  if (t.documentKey !== undefined) doc.documentKey = t.documentKey;
  return doc;
}

function assemble(t: Transformed, op: StreamOp, token: EventToken, spec: ChangeStreamSpec): Document {
  const doc: Document = {};
  if (t.to) doc.to = t.to;
  if (op.unwound) {
    if (op.txnNumber !== undefined) doc.txnNumber = op.txnNumber;
    if (op.lsid !== undefined) doc.lsid = op.lsid;
  }
  doc._id = { _data: encodeTokenData(token) };
  doc.operationType = t.operationType;
  doc.clusterTime = op.ts;
  if (spec.showExpandedEvents && op.ui !== undefined && !t.isView) doc.collectionUUID = op.ui;
  doc.wallTime = op.wall;
  if (t.fullDocument !== undefined) doc.fullDocument = t.fullDocument;
  else if (t.operationType === 'update' && spec.fullDocument !== 'default') doc.fullDocument = undefined;
  doc.ns = nsOf(t);
  if (t.documentKey !== undefined) doc.documentKey = t.documentKey;
  if (spec.showExpandedEvents && t.operationDescription !== undefined) doc.operationDescription = t.operationDescription;
  if (t.updateDescription !== undefined) doc.updateDescription = t.updateDescription;
  if (t.rawUpdateDescription !== undefined) doc.rawUpdateDescription = t.rawUpdateDescription;
  if (t.stateBeforeChange !== undefined) doc.stateBeforeChange = t.stateBeforeChange;
  if (t.operationType === 'create' && spec.showExpandedEvents && versionAtLeast(spec.version, 8, 1)) {
    doc.nsType = t.isView ? 'view' : 'collection';
  }
  return doc;
}

function invalidates(spec: ChangeStreamSpec, operationType: string): boolean {
  if (spec.level === 'collection') return operationType === 'drop' || operationType === 'rename' || operationType === 'dropDatabase';
  if (spec.level === 'database') return operationType === 'dropDatabase';
  return false;
}

function invalidateEvent(cause: RawEvent): RawEvent {
  const token: EventToken = { ...cause.token, fromInvalidate: true };
  const tokenData = encodeTokenData(token);
  const doc: Document = {
    _id: { _data: tokenData },
    operationType: 'invalidate',
    clusterTime: cause.doc.clusterTime,
    wallTime: cause.doc.wallTime,
  };
  return { doc, operationType: 'invalidate', token, tokenData, source: cause.source };
}

/**
 * The events `op` produces for a stream with `spec`: none, one, or an invalidating event followed
 * by `invalidate`. Expanded events are produced even without showExpandedEvents (the caller filters
 * them after the resume check, as the server does).
 *
 * `preview`, when given, is the user's leading $match stages over PREVIEW_FIELDS: an event it
 * rejects is not made at all (like mongod's rewrite of such predicates into its oplog filter),
 * one it accepts is marked `matched`. The caller gives it only when nothing it skips could be
 * observed: no resume token is being looked for, and the event would not invalidate the stream.
 */
export function eventsFromOp(op: StreamOp, spec: ChangeStreamSpec, preview?: (fields: Document) => boolean): RawEvent[] {
  const t = transform(op, spec);
  if (!t) return [];
  let matched = false;
  if (preview && !invalidates(spec, t.operationType)) {
    if (!preview(previewOf(t, op))) return [];
    matched = true;
  }
  const token: EventToken = {
    tokenType: 'event',
    clusterTime: timestampValue(op.ts),
    txnOpIndex: op.txnOpIndex,
    fromInvalidate: false,
    eventId: eventIdentifierHash(eventIdentifier(t)),
  };
  if (op.ui !== undefined) token.uuid = uuidHex(op.ui);
  const event: RawEvent = {
    doc: assemble(t, op, token, spec),
    operationType: t.operationType,
    token,
    tokenData: encodeTokenData(token),
    source: op,
  };
  if (t.documentKey !== undefined) {
    event.db = t.db;
    event.coll = t.coll;
  }
  if (matched) event.matched = true;
  return invalidates(spec, t.operationType) ? [event, invalidateEvent(event)] : [event];
}
