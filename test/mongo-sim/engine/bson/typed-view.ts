// Stored documents keep their exact BSON types; mingo only understands JS numbers. `toView` makes a
// "query view" (numeric wrappers become JS numbers, BSON regexes become RegExp); `retype` maps a
// view produced by mingo (an updated document, a projection) back to typed values, reusing typed
// values from the old document and from the request wherever they are still what the view holds.
import { BSONRegExp, type Document, type Long } from 'bson';
import { bsonTypeName, defaultNumberType, isPlainDocument, toNumber } from './values';
import { bsonEquals } from './compare';
import { compareExact, exactFromDouble, exactNumber } from './exact-number';

/**
 * Is this an int64 or decimal128 that no JS number holds exactly (an int64 beyond ±2^53, a
 * decimal with more precision or range than a double)? Aggregation views keep such values as
 * their typed objects, so that grouping, comparison and pass-through stay exact.
 */
export function isWideNumber(v: unknown): boolean {
  const tag = (v as { _bsontype?: string } | null)?._bsontype;
  if (tag === 'Long') {
    const n = (v as Long).toBigInt();
    return n > MAX_SAFE || n < -MAX_SAFE;
  }
  if (tag === 'Decimal128') {
    const exact = exactNumber(v);
    if (exact.kind !== 'finite') return false;
    return compareExact(exact, exactFromDouble(toNumber(v) as number)) !== 0;
  }
  return false;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function regexToJs(r: BSONRegExp): RegExp {
  // JS knows i, m, s, u; the server's x (extended) and l (locale) have no JS equivalent
  const flags = [...new Set(r.options.split(''))].filter((f) => 'imsu'.includes(f)).join('');
  try {
    return new RegExp(r.pattern, flags);
  } catch {
    return new RegExp(r.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags);
  }
}

/**
 * The typed source of each container of a query view made by toQueryView, so that the query's
 * comparison operators compare exact typed values (see query/comparison.ts). Views handed to
 * mingo's pipeline are not registered: its stages may change nested objects in place.
 */
const TYPED_SOURCES = new WeakMap<object, unknown>();

/** The typed value a query view container was made from, if it was registered. */
export function typedSourceOf(view: object): unknown {
  return TYPED_SOURCES.get(view);
}

/**
 * A fresh view of a typed value: numbers as JS numbers, regexes as RegExp, containers copied.
 * With `keepWide`, int64 and decimal128 values that no JS number holds exactly stay typed.
 */
export function toView(v: unknown, track = false, keepWide = false): unknown {
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'undefined':
      return v;
    case 'bigint':
      return Number(v);
  }
  if (v === null) return null;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = toView(v[i], track, keepWide);
    if (track) TYPED_SOURCES.set(out, v);
    return out;
  }
  const tag = (v as { _bsontype?: string })._bsontype;
  if (tag === undefined) {
    if (v instanceof Date || v instanceof RegExp || ArrayBuffer.isView(v)) return v;
    const out: Document = {};
    for (const k of Object.keys(v as Document)) out[k] = toView((v as Document)[k], track, keepWide);
    if (track) TYPED_SOURCES.set(out, v);
    return out;
  }
  switch (tag) {
    case 'Int32':
    case 'Double':
    case 'Long':
    case 'Decimal128':
      return keepWide && isWideNumber(v) ? v : toNumber(v);
    case 'BSONRegExp':
      return regexToJs(v as BSONRegExp);
  }
  return v;
}

export function toViewDoc(doc: Document): Document {
  return toView(doc) as Document;
}

/** The view an aggregation pipeline runs on: like toViewDoc, with wide numbers kept typed. */
export function toAggregationView(v: unknown): unknown {
  return toView(v, false, true);
}

/** A view of a stored document for matching, registered with its typed source. */
export function toQueryView(doc: Document): Document {
  return toView(doc, true) as Document;
}

/** Does the typed value `typed` have exactly the view `view` (as toView(typed) would be)? */
export function viewMatchesTyped(view: unknown, typed: unknown): boolean {
  if (typeof view === 'number') {
    const n = toNumber(typed);
    return n !== undefined && (n === view || (Number.isNaN(n) && Number.isNaN(view)));
  }
  if (typeof view !== 'object' || view === null) return view === typed;
  if (Array.isArray(view)) {
    if (!Array.isArray(typed) || typed.length !== view.length) return false;
    for (let i = 0; i < view.length; i++) if (!viewMatchesTyped(view[i], typed[i])) return false;
    return true;
  }
  if (view instanceof Date) return typed instanceof Date && typed.getTime() === view.getTime();
  if (view instanceof RegExp) {
    if (typed instanceof RegExp) return typed.source === view.source && typed.flags === view.flags;
    if ((typed as { _bsontype?: string } | null)?._bsontype !== 'BSONRegExp') return false;
    const js = regexToJs(typed as BSONRegExp);
    return js.source === view.source && js.flags === view.flags;
  }
  if (isPlainDocument(view)) {
    if (!isPlainDocument(typed)) return false;
    const kv = Object.keys(view);
    const kt = Object.keys(typed);
    if (kv.length !== kt.length) return false;
    for (let i = 0; i < kv.length; i++) {
      if (kv[i] !== kt[i] || !viewMatchesTyped(view[kv[i]], typed[kt[i]])) return false;
    }
    return true;
  }
  return bsonTypeName(view) === bsonTypeName(typed) && bsonEquals(view, typed);
}

