// Aggregation operators that keep numbers exact and typed, installed into mingo in place of its
// own. mingo computes with JS numbers; the pipeline's views keep int64/decimal128 values that no
// JS number holds ("wide" numbers, see isWideNumber) as typed objects, and these operators compare
// and compute them exactly: expression comparisons ($eq ... $cmp), arithmetic ($add, $subtract,
// $multiply) with the server's result types (int32 overflows to int64, int64 overflows to double,
// any double gives double, any decimal gives decimal), the $sum/$avg/$min/$max accumulators and
// the $sort stage. Typed results that a JS number holds exactly are handed back to mingo as JS
// numbers and remembered, so the final retyping gives them their type (an $add of two int64s stays
// int64). Operands are typed from the typed input document (field paths whose view value is still
// the stored one), from results computed earlier in the run, or from the pipeline's literals.
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { Lazy } from 'mingo/lazy';
import { resolve } from 'mingo/util';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import { bsonTypeName, toNumber } from '../bson/values';
import { compareValues } from '../bson/compare';
import { exactNumber, type ExactNumber } from '../bson/exact-number';
import { decimalOperand, exactArith, exactToDecimal } from '../bson/decimal-arith';
import { isWideNumber, typedSourceOf, viewMatchesTyped } from '../bson/typed-view';
import { collationFor } from '../bson/collation';

/** What one pipeline run knows about the types of the numbers its views hold. */
export interface TypedRun {
  /** the typed document each input view was made from */
  roots: WeakMap<object, Document>;
  /** typed results computed in this run, by the JS number mingo was given */
  computed: Map<number, unknown>;
  /** typed literals of the pipeline */
  pool: unknown[];
}

const runs: TypedRun[] = [];

/** Runs `fn` with `run` as the current pipeline run (runs nest: $lookup of a view runs another). */
export function withTypedRun<T>(run: TypedRun, fn: () => T): T {
  runs.push(run);
  try {
    return fn();
  } finally {
    runs.pop();
  }
}

export function currentRun(): TypedRun | undefined {
  return runs[runs.length - 1];
}

export type NumKind = 'int' | 'long' | 'double' | 'decimal';

export function numKind(v: unknown): NumKind | undefined {
  const t = bsonTypeName(v);
  return t === 'int' || t === 'long' || t === 'double' || t === 'decimal' ? t : undefined;
}

export function isNumberLike(v: unknown): boolean {
  return typeof v === 'number' || isWideNumber(v);
}

function resolveTyped(doc: unknown, path: string): unknown {
  let value = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Document)[part];
  }
  return value;
}

/** The typed value a view number stands for (see the file comment); the view itself when wide. */
export function typedOperand(view: unknown, expr: unknown, obj: unknown): unknown {
  if (typeof view !== 'number') return view;
  const run = currentRun();
  if (run && typeof expr === 'string' && expr.startsWith('$') && !expr.startsWith('$$') && obj !== null && typeof obj === 'object') {
    const root = run.roots.get(obj);
    if (root) {
      const typed = resolveTyped(root, expr.slice(1));
      if (numKind(typed) && viewMatchesTyped(view, typed)) return typed;
    }
  }
  const computed = run?.computed.get(view);
  if (computed !== undefined) return computed;
  for (const candidate of run?.pool ?? []) {
    if (typeof candidate !== 'number' && numKind(candidate) && viewMatchesTyped(view, candidate)) return candidate;
  }
  return view;
}

