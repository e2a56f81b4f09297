// Expands update paths with positional segments ($, $[], $[id]) into concrete paths against the
// document being updated.
import type { Document } from 'bson';
import { toView, toQueryView } from '../bson/typed-view';
import { isPlainDocument } from '../bson/values';
import { formatElement } from '../bson/format';
import { commandError, ErrorCodes } from '../errors';
import { compileFilter, compileViewFilter, type ViewPredicate } from '../query/matcher';
import { filterIdentifier, isPositional, type Segment } from './paths';

export interface ArrayFilters {
  /** identifier -> predicate over {identifier: elementView} */
  byId: Map<string, ViewPredicate>;
  used: Set<string>;
}

/** Parses arrayFilters: each filter's top-level fields must all name one identifier. */
export function parseArrayFilters(filters: unknown[] | undefined): ArrayFilters {
  const byId = new Map<string, ViewPredicate>();
  for (const f of filters ?? []) {
    if (!isPlainDocument(f)) throw commandError(ErrorCodes.TypeMismatch, 'arrayFilters entries must be objects');
    const keys = Object.keys(f);
    if (keys.length === 0) throw commandError(ErrorCodes.FailedToParse, 'Cannot use an expression without a top-level field name in arrayFilters');
    const ids = new Set(keys.map((k) => k.split('.')[0]));
    if (ids.size !== 1) {
      throw commandError(ErrorCodes.FailedToParse, `Error parsing array filter :: caused by :: Expected a single top-level field name, found '${[...ids][0]}' and '${[...ids][1]}'`);
    }
    const id = [...ids][0];
    if (byId.has(id)) throw commandError(ErrorCodes.FailedToParse, `Found multiple array filters with the same top-level field name ${id}`);
    byId.set(id, compileViewFilter(toView(f) as Record<string, unknown>));
  }
  return { byId, used: new Set() };
}

/** The first array index at `prefix` for which the query matches with only that element. */
export type PositionalMatcher = (prefix: Segment[]) => number | undefined;

/** The clauses of a query (top level and through $and) on paths at or below `path`. */
function clausesOn(query: Document, path: string): Document[] {
  const out: Document[] = [];
  const visit = (q: Document): void => {
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const c of v) if (isPlainDocument(c)) visit(c);
      } else if (k === path || k.startsWith(`${path}.`)) {
        out.push({ [k]: v });
      }
    }
  };
  visit(query);
  return out;
}

export function positionalMatcher(doc: Document, query: Document | undefined): PositionalMatcher {
  return (prefix) => {
    if (!query) return undefined;
    const relevant = clausesOn(query, prefix.join('.'));
    if (relevant.length === 0) return undefined;
    const test = compileFilter({ $and: relevant });
    const arr = prefix.reduce<unknown>((v, k) => (isPlainDocument(v) ? v[k] : Array.isArray(v) ? v[Number(k)] : undefined), doc);
    if (!Array.isArray(arr)) return undefined;
    const replaceAt = (v: unknown, i: number, el: unknown): unknown => {
      if (i === prefix.length) return [el];
      if (Array.isArray(v)) {
        const copy = v.slice();
        copy[Number(prefix[i])] = replaceAt(v[Number(prefix[i])], i + 1, el);
        return copy;
      }
      const d = v as Document;
      return { ...d, [prefix[i]]: replaceAt(d[prefix[i]], i + 1, el) };
    };
    for (let i = 0; i < arr.length; i++) {
      if (test(toQueryView(replaceAt(doc, 0, arr[i]) as Document))) return i;
    }
    return undefined;
  };
}

function childOf(v: unknown, seg: Segment): unknown {
  if (Array.isArray(v)) return /^\d+$/.test(seg) ? v[Number(seg)] : undefined;
  if (isPlainDocument(v)) return v[seg];
  return undefined;
}

/** Concrete paths for one update path (unchanged when it has no positional segment). */
export function expandPath(
  doc: Document,
  segs: Segment[],
  filters: ArrayFilters,
  matchPositional: PositionalMatcher,
): string[] {
  if (!segs.some(isPositional)) return [segs.join('.')];
  const out: string[] = [];
  const walk = (value: unknown, i: number, prefix: Segment[]): void => {
    if (i === segs.length) {
      out.push(prefix.join('.'));
      return;
    }
    const seg = segs[i];
    if (!isPositional(seg)) {
      walk(childOf(value, seg), i + 1, [...prefix, seg]);
      return;
    }
    if (seg === '$') {
      const idx = matchPositional(prefix);
      if (idx === undefined) {
        throw commandError(ErrorCodes.BadValue, 'The positional operator did not find the match needed from the query.');
      }
      walk(childOf(value, String(idx)), i + 1, [...prefix, String(idx)]);
      return;
    }
    if (value === undefined) {
      throw commandError(
        ErrorCodes.BadValue,
        `The path '${prefix.join('.')}' must exist in the document in order to apply array updates.`,
      );
    }
    if (!Array.isArray(value)) {
      throw commandError(ErrorCodes.BadValue, `Cannot apply array updates to non-array element ${formatElement(prefix[prefix.length - 1], value)}`);
    }
    const id = filterIdentifier(seg);
    let test: ViewPredicate | undefined;
    if (id !== undefined) {
      test = filters.byId.get(id);
      if (!test) throw commandError(ErrorCodes.BadValue, `No array filter found for identifier '${id}' in path '${segs.join('.')}'`);
      filters.used.add(id);
    }
    value.forEach((el, idx) => {
      if (test && !test({ [id as string]: toView(el) })) return;
      walk(el, i + 1, [...prefix, String(idx)]);
    });
  };
  walk(doc, 0, []);
  return out;
}
