// count and distinct.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { assertValidNamespace } from '../catalog/names';
import { selectRecords, skipLimit } from '../query/execute';
import { compileFilter } from '../query/matcher';
import { toViewDoc } from '../bson/typed-view';
import { canonicalKey } from '../bson/keys';
import { compareValues } from '../bson/compare';
import { EMPTY_ARRAY_KEY, indexValues } from '../storage/index-keys';
import { commandError, ErrorCodes } from '../errors';
import { collectionName, optionalDocument, optionalNumber, requiredString } from './args';
import { namespaceDocuments } from './views';

/** Typed documents matching `query` in the namespace (collection, view or oplog). */
function matchingDocuments(state: EngineState, db: string, coll: string, query: Document | undefined, hint?: unknown): Document[] {
  const info = state.catalog.get(db, coll);
  if (!info) return [];
  if (info.kind === 'collection' && !info.virtualOplog) {
    return selectRecords(info, { filter: query, sort: [], hint }).map((r) => r.doc);
  }
  const docs = namespaceDocuments(state, db, coll);
  if (!query || Object.keys(query).length === 0) return docs;
  const test = compileFilter(query);
  return docs.filter((d) => test(toViewDoc(d)));
}

export function countCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const coll = collectionName(cmd, 'count');
  assertValidNamespace(ctx.db, coll);
  const query = optionalDocument(cmd, 'count', 'query');
  const skip = optionalNumber(cmd, 'count', 'skip');
  if (skip !== undefined && skip < 0) throw commandError(ErrorCodes.BadValue, `Skip value must be non-negative, but received: ${skip}`);
  const rawLimit = optionalNumber(cmd, 'count', 'limit');
  const limit = rawLimit === undefined ? undefined : Math.abs(rawLimit);
  const info = state.catalog.get(ctx.db, coll);
  if (info?.kind === 'collection' && !info.virtualOplog && (!query || Object.keys(query).length === 0) && !cmd.hint) {
    // fast count of the whole collection
    const total = info.store.count;
    const afterSkip = Math.max(total - (skip ?? 0), 0);
    return { n: limit ? Math.min(afterSkip, limit) : afterSkip };
  }
  const docs = matchingDocuments(state, ctx.db, coll, query, cmd.hint);
  return { n: skipLimit(docs, skip, limit).length };
}

export function distinctCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const coll = collectionName(cmd, 'distinct');
  assertValidNamespace(ctx.db, coll);
  const key = requiredString(cmd, 'distinct', 'key');
  const query = optionalDocument(cmd, 'distinct', 'query');
  const seen = new Map<string, unknown>();
  for (const doc of matchingDocuments(state, ctx.db, coll, query, cmd.hint)) {
    const { values } = indexValues(doc, key);
    for (const v of values) {
      if (v === EMPTY_ARRAY_KEY) continue;
      if (v === null && !hasPath(doc, key)) continue;
      const k = canonicalKey(v);
      if (!seen.has(k)) seen.set(k, v);
    }
  }
  return { values: [...seen.values()].sort(compareValues) };
}

function hasPath(doc: Document, path: string): boolean {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(cur)) return true;
    if (cur === null || typeof cur !== 'object' || !(part in (cur as Document))) return false;
    cur = (cur as Document)[part];
  }
  return true;
}
