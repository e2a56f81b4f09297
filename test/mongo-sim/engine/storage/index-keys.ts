// Index key extraction: the keys a document generates for an index key pattern, following the
// server's multikey rules (an array along a path fans out; parallel arrays are refused; a
// missing field indexes as null; an empty array indexes as undefined).
import type { Document } from 'bson';
import { compoundKey } from '../bson/keys';
import type { Collation } from '../bson/collation';
import { commandError, ErrorCodes } from '../errors';
import { isPlainDocument } from '../bson/values';

/** Marker for the key an empty array generates (the server stores it as `undefined`). */
export const EMPTY_ARRAY_KEY = Symbol('emptyArray');

export interface IndexKey {
  /** canonical key (for hash maps) */
  key: string;
  /** the typed values, one per key-pattern field */
  values: unknown[];
}

function valuesAtPath(v: unknown, parts: string[], i: number, out: unknown[], arrayCounter: { arrays: number }): void {
  if (i === parts.length) {
    if (Array.isArray(v)) {
      arrayCounter.arrays++;
      if (v.length === 0) out.push(EMPTY_ARRAY_KEY);
      else for (const x of v) out.push(x);
    } else {
      out.push(v === undefined ? null : v);
    }
    return;
  }
  if (Array.isArray(v)) {
    const part = parts[i];
    if (/^\d+$/.test(part)) {
      // a numeric component indexes into the array (and also into elements that are documents)
      valuesAtPath(v[Number(part)], parts, i + 1, out, arrayCounter);
      return;
    }
    arrayCounter.arrays++;
    if (v.length === 0) {
      out.push(null);
      return;
    }
    const before = out.length;
    for (const el of v) if (isPlainDocument(el)) valuesAtPath(el[part], parts, i + 1, out, { arrays: 0 });
    if (out.length === before) out.push(null);
    return;
  }
  if (isPlainDocument(v)) {
    valuesAtPath(v[parts[i]], parts, i + 1, out, arrayCounter);
    return;
  }
  out.push(null);
}

/** The values a document holds at a dotted path for indexing (null when missing). */
export function indexValues(doc: Document, path: string): { values: unknown[]; multikey: boolean } {
  const out: unknown[] = [];
  const counter = { arrays: 0 };
  valuesAtPath(doc, path.split('.'), 0, out, counter);
  return { values: out, multikey: counter.arrays > 0 };
}

function dedupe(values: unknown[], collation: Collation | undefined): unknown[] {
  if (values.length < 2) return values;
  const seen = new Map<string, unknown>();
  for (const v of values) {
    const k = compoundKey([v === EMPTY_ARRAY_KEY ? undefined : v], collation) + (v === EMPTY_ARRAY_KEY ? 'U' : '');
    if (!seen.has(k)) seen.set(k, v);
  }
  return [...seen.values()];
}

function keyString(values: unknown[], collation: Collation | undefined): string {
  return values
    .map((v) => (v === EMPTY_ARRAY_KEY ? '\u0001U' : compoundKey([v], collation)))
    .join('\u0000');
}

/**
 * All index keys of a document for the given key-pattern fields. Throws 171 when two fields of a
 * compound pattern both hold arrays.
 */
export function documentIndexKeys(doc: Document, fields: string[], collation?: Collation): IndexKey[] {
  if (fields.length === 1) {
    return dedupe(indexValues(doc, fields[0]).values, collation).map((v) => ({ key: keyString([v], collation), values: [v] }));
  }
  const perField = fields.map((f) => indexValues(doc, f));
  const multikeyFields = perField.filter((p) => p.multikey).length;
  if (multikeyFields > 1) {
    throw commandError(
      ErrorCodes.CannotIndexParallelArrays,
      `cannot index parallel arrays [${fields[perField.findIndex((p) => p.multikey)]}] [${fields[perField.map((p) => p.multikey).lastIndexOf(true)]}]`,
    );
  }
  let combos: unknown[][] = [[]];
  for (const p of perField) {
    const next: unknown[][] = [];
    for (const c of combos) for (const v of dedupe(p.values, collation)) next.push([...c, v]);
    combos = next;
  }
  return combos.map((values) => ({ key: keyString(values, collation), values }));
}

/** The keyValue document of a duplicate key error: {field: value} for each key-pattern field. */
export function keyValueDocument(fields: string[], values: unknown[]): Document {
  const out: Document = {};
  fields.forEach((f, i) => {
    out[f] = values[i] === EMPTY_ARRAY_KEY ? undefined : values[i];
  });
  return out;
}

/** True when none of the fields is present (sparse indexes skip such documents). */
export function allFieldsMissing(doc: Document, fields: string[]): boolean {
  return fields.every((f) => {
    const parts = f.split('.');
    let v: unknown = doc;
    for (const p of parts) {
      if (Array.isArray(v)) return false;
      if (!isPlainDocument(v)) return true;
      v = v[p];
    }
    return v === undefined;
  });
}
