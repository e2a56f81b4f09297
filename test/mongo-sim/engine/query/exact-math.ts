// The math expression operators computed as the server computes them, installed into mingo in
// place of its own: int32/int64 exactly (with the server's result types), decimal128 with decimal
// arithmetic (bson/decimal-math.ts), doubles only where the server uses doubles. Operands are
// typed as exact-expressions.ts types them.
import { Double, Int32, Long, type Decimal128 } from 'bson';
import { evalExpr } from 'mingo/core';
import { commandError } from '../errors';
import { toNumber, bsonTypeName } from '../bson/values';
import { decimalOperand } from '../bson/decimal-arith';
import * as dm from '../bson/decimal-math';
import { numKind, toMingo, typedFromView, typedOperand, type NumKind } from './exact-expressions';
import { typedSourceOf } from '../bson/typed-view';

type ExpressionOperator = (obj: unknown, expr: unknown, options: object) => unknown;

const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isNullish(v: unknown): boolean {
  return v === null || v === undefined;
}

/** The typed operands of an expression (one operand, or an array of them), null when one is nullish. */
function operands(obj: unknown, expr: unknown, options: object, arity: number[], name: string): unknown[] | null {
  const list = Array.isArray(expr) ? expr : [expr];
  if (!arity.includes(list.length)) {
    throw commandError(16020, `Expression ${name} takes ${arity.length > 1 ? `at least ${arity[0]} and at most ${arity[arity.length - 1]}` : `exactly ${arity[0]}`} arguments. ${list.length} were passed in.`);
  }
  const literals = Array.isArray(expr) ? (typedSourceOf(expr) as unknown[] | undefined) : undefined;
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    const view = evalExpr(obj, list[i], options as never);
    if (isNullish(view)) return null;
    const literal = literals?.[i];
    if (typeof view === 'number' && numKind(literal) && typeof literal !== 'number' && toNumber(literal) === view) out.push(literal);
    else out.push(typeof view === 'number' ? typedFromView(typedOperand(view, list[i], obj)) : view);
  }
  return out;
}

function kind(v: unknown): NumKind | undefined {
  return numKind(v);
}

function bigOf(v: unknown): bigint {
  return kind(v) === 'long' ? (v as Long).toBigInt() : BigInt(toNumber(v) as number);
}

function dbl(v: unknown): number {
  return toNumber(v) as number;
}

function dec(x: ReturnType<typeof decimalOperand>): Decimal128 {
  return dm.toDecimal128(x);
}

function intOrLong(n: bigint): unknown {
  return n >= INT32_MIN && n <= INT32_MAX ? new Int32(Number(n)) : Long.fromBigInt(n);
}

function requireNumbers(values: unknown[], code: number, message: (types: string) => string): void {
  if (values.every((v) => kind(v) !== undefined)) return;
  throw commandError(code, message(values.map((v) => bsonTypeName(v)).join(' and ')));
}

function single(name: string, fn: (v: unknown) => unknown): ExpressionOperator {
  return (obj, expr, options) => {
    const args = operands(obj, expr, options, [1], name);
    if (args === null) return null;
    requireNumbers(args, 28765, (t) => `${name} only supports numeric types, not ${t}`);
    return toMingo(fn(args[0]));
  };
}

const $abs = single('$abs', (v) => {
  switch (kind(v)) {
    case 'double':
      return new Double(Math.abs(dbl(v)));
    case 'decimal': {
      const x = decimalOperand(v);
      return x.kind === 'finite' && x.coef < 0n ? dec({ ...x, coef: -x.coef }) : x.kind === 'inf' ? dec({ kind: 'inf', negative: false }) : v;
    }
    default: {
      const n = bigOf(v);
      if (n === INT64_MIN) throw commandError(28680, "can't take $abs of long long min");
      const a = n < 0n ? -n : n;
      return kind(v) === 'long' ? Long.fromBigInt(a) : intOrLong(a);
    }
  }
});

function ceilOrFloor(name: string, mode: dm.RoundingMode, fn: (n: number) => number): ExpressionOperator {
  return single(name, (v) => {
    switch (kind(v)) {
      case 'double':
        return new Double(fn(dbl(v)));
      case 'decimal':
        return dec(dm.quantize(decimalOperand(v), 0, mode));
      default:
        return v;
    }
  });
}

