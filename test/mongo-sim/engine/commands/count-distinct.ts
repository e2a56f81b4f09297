// count and distinct.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { assertValidNamespace } from '../catalog/names';
import { selectRecords, skipLimit } from '../query/execute';
import { compileFilter } from '../query/matcher';
import { toQueryView } from '../bson/typed-view';
import { canonicalKey } from '../bson/keys';
import { compareValues } from '../bson/compare';
import { collationFor, validateCollation } from '../bson/collation';
import { EMPTY_ARRAY_KEY, indexValues } from '../storage/index-keys';
import { commandError, ErrorCodes } from '../errors';
import { collectionName, optionalDocument, optionalNumber, requiredString } from './args';
import { namespaceDocuments } from './views';

/** Typed documents matching `query` in the namespace (collection, view or oplog). */
function matchingDocuments(
  state: EngineState,
  db: string,
  coll: string,
  query: Document | undefined,
  hint: unknown,
  collation: Document | undefined,
): Document[] {
  const info = state.catalog.get(db, coll);
  if (!info) return [];
  if (info.kind === 'collection' && !info.virtualOplog) {
    return selectRecords(info, { filter: query, sort: [], hint, collation }).map((r) => r.doc);
  }
  const docs = namespaceDocuments(state, db, coll);
  if (!query || Object.keys(query).length === 0) return docs;
  const test = compileFilter(query, { collation: collation ?? viewCollation(state, db, coll) });
  return docs.filter((d) => test(toQueryView(d)));
}

export function countCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const coll = collectionName(cmd, 'count');
  assertValidNamespace(ctx.db, coll);
  const query = optionalDocument(cmd, 'count', 'query');
  const skip = optionalNumber(cmd, 'count', 'skip');
  if (skip !== undefined && skip < 0) throw commandError(ErrorCodes.BadValue, `Skip value must be non-negative, but received: ${skip}`);
  const rawLimit = optionalNumber(cmd, 'count', 'limit');
  const limit = rawLimit === undefined ? undefined : Math.abs(rawLimit);
  const collation = validateCollation(optionalDocument(cmd, 'count', 'collation'));
  const info = state.catalog.get(ctx.db, coll);
  if (info?.kind === 'collection' && !info.virtualOplog && (!query || Object.keys(query).length === 0) && !cmd.hint) {
    // fast count of the whole collection
    const total = info.store.count;
    const afterSkip = Math.max(total - (skip ?? 0), 0);
    return { n: limit ? Math.min(afterSkip, limit) : afterSkip };
  }
  const docs = matchingDocuments(state, ctx.db, coll, query, cmd.hint, collation);
  return { n: skipLimit(docs, skip, limit).length };
}

export function distinctCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const coll = collectionName(cmd, 'distinct');
  assertValidNamespace(ctx.db, coll);
  const key = requiredString(cmd, 'distinct', 'key');
  const query = optionalDocument(cmd, 'distinct', 'query');
  const requested = validateCollation(optionalDocument(cmd, 'distinct', 'collation'));
  const info = state.catalog.get(ctx.db, coll);
  const spec = requested ?? (info?.kind === 'collection' ? info.options.collation : info?.options.collation) as Document | undefined;
  const collation = collationFor(spec);
  const seen = new Map<string, unknown>();
  for (const doc of matchingDocuments(state, ctx.db, coll, query, cmd.hint, requested)) {
    const { values } = indexValues(doc, key);
    for (const v of values) {
      if (v === EMPTY_ARRAY_KEY) continue;
      if (v === null && !hasPath(doc, key)) continue;
      const k = canonicalKey(v, collation);
      if (!seen.has(k)) seen.set(k, v);
    }
  }
  return { values: [...seen.values()].sort((a, b) => compareValues(a, b, collation?.compare)) };
}

function viewCollation(state: EngineState, db: string, coll: string): Document | undefined {
  const info = state.catalog.get(db, coll);
  return info?.kind === 'view' ? (info.options.collation as Document | undefined) : undefined;
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