/** A typed result as mingo should see it: a JS number when one holds it exactly (remembered). */
export function toMingo(typed: unknown): unknown {
  if (typeof typed === 'number' || isWideNumber(typed)) return typed;
  const n = toNumber(typed);
  if (n === undefined) return typed;
  currentRun()?.computed.set(n, typed);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function negateExact(x: ExactNumber): ExactNumber {
  switch (x.kind) {
    case 'finite':
      return { kind: 'finite', coef: -x.coef, exp: x.exp };
    case 'inf':
      return { kind: 'inf', negative: !x.negative };
    default:
      return x;
  }
}

const RANK: Record<NumKind, number> = { int: 0, long: 1, double: 2, decimal: 3 };

/** a + b, a − b or a × b with the server's numeric result type. */
export function typedArith(a: unknown, b: unknown, op: 'add' | 'sub' | 'mul'): unknown {
  const ka = numKind(a)!;
  const kb = numKind(b)!;
  const kind = RANK[ka] >= RANK[kb] ? ka : kb;
  if (kind === 'decimal') {
    const y = decimalOperand(b);
    return exactToDecimal(exactArith(decimalOperand(a), op === 'sub' ? negateExact(y) : y, op === 'mul' ? 'mul' : 'add'));
  }
  const x = toNumber(a) as number;
  const y = toNumber(b) as number;
  const doubles = (): number => (op === 'add' ? x + y : op === 'sub' ? x - y : x * y);
  if (kind === 'double') return new Double(doubles());
  const bx = ka === 'long' ? (a as Long).toBigInt() : BigInt(x);
  const by = kb === 'long' ? (b as Long).toBigInt() : BigInt(y);
  const r = op === 'add' ? bx + by : op === 'sub' ? bx - by : bx * by;
  if (kind === 'int' && r >= -2147483648n && r <= 2147483647n) return new Int32(Number(r));
  if (r >= INT64_MIN && r <= INT64_MAX) return Long.fromBigInt(r);
  // int64 overflow: the server answers the double result
  return new Double(op === 'add' ? Number(bx) + Number(by) : op === 'sub' ? Number(bx) - Number(by) : Number(bx) * Number(by));
}

export function typedFromView(v: unknown): unknown {
  return typeof v === 'number' ? (Number.isInteger(v) && Math.abs(v) <= 2147483647 && !Object.is(v, -0) ? new Int32(v) : new Double(v)) : v;
}

type ExpressionOperator = (obj: unknown, expr: unknown, options: object) => unknown;
type AccumulatorOperator = (coll: unknown[], expr: unknown, options: object) => unknown;

export function collationOf(options: object): ReturnType<typeof collationFor> {
  return collationFor((options as { collation?: Document }).collation);
}

const mingoExpressions = expressionOperators as unknown as Record<string, ExpressionOperator>;
const mingoAccumulators = accumulatorOperators as unknown as Record<string, AccumulatorOperator>;

/** The operands of an arithmetic expression, typed; undefined when mingo should handle them. */
function typedOperands(obj: unknown, expr: unknown, options: object): { args: unknown[]; typed: unknown[] } | undefined {
  if (!Array.isArray(expr)) return undefined;
  const args = evalExpr(obj, expr, options as never) as unknown[];
  if (!Array.isArray(args) || !args.every(isNumberLike)) return undefined;
  // a literal operand's own type, from the typed pipeline the view was made from
  const literals = typedSourceOf(expr) as unknown[] | undefined;
  const typed = args.map((v, i) => {
    const literal = literals?.[i];
    if (typeof v === 'number' && numKind(literal) && typeof literal !== 'number' && viewMatchesTyped(v, literal)) return literal;
    return typedFromView(typedOperand(v, expr[i], obj));
  });
  return { args, typed };
}

function arithmetic(name: '$add' | '$multiply', op: 'add' | 'mul'): ExpressionOperator {
  const original = mingoExpressions[name];
  return (obj, expr, options) => {
    const operands = typedOperands(obj, expr, options);
    if (!operands || operands.typed.length === 0) return original(obj, expr, options);
    let acc = operands.typed[0];
    for (let i = 1; i < operands.typed.length; i++) acc = typedArith(acc, operands.typed[i], op);
    return toMingo(acc);
  };
}

const $subtract: ExpressionOperator = (obj, expr, options) => {
  const operands = typedOperands(obj, expr, options);
  if (!operands || operands.typed.length !== 2) return mingoExpressions.$subtract(obj, expr, options);
  return toMingo(typedArith(operands.typed[0], operands.typed[1], 'sub'));
};

function comparison(name: string, test: (c: number) => unknown): ExpressionOperator {
  const original = mingoExpressions[name];
  return (obj, expr, options) => {
    if (!Array.isArray(expr) || expr.length !== 2) return original(obj, expr, options);
    const args = evalExpr(obj, expr, options as never) as unknown[];
    if (!args.some(isWideNumber)) return original(obj, [{ $literal: args[0] }, { $literal: args[1] }], options);
    const collation = collationOf(options);
    return test(compareValues(args[0], args[1], collation?.compare));
  };
}

/** The typed numbers an accumulator sees, in order; non-numbers are left out. */
function accumulatedNumbers(coll: unknown[], expr: unknown, options: object): unknown[] {
  const values = mingoAccumulators.$push(coll, expr, options) as unknown[];
  const out: unknown[] = [];
  values.forEach((v, i) => {
    if (isNumberLike(v)) out.push(typedFromView(typedOperand(v, expr, coll[i])));
  });
  return out;
}

const $sum: AccumulatorOperator = (coll, expr, options) => {
  if (typeof expr === 'number') return mingoAccumulators.$sum(coll, expr, options);
  let acc: unknown = new Int32(0);
  for (const v of accumulatedNumbers(coll, expr, options)) acc = typedArith(acc, v, 'add');
  return toMingo(acc);
};

/** $avg: a decimal when any value is a decimal (sum / count in decimal), else a double. */
const $avg: AccumulatorOperator = (coll, expr, options) => {
  const values = accumulatedNumbers(coll, expr, options);
  if (values.length === 0) return mingoAccumulators.$avg(coll, expr, options);
  const anyDecimal = values.some((v) => numKind(v) === 'decimal');
  let sum: ExactNumber = { kind: 'finite', coef: 0n, exp: 0 };
  for (const v of values) sum = exactArith(sum, anyDecimal ? decimalOperand(v) : exactNumber(v), 'add');
  if (!anyDecimal || sum.kind !== 'finite') {
    const total = toNumber(exactToDecimal(sum)) as number;
    return toMingo(anyDecimal ? exactToDecimal(sum) : new Double(total / values.length));
  }
  return toMingo(divideDecimal(sum, { coef: BigInt(values.length), exp: 0 }));
};

function extreme(sign: number): AccumulatorOperator {
  return (coll, expr, options) => {
    const values = mingoAccumulators.$push(coll, expr, options) as unknown[];
    let best: unknown;
    values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const typed = typedOperand(v, expr, coll[i]);
      if (best === undefined || compareValues(typed, best) * sign > 0) best = typed;
    });
    return best === undefined ? null : toMingo(best);
  };
}

