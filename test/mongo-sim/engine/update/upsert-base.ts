// The document an upsert starts from: the equality conditions of its query, as fields.
import type { Document } from 'bson';
import { bsonTypeName, isPlainDocument } from '../bson/values';
import { commandError, ErrorCodes } from '../errors';

function setPath(doc: Document, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const next: unknown = cur[segs[i]];
    if (next === undefined) {
      const created: Document = {};
      cur[segs[i]] = created;
      cur = created;
    } else if (isPlainDocument(next)) {
      cur = next;
    } else {
      throw commandError(ErrorCodes.NotSingleValueField, `cannot infer query fields to set, path '${path}' is matched twice`);
    }
  }
  const last = segs[segs.length - 1];
  if (cur[last] !== undefined) {
    throw commandError(ErrorCodes.NotSingleValueField, `cannot infer query fields to set, path '${path}' is matched twice`);
  }
  cur[last] = value;
}

function isOperatorObject(v: unknown): v is Document {
  return isPlainDocument(v) && Object.keys(v).length > 0 && Object.keys(v)[0].startsWith('$');
}

function collect(query: Document, out: Document): void {
  for (const [k, v] of Object.entries(query)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const clause of v) if (isPlainDocument(clause)) collect(clause, out);
      continue;
    }
    if (k.startsWith('$')) continue;
    if (isOperatorObject(v)) {
      if ('$eq' in v) setPath(out, k, v.$eq);
      continue;
    }
    if (bsonTypeName(v) === 'regex') continue;
    setPath(out, k, v);
  }
}

/** Fields of `query` that equality conditions pin down, e.g. {a: 1, 'b.c': 2} -> {a: 1, b: {c: 2}}. */
export function upsertBaseDocument(query: Document): Document {
  const out: Document = {};
  collect(query, out);
  return out;
}
