// Sorting documents by a sort specification in the server's BSON order: arrays sort by their
// smallest element ascending and largest descending; missing fields sort as null.
import type { Document } from 'bson';
import { compareValues } from '../bson/compare';
import type { StringCompare } from '../bson/collation';
import { toNumber, isPlainDocument } from '../bson/values';
import { EMPTY_ARRAY_KEY, indexValues } from '../storage/index-keys';
import { commandError } from '../errors';

export interface SortField {
  path: string;
  direction: 1 | -1;
}

/** Parses {field: 1|-1, ...}; {$meta: ...} entries are accepted and ignored. */
export function parseSort(spec: unknown): SortField[] {
  if (spec === undefined || spec === null) return [];
  if (!isPlainDocument(spec)) throw commandError(14, "Expected field sort to be of type object");
  const out: SortField[] = [];
  for (const [path, raw] of Object.entries(spec)) {
    if (isPlainDocument(raw) && '$meta' in raw) continue;
    const n = toNumber(raw);
    if (n !== 1 && n !== -1) {
      throw commandError(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
    out.push({ path, direction: n });
  }
  return out;
}

function sortKeyOf(doc: Document, path: string, direction: 1 | -1, strings: StringCompare | undefined): unknown {
  const { values } = indexValues(doc, path);
  let best: unknown = undefined;
  let first = true;
  for (const raw of values) {
    const v = raw === EMPTY_ARRAY_KEY ? undefined : raw;
    if (first || (direction === 1 ? compareValues(v, best, strings) < 0 : compareValues(v, best, strings) > 0)) best = v;
    first = false;
  }
  return best === undefined && !values.includes(EMPTY_ARRAY_KEY) ? null : best;
}

/** A stable sort of items by the documents they carry; strings compare under `strings` when given. */
export function sortBy<T>(items: T[], docOf: (item: T) => Document, fields: SortField[], strings?: StringCompare): T[] {
  if (fields.length === 0) return items;
  const keyed = items.map((item, i) => ({ item, i, keys: fields.map((f) => sortKeyOf(docOf(item), f.path, f.direction, strings)) }));
  keyed.sort((a, b) => {
    for (let f = 0; f < fields.length; f++) {
      const c = compareValues(a.keys[f], b.keys[f], strings);
      if (c !== 0) return c * fields[f].direction;
    }
    return a.i - b.i;
  });
  return keyed.map((k) => k.item);
}
