// The query's comparison operators ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin), installed into
// mingo in place of its own: they compare typed BSON values in the server's order (numbers by
// exact value across types, strings under the query's collation) instead of JS numbers. The
// field is resolved on the typed document the query view was made from when there is one.
import { Context } from 'mingo';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { canonicalType, compareValues } from '../bson/compare';
import { canonicalKey } from '../bson/keys';
import { collationFor, type Collation } from '../bson/collation';
import { isPlainDocument } from '../bson/values';
import { toQueryView, typedSourceOf } from '../bson/typed-view';
import { exactNumber } from '../bson/exact-number';
import { commandError, ErrorCodes } from '../errors';
import { Query } from 'mingo/query';
import type { Document } from 'bson';
import { EXACT_ACCUMULATOR_OPERATORS, EXACT_EXPRESSION_OPERATORS, EXACT_PIPELINE_OPERATORS } from './exact-expressions';
import { MATH_EXPRESSION_OPERATORS } from './exact-math';
import { SAMPLE_PIPELINE_OPERATORS } from './sample';
import { GROUPING_ACCUMULATOR_OPERATORS, GROUPING_EXPRESSION_OPERATORS, GROUPING_PIPELINE_OPERATORS } from './exact-grouping';

type Predicate = (obj: unknown) => boolean;
interface OperatorOptions {
  readonly collation?: Document;
}

function fieldOf(o: unknown, key: string): unknown {
  if (Array.isArray(o)) return /^\d+$/.test(key) ? o[Number(key)] : undefined;
  if (isPlainDocument(o)) return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
  return undefined;
}

/**
 * The value(s) at a dotted path, as mingo's resolver finds them (arrays of documents along the
 * path are traversed and their results collected), descending only into documents and arrays.
 */
export function resolvePath(obj: unknown, selector: string): unknown {
  if (!selector.includes('.') && !Array.isArray(obj)) return fieldOf(obj, selector);
  let depth = 0;
  const walk = (o: unknown, path: string): unknown => {
    let value = o;
    let begin = 0;
    let dot = 0;
    while (dot !== -1) {
      dot = path.indexOf('.', begin);
      const field = dot === -1 ? path.substring(begin) : path.substring(begin, dot);
      if (!/^\d+$/.test(field) && Array.isArray(value)) {
        if (begin === 0 && depth > 0) break;
        depth++;
        const rest = path.substring(begin);
        const collected: unknown[] = [];
        for (const item of value) {
          const v = walk(item, rest);
          if (v !== undefined) collected.push(v);
        }
        value = collected;
        break;
      }
      value = fieldOf(value, field);
      if (value === undefined) break;
      begin += field.length + 1;
    }
    return value;
  };
  const res = walk(obj, selector);
  if (!Array.isArray(res)) return res;
  let arr: unknown[] = res;
  while (depth-- > 0 && arr.length === 1 && Array.isArray(arr[0])) arr = arr[0] as unknown[];
  return arr;
}

function isNil(v: unknown): boolean {
  return v === null || v === undefined;
}

function flatten(xs: unknown[], depth: number): unknown[] {
  const out: unknown[] = [];
  const go = (arr: unknown[], d: number): void => {
    for (const x of arr) {
      if (Array.isArray(x) && d > 0) go(x, d - 1);
      else out.push(x);
    }
  };
  go(xs, depth);
  return out;
}

function isBoundKey(v: unknown): boolean {
  const tag = (v as { _bsontype?: string } | null)?._bsontype;
  return tag === 'MinKey' || tag === 'MaxKey';
}

function equalValues(a: unknown, b: unknown, c: Collation | undefined): boolean {
  return canonicalType(a) === canonicalType(b) && compareValues(a, b, c?.compare) === 0;
}

function eqPredicate(a: unknown, b: unknown, c: Collation | undefined, depth: number): boolean {
  if (equalValues(a, b, c)) return true;
  if (isNil(a) && isNil(b)) return true;
  if (Array.isArray(a)) {
    return a.some((v) => equalValues(v, b, c)) || flatten(a, depth).some((v) => equalValues(v, b, c));
  }
  return false;
}

