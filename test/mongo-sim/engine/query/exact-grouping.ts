// Grouping and set operators that deduplicate by value across numeric types, installed into mingo
// in place of its own (mingo's hashing tells an int64 beyond 2^53 from the decimal128 of the same
// value). Keys are the canonical index keys (bson/keys.ts) under the operation's collation: an
// int32, int64, double and decimal128 of equal value are one key, as in the server's value maps.
import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { Lazy } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import { canonicalKey } from '../bson/keys';
import { isPlainDocument } from '../bson/values';
import type { Collation } from '../bson/collation';
import { collationOf, currentRun, hasWide, typedOperand } from './exact-expressions';

type LazyIterator = ReturnType<typeof Lazy>;
type PipelineOperator = (coll: LazyIterator, expr: unknown, options: object) => LazyIterator;
type ExpressionOperator = (obj: unknown, expr: unknown, options: object) => unknown;
type AccumulatorOperator = (coll: unknown[], expr: unknown, options: object) => unknown;

const mingoGroup = (pipelineOperators as unknown as Record<string, PipelineOperator>).$group;
const mingoExpressions = expressionOperators as unknown as Record<string, ExpressionOperator>;
const mingoAccumulators = accumulatorOperators as unknown as Record<string, AccumulatorOperator>;

/** The group key of each input document of the $group running now (read by $__simGroupKey). */
const groupKeys = new WeakMap<object, string>();

/** Expression operator that only $group below uses: the canonical key of the current document. */
export const $__simGroupKey: ExpressionOperator = (obj) => (obj !== null && typeof obj === 'object' ? (groupKeys.get(obj) ?? null) : null);

function keyOf(v: unknown, collation: Collation | undefined): string {
  return canonicalKey(v ?? null, collation);
}

/**
 * $group: documents whose `_id` expressions are equal values are one group, whatever their
 * numeric types; the group's `_id` is the value of the first document seen (its typed value for
 * a field path), as the server keeps the first key it inserted into its value map.
 */
const $group: PipelineOperator = (coll, expr, options) => {
  if (!isPlainDocument(expr) || !('_id' in expr)) return mingoGroup(coll, expr, options);
  const idExpr = expr._id;
  const collation = collationOf(options);
  return coll.transform((items: unknown[]) => {
    const first = new Map<string, { view: unknown; typed: unknown }>();
    for (const item of items) {
      const view = evalExpr(item, idExpr, options as never) ?? null;
      const key = keyOf(view, collation);
      if (typeof item === 'object' && item !== null) groupKeys.set(item, key);
      if (!first.has(key)) first.set(key, { view, typed: typeof view === 'number' ? typedOperand(view, idExpr, item) : view });
    }
    const run = currentRun();
    const grouped = mingoGroup(Lazy(items), { ...expr, _id: { $__simGroupKey: 1 } }, options).map((out) => {
      const doc = out as Document;
      const seen = first.get(doc._id as string);
      doc._id = seen ? seen.view : null;
      // the output's typed _id, for later stages and the final retyping
      if (run && seen && seen.typed !== seen.view) run.roots.set(doc, { _id: seen.typed });
      return doc;
    });
    return grouped;
  });
};

function unique(values: unknown[], collation: Collation | undefined): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const key = keyOf(v, collation);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

const $addToSet: AccumulatorOperator = (coll, expr, options) => {
  const values = mingoAccumulators.$push(coll, expr, options) as unknown[];
  return unique(values, collationOf(options));
};

/**
 * A set expression computed on canonical keys when an operand holds a wide number (mingo's own
 * answers otherwise: every other number is a JS number it compares exactly).
 */
function setExpression(name: string, compute: (sets: unknown[][], c: Collation | undefined) => unknown): ExpressionOperator {
  const original = mingoExpressions[name];
  return (obj, expr, options) => {
    const args = evalExpr(obj, expr, options as never);
    const literal = Array.isArray(expr) && Array.isArray(args) ? args.map((a) => ({ $literal: a })) : { $literal: args };
    if (!hasWide(Array.isArray(args) ? args.flat() : args) || !Array.isArray(args) || !args.every(Array.isArray)) {
      return original(obj, literal, options);
    }
    return compute(args as unknown[][], collationOf(options));
  };
}

function keySet(values: unknown[], c: Collation | undefined): Set<string> {
  return new Set(values.map((v) => keyOf(v, c)));
}

/** $in and $indexOfArray find a value by its canonical key when a wide number is involved. */
function arraySearch(name: string, answer: (arr: unknown[], found: (v: unknown) => boolean, args: unknown[]) => unknown): ExpressionOperator {
  const original = mingoExpressions[name];
  return (obj, expr, options) => {
    const args = evalExpr(obj, expr, options as never);
    const literal = Array.isArray(expr) && Array.isArray(args) ? args.map((a) => ({ $literal: a })) : { $literal: args };
    if (!Array.isArray(args) || args.length < 2 || !Array.isArray(args[1]) || !hasWide([args[0], ...(args[1] as unknown[])])) {
      return original(obj, literal, options);
    }
    const c = collationOf(options);
    const key = keyOf(args[0], c);
    return answer(args[1] as unknown[], (v) => keyOf(v, c) === key, args);
  };
}

export const GROUPING_EXPRESSION_OPERATORS = {
  $__simGroupKey,
  $in: arraySearch('$in', (arr, found) => arr.some(found)),
  $setUnion: setExpression('$setUnion', (sets, c) => unique(sets.flat(), c)),
  $setIntersection: setExpression('$setIntersection', (sets, c) => {
    if (sets.length === 0) return [];
    const others = sets.slice(1).map((s) => keySet(s, c));
    return unique(sets[0], c).filter((v) => others.every((o) => o.has(keyOf(v, c))));
  }),
  $setDifference: setExpression('$setDifference', (sets, c) => {
    const removed = keySet(sets[1] ?? [], c);
    return unique(sets[0] ?? [], c).filter((v) => !removed.has(keyOf(v, c)));
  }),
  $setEquals: setExpression('$setEquals', (sets, c) => {
    const keys = sets.map((s) => [...keySet(s, c)].sort().join('\u0000'));
    return keys.every((k) => k === keys[0]);
  }),
  $setIsSubset: setExpression('$setIsSubset', (sets, c) => {
    const superset = keySet(sets[1] ?? [], c);
    return (sets[0] ?? []).every((v) => superset.has(keyOf(v, c)));
  }),
};

export const GROUPING_ACCUMULATOR_OPERATORS = { $addToSet };

/** $sortByCount: the $group above (one group per value) sorted by its count, descending. */
const $sortByCount: PipelineOperator = (coll, expr, options) =>
  mingoSort($group(coll, { _id: expr, count: { $sum: 1 } }, options), { count: -1 }, options);

const mingoSort = (pipelineOperators as unknown as Record<string, PipelineOperator>).$sort;

export const GROUPING_PIPELINE_OPERATORS = { $group, $sortByCount };