/** $round / $trunc: decimal quantize to 10^-place; doubles through their 34-digit decimal. */
function roundOrTrunc(name: string, mode: dm.RoundingMode): ExpressionOperator {
  return (obj, expr, options) => {
    const args = operands(obj, expr, options, [1, 2], name);
    if (args === null) return null;
    const [v, placeArg] = args;
    if (kind(v) === undefined) throw commandError(51081, `${name} only supports numeric types, not ${bsonTypeName(v)}`);
    let place = 0;
    if (placeArg !== undefined) {
      const p = kind(placeArg) ? dm.quantize(decimalOperand(placeArg), 0, 'towardZero') : undefined;
      const whole = kind(placeArg) ? decimalOperand(placeArg) : undefined;
      const integral = whole !== undefined && whole.kind === 'finite' && p !== undefined && p.kind === 'finite' && p.coef * 10n ** BigInt(Math.max(0, -whole.exp)) === whole.coef * 10n ** BigInt(Math.max(0, whole.exp));
      if (!integral || p?.kind !== 'finite') throw commandError(51082, `precision argument to  ${name} must be a integral value`);
      place = Number(p.coef);
      if (place < -20 || place > 100) throw commandError(51083, `cannot apply ${name} with precision value ${place} value must be in [-20, 100]`);
    }
    switch (kind(v)) {
      case 'decimal': {
        const x = decimalOperand(v);
        return toMingo(x.kind === 'inf' ? v : dec(dm.quantize(x, -place, mode)));
      }
      case 'double': {
        const d = dbl(v);
        if (!Number.isFinite(d)) return toMingo(new Double(d));
        // the double's exact value to 34 significant digits, quantized, back to a double
        const x = dm.quantize(roundTo34(d), -place, mode);
        return toMingo(new Double(x.kind === 'finite' ? Number(`${x.coef}e${x.exp}`) : NaN));
      }
      default: {
        if (place >= 0) return toMingo(v);
        const x = dm.quantize({ kind: 'finite', coef: bigOf(v), exp: 0 }, -place, mode);
        if (x.kind !== 'finite') throw commandError(51080, `invalid conversion from Decimal128 result in ${name} resulting from arguments: [${bigOf(v)}, ${place}]`);
        const out = x.coef * 10n ** BigInt(x.exp);
        if (out < INT64_MIN || out > INT64_MAX) throw commandError(51080, `invalid conversion from Decimal128 result in ${name} resulting from arguments: [${bigOf(v)}, ${place}]`);
        return toMingo(kind(v) === 'long' || out > INT32_MAX || out < INT32_MIN ? Long.fromBigInt(out) : new Int32(Number(out)));
      }
    }
  };
}

/** A double's exact binary value rounded half-even to 34 significant digits. */
function roundTo34(d: number): dm.Finite {
  const x = exactDouble(d);
  const extra = x.coef.toString().replace('-', '').length - 34;
  if (extra <= 0) return x;
  return dm.quantize(x, x.exp + extra, 'halfEven') as dm.Finite;
}

function exactDouble(d: number): dm.Finite {
  if (d === 0) return { kind: 'finite', coef: 0n, exp: 0 };
  // d = m × 2^e with integer m
  let e = 0;
  let m = d;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  const coef = BigInt(m);
  return e === 0 ? { kind: 'finite', coef, exp: 0 } : { kind: 'finite', coef: coef * 5n ** BigInt(-e), exp: e };
}

const $mod: ExpressionOperator = (obj, expr, options) => {
  const args = operands(obj, expr, options, [2], '$mod');
  if (args === null) return null;
  const [a, b] = args;
  requireNumbers(args, 16611, (t) => `$mod only supports numeric types, not ${t}`);
  if (kind(a) === 'decimal' || kind(b) === 'decimal') {
    const y = decimalOperand(b);
    if (y.kind === 'finite' && y.coef === 0n) throw commandError(16610, "can't $mod by zero");
    return toMingo(dec(dm.remainder(decimalOperand(a), y)));
  }
  const right = dbl(b);
  if (right === 0) throw commandError(16610, "can't $mod by zero");
  if (kind(a) === 'double' || (kind(b) === 'double' && !Number.isInteger(right))) return toMingo(new Double(dbl(a) % right));
  const x = kind(a) === 'double' ? BigInt(Math.trunc(dbl(a))) : bigOf(a);
  const y = kind(b) === 'double' ? BigInt(Math.trunc(right)) : bigOf(b);
  const r = y === -1n ? 0n : x % y;
  return toMingo(kind(a) === 'long' || kind(b) === 'long' ? Long.fromBigInt(r) : new Int32(Number(r)));
};

