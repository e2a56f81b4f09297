// Recognizes filters whose `_id` part can be answered from the _id map or the ordered _id index
// (equality, $in, and range bounds with the server's type bracketing), so that the common copy
// query `{_id: {$gte: a, $lt: b}}` never runs mingo over every document.
import type { Document } from 'bson';
import { bsonTypeName, isPlainDocument } from '../bson/values';
import { canonicalType } from '../bson/compare';
import type { IdBound } from '../storage/id-index';

export type IdPlan =
  | { kind: 'eq'; values: unknown[] }
  | { kind: 'range'; lower?: IdBound; upper?: IdBound; brackets: number[] };

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);

function isEqualityValue(v: unknown): boolean {
  const t = bsonTypeName(v);
  if (t === 'regex' || t === 'array') return false;
  if (isPlainDocument(v)) return !Object.keys(v).some((k) => k.startsWith('$'));
  return true;
}

function isMinMaxKey(v: unknown): boolean {
  const t = bsonTypeName(v);
  return t === 'minKey' || t === 'maxKey';
}

/** The plan for the `_id` condition of a filter, or undefined when it cannot be planned. */
export function planIdPredicate(filter: Document | undefined): IdPlan | undefined {
  if (!filter || !('_id' in filter)) return undefined;
  const cond: unknown = filter._id;
  if (!isPlainDocument(cond) || !Object.keys(cond).some((k) => k.startsWith('$'))) {
    return isEqualityValue(cond) ? { kind: 'eq', values: [cond] } : undefined;
  }
  const ops = Object.keys(cond);
  if (ops.length === 1 && ops[0] === '$eq') return isEqualityValue(cond.$eq) ? { kind: 'eq', values: [cond.$eq] } : undefined;
  if (ops.length === 1 && ops[0] === '$in') {
    const values: unknown = cond.$in;
    if (!Array.isArray(values) || !values.every(isEqualityValue)) return undefined;
    return { kind: 'eq', values };
  }
  if (!ops.every((op) => RANGE_OPS.has(op))) return undefined;
  let lower: IdBound | undefined;
  let upper: IdBound | undefined;
  const brackets: number[] = [];
  for (const op of ops) {
    const value: unknown = cond[op];
    if (bsonTypeName(value) === 'regex' || Array.isArray(value)) return undefined;
    if (!isMinMaxKey(value)) brackets.push(canonicalType(value));
    if (op === '$gt' || op === '$gte') {
      if (lower) return undefined;
      lower = { value, inclusive: op === '$gte' };
    } else {
      if (upper) return undefined;
      upper = { value, inclusive: op === '$lte' };
    }
  }
  return { kind: 'range', lower, upper, brackets };
}

/** True when the filter has no conditions besides `_id` (the plan then answers it exactly). */
export function filterIsOnlyId(filter: Document): boolean {
  const keys = Object.keys(filter);
  return keys.length === 1 && keys[0] === '_id';
}