function inPredicateFor(list: unknown[], c: Collation | undefined): (a: unknown) => boolean {
  const patterns = list.filter((x): x is RegExp => x instanceof RegExp);
  const keys = new Set(list.filter((x) => !(x instanceof RegExp)).map((x) => canonicalKey(x, c)));
  const hasNull = list.some((x) => x === null);
  const member = (v: unknown): boolean =>
    keys.has(canonicalKey(v, c)) || (typeof v === 'string' && patterns.some((re) => re.test(v)));
  return (a) => {
    if (isNil(a)) return hasNull;
    if (Array.isArray(a)) return member(a) || a.some(member);
    return member(a);
  };
}

function orderPredicate(test: (c: number) => boolean, nullMatchesMissing: boolean) {
  return (a: unknown, b: unknown, c: Collation | undefined): boolean => {
    const anyType = isBoundKey(b);
    const candidates = Array.isArray(a) ? [...a, a] : [a];
    for (const v of candidates) {
      if (!anyType && canonicalType(v) !== canonicalType(b)) continue;
      if (test(compareValues(v, b, c?.compare))) return true;
    }
    return nullMatchesMissing && b === null && (isNil(a) || (Array.isArray(a) && a.some(isNil)));
  };
}

function depthOf(selector: string): number {
  let depth = 0;
  for (let i = selector.indexOf('.'); i !== -1; i = selector.indexOf('.', i + 1)) depth++;
  return depth;
}

/** The document to resolve paths on: the typed source of a registered view, else the view. */
function source(obj: unknown): unknown {
  return obj !== null && typeof obj === 'object' ? (typedSourceOf(obj) ?? obj) : obj;
}

function operator(make: (operand: unknown, c: Collation | undefined, depth: number) => (lhs: unknown) => boolean) {
  return (selector: string, operand: unknown, options: OperatorOptions): Predicate => {
    const test = make(operand, collationFor(options.collation), depthOf(selector));
    return (obj) => test(resolvePath(source(obj), selector));
  };
}

const gt = orderPredicate((x) => x > 0, false);
const gte = orderPredicate((x) => x >= 0, true);
const lt = orderPredicate((x) => x < 0, false);
const lte = orderPredicate((x) => x <= 0, true);

function asList(operand: unknown, op: string): unknown[] {
  if (!Array.isArray(operand)) throw new Error(`${op} needs an array`);
  return operand;
}

/** Does a criteria document of $elemMatch hold only operators (so it tests each element itself)? */
function operatorsOnly(criteria: Document): boolean {
  const keys = Object.keys(criteria);
  return keys.length > 0 && keys.every((k) => k.startsWith('$') && k !== '$and' && k !== '$or' && k !== '$nor');
}

/**
 * The test $elemMatch applies to each element, on its typed value: operators only test the
 * element itself (wrapped as a field, so numbers stay exact); a query tests document elements.
 */
function elemMatchTest(criteria: unknown, options: OperatorOptions): (element: unknown) => boolean {
  if (!isPlainDocument(criteria)) throw new Error('$elemMatch needs an Object');
  if (Object.keys(criteria).length === 0) return (el) => isPlainDocument(el) || Array.isArray(el);
  if (operatorsOnly(criteria)) {
    const q = new Query({ element: criteria }, options as never);
    return (el) => q.test(toQueryView({ element: el }));
  }
  const q = new Query(criteria, options as never);
  return (el) => (isPlainDocument(el) || Array.isArray(el)) && q.test(toQueryView(el as Document));
}

function elemMatch(selector: string, criteria: unknown, options: OperatorOptions): Predicate {
  const test = elemMatchTest(criteria, options);
  return (obj) => {
    const lhs = resolvePath(source(obj), selector);
    return Array.isArray(lhs) && lhs.some(test);
  };
}

/** $all: every listed value is equal to the field (or one of its elements), $elemMatch items match. */
function all(selector: string, operand: unknown, options: OperatorOptions): Predicate {
  const items = asList(operand, '$all');
  const c = collationFor(options.collation);
  const depth = depthOf(selector);
  const tests = items.map((item): ((lhs: unknown) => boolean) => {
    if (isPlainDocument(item) && Object.keys(item)[0] === '$elemMatch') {
      const test = elemMatchTest(item.$elemMatch, options);
      return (lhs) => Array.isArray(lhs) && lhs.some(test);
    }
    if (item instanceof RegExp) {
      const matches = (v: unknown): boolean => typeof v === 'string' && item.test(v);
      return (lhs) => (Array.isArray(lhs) ? lhs.some(matches) : matches(lhs));
    }
    return (lhs) => eqPredicate(lhs, item, c, depth);
  });
  return (obj) => {
    if (tests.length === 0) return false;
    const lhs = resolvePath(source(obj), selector);
    return tests.every((test) => test(lhs));
  };
}

