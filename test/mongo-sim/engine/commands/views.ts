// Reading through views: a view's documents are its pipeline run over its source namespace.
import type { Document } from 'bson';
import type { EngineState } from '../state';
import type { ViewInfo } from '../catalog/catalog';
import { runPipeline, type CollectionSource } from '../query/pipeline';
import { compileProjection } from '../query/projection';
import { skipLimit } from '../query/execute';
import { compileFilter } from '../query/matcher';
import { collationFor } from '../bson/collation';
import { parseSort, sortBy } from '../query/sort';
import { toQueryView } from '../bson/typed-view';
import { isPlainDocument, toNumber } from '../bson/values';
import { publicOplogEntry } from '../oplog';
import { commandError, ErrorCodes } from '../errors';
import type { ParsedFind } from './find';

const MAX_VIEW_DEPTH = 20;

/** The documents of `<db>.system.views`: one view definition per view. */
export function viewCatalogDocuments(state: EngineState, db: string): Document[] {
  return state.catalog
    .namespaces(db)
    .filter((n): n is ViewInfo => n.kind === 'view')
    .map((v) => ({ _id: `${db}.${v.name}`, ...v.options }));
}

/** Typed documents of any namespace of `db` (collection, view, local.oplog.rs), natural order. */
export function namespaceDocuments(state: EngineState, db: string, name: string, depth = 0): Document[] {
  const info = state.catalog.get(db, name);
  if (!info) return name === 'system.views' ? viewCatalogDocuments(state, db) : [];
  if (info.kind === 'collection') {
    if (info.virtualOplog) return state.oplog.all().map(publicOplogEntry);
    return Array.from(info.store.natural(), (r) => r.doc);
  }
  if (depth > MAX_VIEW_DEPTH) {
    throw commandError(ErrorCodes.ViewDepthLimitExceeded, `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`);
  }
  return viewDocuments(state, info, depth);
}

export function sourceResolver(state: EngineState, db: string): CollectionSource {
  return (name) => namespaceDocuments(state, db, name);
}

export function viewDocuments(state: EngineState, view: ViewInfo, depth = 0): Document[] {
  const base = namespaceDocuments(state, view.db, view.options.viewOn as string, depth + 1);
  return runPipeline(base, (view.options.pipeline as Document[]) ?? [], sourceResolver(state, view.db), undefined, view.options.collation as Document | undefined);
}

/** find on a view: the view's documents, then filter, sort, skip, limit and projection. */
export function findOnView(state: EngineState, view: ViewInfo, p: ParsedFind): Document[] {
  return findOnDocuments(viewDocuments(state, view), p, view.options.collation as Document | undefined);
}

/** find semantics over documents computed up front (natural order = array order). */
export function findOnDocuments(source: Document[], p: ParsedFind, defaultCollation?: Document): Document[] {
  let docs = source;
  const spec = p.collation ?? defaultCollation;
  const collation = spec?.locale === 'simple' ? undefined : spec;
  if (p.filter && Object.keys(p.filter).length > 0) {
    const test = compileFilter(p.filter, { collation, variables: p.variables });
    docs = docs.filter((d) => test(toQueryView(d)));
  }
  const sort = parseSort(p.sort);
  const hintNatural = isPlainDocument(p.hint) ? toNumber(p.hint.$natural) : undefined;
  if (sort.length === 1 && sort[0].path === '$natural') {
    if (sort[0].direction === -1) docs = docs.slice().reverse();
  } else if (sort.length > 0) {
    docs = sortBy(docs, (d) => d, sort, collationFor(collation)?.compare);
  } else if (hintNatural !== undefined && hintNatural < 0) {
    docs = docs.slice().reverse();
  }
  docs = skipLimit(docs, p.skip, p.limit);
  const project = compileProjection(p.projection, p.filter);
  return project ? docs.map(project) : docs;
}