export function hasWide(v: unknown): boolean {
  if (isWideNumber(v)) return true;
  return Array.isArray(v) && v.some(hasWide);
}

type PipelineOperator = (coll: LazyIterator, expr: unknown, options: object) => LazyIterator;
type LazyIterator = ReturnType<typeof Lazy>;
const mingoSort = (pipelineOperators as unknown as Record<string, PipelineOperator>).$sort;

/** The sort key of one value: arrays sort by their least (ascending) or greatest element. */
function sortKey(v: unknown, direction: number): unknown {
  if (!Array.isArray(v)) return v;
  if (v.length === 0) return undefined;
  return v.reduce((best, x) => (compareValues(x, best) * direction < 0 ? x : best));
}

/** $sort with exact BSON order when a sort key holds a wide number (mingo's order otherwise). */
const $sort: PipelineOperator = (coll, spec, options) =>
  coll.transform((docs: unknown[]) => {
    const keys = Object.entries(spec as Document);
    if (!docs.some((d) => keys.some(([k]) => hasWide(resolve(d as Document, k))))) {
      return mingoSort(Lazy(docs), spec, options);
    }
    const collation = collationOf(options);
    const sorted = docs
      .map((d, i) => ({ d, i }))
      .sort((x, y) => {
        for (const [k, dir] of keys) {
          const direction = Number(dir) < 0 ? -1 : 1;
          const a = sortKey(resolve(x.d as Document, k), direction);
          const b = sortKey(resolve(y.d as Document, k), direction);
          const c = a === undefined || b === undefined ? Number(b === undefined) - Number(a === undefined) : compareValues(a, b, collation?.compare);
          if (c !== 0) return c * direction;
        }
        return x.i - y.i;
      });
    return Lazy(sorted.map((e) => e.d));
  });