/** Hints that tell `retype` where typed values for changed parts of a document come from. */
export interface RetypeHints {
  /** typed values for concrete dotted paths (e.g. results of $inc, values given to $set) */
  byPath?: Map<string, unknown>;
  /** typed values from the request (update spec, pipeline literals), matched by view equality */
  pool?: unknown[];
  /** the typed value of a number computed by a pipeline (see query/exact-expressions.ts) */
  numberType?: (n: number) => unknown;
  /** typed source documents by _id (e.g. documents a $lookup joined), for sub-documents with an _id */
  documentById?: (id: unknown) => Document | undefined;
}

/** Every value nested in `v` (containers and scalars), for use as a RetypeHints pool. */
export function collectTypedValues(v: unknown, out: unknown[] = []): unknown[] {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) collectTypedValues(x, out);
  else if (isPlainDocument(v)) for (const k of Object.keys(v)) collectTypedValues(v[k], out);
  return out;
}

function viewNeedsTyping(v: unknown): boolean {
  return typeof v === 'number' || v instanceof RegExp;
}

function fromPool(view: unknown, hints: RetypeHints | undefined): { found: boolean; value?: unknown } {
  const pool = hints?.pool;
  if (!pool) return { found: false };
  for (const candidate of pool) {
    // a plain JS number carries no BSON type information
    if (typeof candidate === 'number') continue;
    if (viewMatchesTyped(view, candidate)) return { found: true, value: candidate };
  }
  return { found: false };
}

function retypeArray(view: unknown[], old: unknown, path: string, hints: RetypeHints | undefined, hinted: Set<string>): unknown[] {
  const oldArr = Array.isArray(old) ? old : undefined;
  const out = new Array<unknown>(view.length);
  const used = new Set<number>();
  let next = 0;
  for (let i = 0; i < view.length; i++) {
    const v = view[i];
    const sub = path === '' ? String(i) : `${path}.${i}`;
    if (hinted.has(sub) || !oldArr) {
      out[i] = retypeAt(v, oldArr?.[i], sub, hints, hinted);
      continue;
    }
    let pick = -1;
    if (next < oldArr.length && !used.has(next) && viewMatchesTyped(v, oldArr[next])) pick = next;
    else if (i < oldArr.length && !used.has(i) && viewMatchesTyped(v, oldArr[i])) pick = i;
    else if (oldArr.length <= 256) {
      for (let j = 0; j < oldArr.length; j++) {
        if (!used.has(j) && viewMatchesTyped(v, oldArr[j])) {
          pick = j;
          break;
        }
      }
    }
    if (pick >= 0) {
      used.add(pick);
      next = pick + 1;
      out[i] = oldArr[pick];
    } else {
      out[i] = retypeAt(v, i < oldArr.length ? oldArr[i] : undefined, sub, hints, hinted);
    }
  }
  return out;
}

/** Paths at or above a byPath entry: the old value there must not be reused wholesale. */
function hintedPrefixes(hints: RetypeHints | undefined): Set<string> {
  const out = new Set<string>();
  for (const path of hints?.byPath?.keys() ?? []) {
    out.add('');
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}

function retypeAt(view: unknown, old: unknown, path: string, hints: RetypeHints | undefined, hinted: Set<string>): unknown {
  const forPath = hints?.byPath?.get(path);
  if (forPath !== undefined && viewMatchesTyped(view, forPath)) return forPath;
  if (old !== undefined && !hinted.has(path) && viewMatchesTyped(view, old)) return old;
  if (Array.isArray(view)) {
    const whole = hinted.has(path) ? { found: false } : fromPool(view, hints);
    if (whole.found) return whole.value;
    return retypeArray(view, old, path, hints, hinted);
  }
  if (isPlainDocument(view)) {
    const whole = hinted.has(path) ? { found: false } : fromPool(view, hints);
    if (whole.found) return whole.value;
    let oldDoc = isPlainDocument(old) ? old : undefined;
    if (oldDoc === undefined && view._id !== undefined) oldDoc = hints?.documentById?.(view._id);
    const out: Document = {};
    for (const k of Object.keys(view)) {
      out[k] = retypeAt(view[k], oldDoc?.[k], path === '' ? k : `${path}.${k}`, hints, hinted);
    }
    return out;
  }
  if (!viewNeedsTyping(view)) return view;
  // an element of an old array (e.g. after $unwind)
  if (Array.isArray(old)) {
    const element = old.find((el) => viewMatchesTyped(view, el));
    if (element !== undefined) return element;
  }
  if (typeof view === 'number') {
    const computed = hints?.numberType?.(view);
    if (computed !== undefined) return computed;
  }
  const pooled = fromPool(view, hints);
  if (pooled.found) return pooled.value;
  if (typeof view === 'number') return defaultNumberType(view);
  return new BSONRegExp((view as RegExp).source, (view as RegExp).flags);
}

/**
 * Maps a view back to typed values. Unchanged parts keep the exact typed values of `old`;
 * changed parts take typed values from `hints`, else the type the bson serializer would choose.
 */
export function retype(view: unknown, old: unknown, hints?: RetypeHints): unknown {
  return retypeAt(view, old, '', hints, hintedPrefixes(hints));
}

export function retypeDoc(view: Document, old: Document | undefined, hints?: RetypeHints): Document {
  return retype(view, old, hints) as Document;
}
