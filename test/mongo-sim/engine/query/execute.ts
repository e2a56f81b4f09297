// Runs a find-style query over one collection: candidate selection (the _id fast paths or a
// collection scan), filtering, sorting, skip/limit and index bounds (hint + min/max).
import type { Document } from 'bson';
import type { CollectionInfo } from '../catalog/catalog';
import { isClustered } from '../catalog/catalog';
import { recordView } from '../storage/collection-store';
import type { DocRecord, IdBound } from '../storage/id-index';
import { canonicalType, compareValues } from '../bson/compare';
import { isPlainDocument, toNumber } from '../bson/values';
import { commandError, ErrorCodes } from '../errors';
import { compileFilter, type ViewPredicate } from './matcher';
import { collationFor, sameCollation } from '../bson/collation';
import { filterIsOnlyId, planIdPredicate, type IdPlan } from './id-plan';
import { sortBy, type SortField } from './sort';
import { indexValues, EMPTY_ARRAY_KEY } from '../storage/index-keys';

export interface FindOptions {
  filter?: Document;
  sort: SortField[];
  skip?: number;
  /** maximum number of documents (positive) */
  limit?: number;
  hint?: unknown;
  min?: Document;
  max?: Document;
  /** the operation's collation (the collection default applies without one) */
  collation?: Document;
  /** the command's `let` variables */
  variables?: Document;
}

/** The collation spec an operation on this collection runs under (undefined: simple). */
export function effectiveCollationSpec(info: CollectionInfo, requested: Document | undefined): Document | undefined {
  const spec = requested ?? (info.options.collation as Document | undefined);
  return spec === undefined || spec.locale === 'simple' ? undefined : spec;
}

/** The key pattern of the index a hint names, or {$natural: ±1}; throws 2 for unknown hints. */
export function resolveHint(info: CollectionInfo, hint: unknown): Document | undefined {
  if (hint === undefined || hint === null) return undefined;
  if (typeof hint === 'string') {
    if (hint === '_id_' && !isClustered(info)) return { _id: 1 };
    const ix = info.store.indexes.find((i) => i.name === hint && !i.hidden);
    if (ix) return ix.keyPattern;
  } else if (isPlainDocument(hint)) {
    const keys = Object.keys(hint);
    if (keys.length === 0) return undefined;
    if (keys.length === 1 && keys[0] === '$natural') return hint;
    if (keys.length === 1 && keys[0] === '_id' && toNumber(hint._id) === 1) return { _id: 1 };
    const ix = info.store.indexes.find((i) => !i.hidden && sameKeyPattern(i.keyPattern, hint));
    if (ix) return ix.keyPattern;
  }
  throw commandError(ErrorCodes.BadValue, 'hint provided does not correspond to an existing index');
}

function sameKeyPattern(a: Document, b: Document): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k, i) => k === kb[i] && compareValues(a[k], b[k]) === 0);
}

function candidatesFromPlan(info: CollectionInfo, plan: IdPlan): DocRecord[] {
  const store = info.store;
  if (plan.kind === 'eq') {
    const seen = new Set<string>();
    const out: DocRecord[] = [];
    for (const v of plan.values) {
      const key = store.keyOf(v);
      if (seen.has(key)) continue;
      seen.add(key);
      const rec = store.records.get(key);
      if (rec) out.push(rec);
    }
    // $in results come back in _id order, as from an index scan
    return out.length > 1 ? out.sort((a, b) => compareValues(a.id, b.id)) : out;
  }
  const inRange = store.idIndex.range(plan.lower, plan.upper);
  if (plan.brackets.length === 0) return inRange;
  return inRange.filter((r) => plan.brackets.every((b) => canonicalType(r.id) === b));
}

function keyTuple(doc: Document, pattern: Document): unknown[] {
  return Object.keys(pattern).map((path) => {
    const { values } = indexValues(doc, path);
    const v = values[0];
    return v === EMPTY_ARRAY_KEY ? undefined : v;
  });
}

function compareTuples(a: unknown[], b: unknown[], pattern: Document): number {
  const dirs = Object.values(pattern).map((d) => ((toNumber(d) ?? 1) < 0 ? -1 : 1));
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c * dirs[i];
  }
  return 0;
}

function applyMinMax(records: DocRecord[], pattern: Document | undefined, min?: Document, max?: Document): DocRecord[] {
  if (!min && !max) return records;
  if (!pattern || '$natural' in pattern) {
    throw commandError(51173, 'When using min()/max() a hint of which index to use must be provided');
  }
  const minT = min ? Object.values(min) : undefined;
  const maxT = max ? Object.values(max) : undefined;
  return records.filter((r) => {
    const t = keyTuple(r.doc, pattern);
    if (minT && compareTuples(t, minT, pattern) < 0) return false;
    if (maxT && compareTuples(t, maxT, pattern) >= 0) return false;
    return true;
  });
}