const $pow: ExpressionOperator = (obj, expr, options) => {
  const args = operands(obj, expr, options, [2], '$pow');
  if (args === null) return null;
  const [base, exponent] = args;
  if (kind(base) === undefined) throw commandError(28762, `$pow's base must be numeric, not ${bsonTypeName(base)}`);
  if (kind(exponent) === undefined) throw commandError(28763, `$pow's exponent must be numeric, not ${bsonTypeName(exponent)}`);
  const zeroNeg = (): never => {
    throw commandError(28764, '$pow cannot take a base of 0 and a negative exponent');
  };
  if (kind(base) === 'decimal' || kind(exponent) === 'decimal') {
    const b = decimalOperand(base);
    const e = decimalOperand(exponent);
    if (b.kind === 'finite' && b.coef === 0n && ((e.kind === 'finite' && e.coef < 0n) || (e.kind === 'inf' && e.negative))) zeroNeg();
    return toMingo(dec(dm.power(b, e)));
  }
  const bd = dbl(base);
  const ed = dbl(exponent);
  if (bd === 0 && ed < 0) zeroNeg();
  if (kind(base) === 'double' || kind(exponent) === 'double') return toMingo(new Double(Math.pow(bd, ed)));
  const anyLong = kind(base) === 'long' || kind(exponent) === 'long';
  const format = (n: bigint): unknown => (anyLong ? Long.fromBigInt(n) : intOrLong(n));
  const b = bigOf(base);
  const e = bigOf(exponent);
  if (b === 0n) return toMingo(format(e === 0n ? 1n : 0n));
  if (b === 1n) return toMingo(format(1n));
  if (b === -1n) return toMingo(format(e % 2n === 0n ? 1n : -1n));
  if (e > 63n || e < 0n) return toMingo(new Double(Math.pow(Number(b), Number(e))));
  const r = b ** e;
  if (r < INT64_MIN || r > INT64_MAX) return toMingo(new Double(Math.pow(Number(b), Number(e))));
  return toMingo(format(r));
};

/** $exp, $ln, $log10, $sqrt: a double for int/long/double, a decimal for a decimal. */
function transcendental(name: string, onDouble: (d: number) => number, onDecimal: (x: ReturnType<typeof decimalOperand>) => ReturnType<typeof decimalOperand>, check?: (positive: boolean, d: number) => void): ExpressionOperator {
  return single(name, (v) => {
    if (kind(v) === 'decimal') {
      const x = decimalOperand(v);
      const positive = x.kind === 'finite' ? x.coef > 0n : x.kind === 'inf' ? !x.negative : false;
      if (check && x.kind !== 'nan') check(positive || (name === '$sqrt' && x.kind === 'finite' && x.coef === 0n), dbl(v));
      return dec(onDecimal(x));
    }
    const d = dbl(v);
    if (check && !Number.isNaN(d)) check(name === '$sqrt' ? d >= 0 : d > 0, d);
    return new Double(onDouble(d));
  });
}

const $ln = transcendental('$ln', Math.log, dm.ln, (ok, d) => {
  if (!ok) throw commandError(28766, `$ln's argument must be a positive number, but is ${d}`);
});
const $log10 = transcendental('$log10', Math.log10, dm.log10, (ok, d) => {
  if (!ok) throw commandError(28761, `$log10's argument must be a positive number, but is ${d}`);
});
const $sqrt = transcendental('$sqrt', Math.sqrt, dm.sqrt, (ok) => {
  if (!ok) throw commandError(28714, "$sqrt's argument must be greater than or equal to 0");
});
const $exp = transcendental('$exp', Math.exp, dm.exp);

/** $log: ln(number) / ln(base), in decimal when either is a decimal. */
const $log: ExpressionOperator = (obj, expr, options) => {
  const args = operands(obj, expr, options, [2], '$log');
  if (args === null) return null;
  const [v, base] = args;
  if (kind(v) === undefined) throw commandError(28756, `$log's argument must be numeric, not ${bsonTypeName(v)}`);
  if (kind(base) === undefined) throw commandError(28757, `$log's base must be numeric, not ${bsonTypeName(base)}`);
  if (kind(v) === 'decimal' || kind(base) === 'decimal') {
    const x = decimalOperand(v);
    const b = decimalOperand(base);
    if (!(x.kind === 'finite' ? x.coef > 0n : x.kind !== 'inf' || !x.negative)) throw commandError(28758, `$log's argument must be a positive number, but is ${dbl(v)}`);
    const baseIsOne = b.kind === 'finite' && /^10*$/.test(b.coef.toString()) && b.exp + b.coef.toString().length - 1 === 0;
    if (!(b.kind === 'finite' ? b.coef > 0n && !baseIsOne : b.kind !== 'inf' || !b.negative)) {
      throw commandError(28759, `$log's base must be a positive number not equal to 1, but is ${dbl(base)}`);
    }
    return toMingo(dec(dm.logBase(x, b)));
  }
  const d = dbl(v);
  const bd = dbl(base);
  if (!(d > 0) && !Number.isNaN(d)) throw commandError(28758, `$log's argument must be a positive number, but is ${d}`);
  if ((!(bd > 0) || bd === 1) && !Number.isNaN(bd)) throw commandError(28759, `$log's base must be a positive number not equal to 1, but is ${bd}`);
  return toMingo(new Double(Math.log(d) / Math.log(bd)));
};

export const MATH_EXPRESSION_OPERATORS = {
  $abs,
  $ceil: ceilOrFloor('$ceil', 'towardPositive', Math.ceil),
  $floor: ceilOrFloor('$floor', 'towardNegative', Math.floor),
  $round: roundOrTrunc('$round', 'halfEven'),
  $trunc: roundOrTrunc('$trunc', 'towardZero'),
  $mod,
  $pow,
  $exp,
  $ln,
  $log10,
  $log,
  $sqrt,
};