/** An operand of $mod as the server parses it: a number truncated to a 64-bit integer. */
function modOperand(v: unknown, what: string): bigint {
  const x = typeof v === 'number' || (v as { _bsontype?: string } | null)?._bsontype ? safeExact(v) : undefined;
  if (x === undefined) throw commandError(ErrorCodes.BadValue, `malformed mod, ${what} not a number`);
  if (x.kind !== 'finite') throw commandError(ErrorCodes.BadValue, `malformed mod, ${what} value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type`);
  return truncated(x);
}

function safeExact(v: unknown): ReturnType<typeof exactNumber> | undefined {
  try {
    return exactNumber(v);
  } catch {
    return undefined;
  }
}

function truncated(x: { coef: bigint; exp: number }): bigint {
  return x.exp >= 0 ? x.coef * 10n ** BigInt(x.exp) : x.coef / 10n ** BigInt(-x.exp);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * $mod on the exact value: a double or decimal field is truncated toward zero and must fit in a
 * 64-bit integer (NaN, infinities and values beyond int64 never match); the remainder takes the
 * dividend's sign, as C++'s %.
 */
function mod(selector: string, operand: unknown): Predicate {
  if (!Array.isArray(operand)) throw commandError(ErrorCodes.BadValue, 'malformed mod, needs to be an array');
  if (operand.length < 2) throw commandError(ErrorCodes.BadValue, 'malformed mod, not enough elements');
  if (operand.length > 2) throw commandError(ErrorCodes.BadValue, 'malformed mod, too many elements');
  const divisor = modOperand(operand[0], 'divisor');
  const remainder = modOperand(operand[1], 'remainder');
  if (divisor === 0n) throw commandError(ErrorCodes.BadValue, 'divisor cannot be 0');
  const matches = (v: unknown): boolean => {
    if (typeof v !== 'number' && !['Int32', 'Long', 'Double', 'Decimal128'].includes((v as { _bsontype?: string } | null)?._bsontype ?? '')) return false;
    const x = exactNumber(v);
    if (x.kind !== 'finite') return false;
    const dividend = truncated(x);
    if (dividend < INT64_MIN || dividend > INT64_MAX) return false;
    return dividend % divisor === remainder;
  };
  return (obj) => {
    const lhs = resolvePath(source(obj), selector);
    return Array.isArray(lhs) ? lhs.some(matches) : matches(lhs);
  };
}

/** mingo query operators that compare in the server's BSON order. */
const COMPARISON_OPERATORS = {
  $eq: operator((b, c, d) => (a) => eqPredicate(a, b, c, d)),
  $ne: operator((b, c, d) => (a) => !eqPredicate(a, b, c, d)),
  $gt: operator((b, c) => (a) => gt(a, b, c)),
  $gte: operator((b, c) => (a) => gte(a, b, c)),
  $lt: operator((b, c) => (a) => lt(a, b, c)),
  $lte: operator((b, c) => (a) => lte(a, b, c)),
  $in: operator((b, c) => inPredicateFor(asList(b, '$in'), c)),
  $nin: operator((b, c) => {
    const member = inPredicateFor(asList(b, '$nin'), c);
    return (a) => !member(a);
  }),
  $elemMatch: elemMatch,
  $all: all,
  $mod: (selector: string, operand: unknown, _options: OperatorOptions) => mod(selector, operand),
};

/**
 * All of mingo's operators with the comparison operators replaced (and the exact numeric ones of
 * exact-expressions.ts); for mingo's base Query and
 * Aggregator classes (the package's default entry points would let mingo's own operators win).
 */
export const SIM_CONTEXT = Context.init({
  accumulator: { ...accumulatorOperators, ...EXACT_ACCUMULATOR_OPERATORS, ...GROUPING_ACCUMULATOR_OPERATORS },
  expression: { ...expressionOperators, ...EXACT_EXPRESSION_OPERATORS, ...MATH_EXPRESSION_OPERATORS, ...GROUPING_EXPRESSION_OPERATORS },
  pipeline: { ...pipelineOperators, ...EXACT_PIPELINE_OPERATORS, ...GROUPING_PIPELINE_OPERATORS, ...SAMPLE_PIPELINE_OPERATORS },
  projection: projectionOperators,
  query: { ...queryOperators, ...COMPARISON_OPERATORS },
  window: windowOperators,
});