/** min/max bounds that name only `_id`, as bounds of the `_id` index: min inclusive, max exclusive (as applyMinMax). */
function idIndexBounds(min: Document | undefined, max: Document | undefined): { lower?: IdBound; upper?: IdBound } | undefined {
  if (!min && !max) return undefined;
  const onlyId = (bound: Document | undefined) => bound === undefined || (Object.keys(bound).length === 1 && '_id' in bound);
  if (!onlyId(min) || !onlyId(max)) return undefined;
  return {
    ...(min ? { lower: { value: min._id, inclusive: true } } : {}),
    ...(max ? { upper: { value: max._id, inclusive: false } } : {}),
  };
}

export interface RecordPlan {
  /** matching records in result order (before skip/limit) */
  records: DocRecord[];
  /** true when the order came from an in-memory sort (results are then a snapshot) */
  blockingSort: boolean;
  /** the filter, when it constrains more than the (immutable) _id */
  test?: ViewPredicate;
}

/** Candidate selection, filtering and ordering of a find-style query. */
export function planRecords(info: CollectionInfo, opts: FindOptions): RecordPlan {
  const store = info.store;
  const filter = opts.filter ?? {};
  const hintPattern = resolveHint(info, opts.hint);
  const natural = hintPattern && '$natural' in hintPattern ? (toNumber(hintPattern.$natural) ?? 1) : undefined;
  const collationSpec = effectiveCollationSpec(info, opts.collation);
  const collation = collationFor(collationSpec);
  const filterOptions = { collation: collationSpec, variables: opts.variables };
  // the _id index only answers queries that run under the collection's own collation
  const idIndexUsable = sameCollation(collationSpec, info.options.collation as Document | undefined);
  let plan = natural === undefined && idIndexUsable ? planIdPredicate(filter) : undefined;
  // the ordered _id index is in binary order: ranges over it hold only for the simple collation
  if (plan?.kind === 'range' && collation !== undefined) plan = undefined;
  let records: DocRecord[];
  let idOrdered = false;
  let test: ViewPredicate | undefined;
  let seekBounds: { lower?: IdBound; upper?: IdBound } | undefined;
  if (plan) {
    records = candidatesFromPlan(info, plan);
    idOrdered = collation === undefined;
    if (!filterIsOnlyId(filter)) {
      const t = (test = compileFilter(filter, filterOptions));
      records = records.filter((r) => t(recordView(r)));
    }
  } else {
    const sortsById = opts.sort.length === 1 && opts.sort[0].path === '_id';
    const idHinted = hintPattern !== undefined && sameKeyPattern(hintPattern, { _id: 1 });
    const idOrder = isClustered(info) || sortsById || idHinted;
    // min/max on the hinted _id index: a seek of its bounds, as mongod's index scan, not a scan of
    // every record (a range of a large collection read in parallel ranges would cost each range
    // the whole collection)
    seekBounds = idHinted ? idIndexBounds(opts.min, opts.max) : undefined;
    const source = seekBounds ? store.idIndex.range(seekBounds.lower, seekBounds.upper) : idOrder ? store.idIndex.ordered() : [...store.natural()];
    idOrdered = idOrder && natural !== -1 && collation === undefined;
    if (Object.keys(filter).length === 0) records = idOrder && !seekBounds ? source.slice() : source;
    else {
      const t = (test = compileFilter(filter, filterOptions));
      records = source.filter((r) => t(recordView(r)));
    }
  }
  if (natural === -1) records.reverse();
  if (!seekBounds) records = applyMinMax(records, hintPattern, opts.min, opts.max);
  const sort = opts.sort;
  let blockingSort = false;
  if (sort.length === 1 && sort[0].path === '_id' && idOrdered) {
    if (sort[0].direction === -1) records.reverse();
  } else if (sort.length === 1 && sort[0].path === '$natural') {
    if (sort[0].direction === -1) records.reverse();
  } else if (sort.length > 0) {
    records = sortBy(records, (r) => r.doc, sort, collation?.compare);
    blockingSort = true;
  }
  return { records, blockingSort, test };
}

/** The matching records in result order (before skip/limit). */
export function selectRecords(info: CollectionInfo, opts: FindOptions): DocRecord[] {
  return planRecords(info, opts).records;
}

/** Applies skip and limit to an ordered result. */
export function skipLimit<T>(items: T[], skip: number | undefined, limit: number | undefined): T[] {
  const start = skip && skip > 0 ? skip : 0;
  if (start === 0 && (limit === undefined || limit <= 0 || limit >= items.length)) return items;
  return items.slice(start, limit !== undefined && limit > 0 ? start + limit : undefined);
}