/** A typed number converted as $convert does; undefined: the conversion fails. */
function convertNumber(v: unknown, to: string): unknown {
  const exact = exactNumber(v);
  const kind = numKind(v);
  switch (to) {
    case 'string':
      return kind === 'long' ? (v as Long).toString() : kind === 'decimal' ? (v as Decimal128).toString() : undefined;
    case 'long':
    case 'int': {
      if (exact.kind !== 'finite') return undefined;
      const whole = exact.exp >= 0 ? exact.coef * 10n ** BigInt(exact.exp) : exact.coef / 10n ** BigInt(-exact.exp);
      if (to === 'int') return whole >= -2147483648n && whole <= 2147483647n ? new Int32(Number(whole)) : undefined;
      return whole >= INT64_MIN && whole <= INT64_MAX ? Long.fromBigInt(whole) : undefined;
    }
    case 'double':
      return new Double(toNumber(v) as number);
    case 'decimal':
      return kind === 'decimal' ? v : exactToDecimal(decimalOperand(v));
    case 'bool':
      return exact.kind !== 'finite' || exact.coef !== 0n;
  }
  return undefined;
}

const TYPE_ALIASES: Record<string, string> = { 1: 'double', 2: 'string', 8: 'bool', 16: 'int', 18: 'long', 19: 'decimal', int: 'int', long: 'long', double: 'double', decimal: 'decimal', string: 'string', bool: 'bool' };

function conversion(name: string, to: string): ExpressionOperator {
  const original = mingoExpressions[name];
  return (obj, expr, options) => {
    const v = evalExpr(obj, expr, options as never);
    const typed = isNumberLike(v) ? typedFromView(typedOperand(v, expr, obj)) : undefined;
    const out = typed === undefined ? undefined : convertNumber(typed, to);
    if (out === undefined) return original(obj, { $literal: isWideNumber(v) ? toNumber(v) : v }, options);
    return toMingo(out);
  };
}

const $convert: ExpressionOperator = (obj, expr, options) => {
  const spec = expr as Document;
  const input = evalExpr(obj, spec?.input, options as never);
  const to = TYPE_ALIASES[String(evalExpr(obj, spec?.to, options as never))];
  const typed = isNumberLike(input) && to !== undefined ? typedFromView(typedOperand(input, spec.input, obj)) : undefined;
  const out = typed === undefined ? undefined : convertNumber(typed, to);
  if (out !== undefined) return toMingo(out);
  if (!isWideNumber(input)) return mingoExpressions.$convert(obj, expr, options);
  if (spec.onError !== undefined) return evalExpr(obj, spec.onError, options as never);
  throw new Error(`$convert cannot convert ${String(input)} to ${String(spec.to)} with no onError value`);
};

const $divide: ExpressionOperator = (obj, expr, options) => {
  const operands = typedOperands(obj, expr, options);
  if (!operands || operands.typed.length !== 2 || !operands.typed.some((v) => numKind(v) === 'decimal' || isWideNumber(v))) {
    return mingoExpressions.$divide(obj, expr, options);
  }
  const [a, b] = operands.typed;
  if (compareValues(b, 0) === 0) throw new Error("can't $divide by zero");
  if (numKind(a) !== 'decimal' && numKind(b) !== 'decimal') return toMingo(new Double((toNumber(a) as number) / (toNumber(b) as number)));
  const x = decimalOperand(a);
  const y = decimalOperand(b);
  if (x.kind !== 'finite' || y.kind !== 'finite') return toMingo(new Double((toNumber(a) as number) / (toNumber(b) as number)));
  return toMingo(divideDecimal(x, y));
};

/**
 * x / y as IEEE 754 decimal divides: 40 digits rounded to 34, and an exact quotient brought back
 * to the preferred exponent (exp(x) − exp(y)), so 0.3 / 2 is 0.15 and 1.00 / 1 is 1.00.
 */
function divideDecimal(x: { coef: bigint; exp: number }, y: { coef: bigint; exp: number }): Decimal128 {
  const scale = 40n;
  const numerator = x.coef * 10n ** scale;
  let q = numerator / y.coef;
  let exp = x.exp - y.exp - Number(scale);
  if (numerator % y.coef === 0n) {
    while (exp < x.exp - y.exp && q % 10n === 0n) {
      q /= 10n;
      exp++;
    }
  }
  return Decimal128.fromStringWithRounding(`${q}E${exp}`);
}

const $isNumber: ExpressionOperator = (obj, expr, options) => {
  const v = evalExpr(obj, expr, options as never);
  return isWideNumber(v) || mingoExpressions.$isNumber(obj, { $literal: v }, options);
};

const $type: ExpressionOperator = (obj, expr, options) => {
  const v = evalExpr(obj, expr, options as never);
  if (isWideNumber(v)) return v instanceof Long ? 'long' : 'decimal';
  const typed = typeof v === 'number' ? typedOperand(v, expr, obj) : v;
  if (typeof typed !== 'number' && numKind(typed)) return numKind(typed);
  return mingoExpressions.$type(obj, { $literal: v }, options);
};

export const EXACT_EXPRESSION_OPERATORS = {
  $divide,
  $isNumber,
  $type,
  $convert,
  $toString: conversion('$toString', 'string'),
  $toLong: conversion('$toLong', 'long'),
  $toInt: conversion('$toInt', 'int'),
  $toDouble: conversion('$toDouble', 'double'),
  $toDecimal: conversion('$toDecimal', 'decimal'),
  $toBool: conversion('$toBool', 'bool'),
  $add: arithmetic('$add', 'add'),
  $multiply: arithmetic('$multiply', 'mul'),
  $subtract,
  $eq: comparison('$eq', (c) => c === 0),
  $ne: comparison('$ne', (c) => c !== 0),
  $gt: comparison('$gt', (c) => c > 0),
  $gte: comparison('$gte', (c) => c >= 0),
  $lt: comparison('$lt', (c) => c < 0),
  $lte: comparison('$lte', (c) => c <= 0),
  $cmp: comparison('$cmp', (c) => toMingo(new Int32(c))),
};

/**
 * $stdDevPop / $stdDevSamp: the server computes them in doubles from every numeric value (a
 * decimal or an int64 becomes its nearest double), ignoring other values; null without values
 * (or with one, for the sample).
 */
function stdDev(sample: boolean): AccumulatorOperator {
  return (coll, expr, options) => {
    const values = (mingoAccumulators.$push(coll, expr, options) as unknown[]).filter(isNumberLike).map((v) => toNumber(v) as number);
    if (values.length === 0 || (sample && values.length === 1)) return null;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const squares = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
    return toMingo(new Double(Math.sqrt(squares / (sample ? values.length - 1 : values.length))));
  };
}

export const EXACT_ACCUMULATOR_OPERATORS = { $sum, $avg, $min: extreme(-1), $max: extreme(1), $stdDevPop: stdDev(false), $stdDevSamp: stdDev(true) };

export const EXACT_PIPELINE_OPERATORS = { $sort };
