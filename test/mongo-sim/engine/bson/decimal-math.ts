// Decimal128 functions computed as IEEE 754-2008 decimal does them: quantize (the rounding of
// $round/$trunc/$ceil/$floor), remainder, square root, and the transcendental functions (exp, ln,
// log10, power) to 34 significant digits. Values are coefficient × 10^exponent with the exponent
// kept (a quantized 2.50 stays 2.50); transcendental results are computed with 60 digits in
// bigint fixed point and rounded once to 34.
import { Decimal128 } from 'bson';
import type { ExactNumber } from './exact-number';

export type Finite = { kind: 'finite'; coef: bigint; exp: number };
export type RoundingMode = 'halfEven' | 'towardZero' | 'towardPositive' | 'towardNegative';

const MAX_DIGITS = 34;
const NAN: ExactNumber = { kind: 'nan' };

function digits(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/** coef / 10^shift rounded with `mode` (shift > 0). */
function shiftRight(coef: bigint, shift: number, mode: RoundingMode): bigint {
  const unit = 10n ** BigInt(shift);
  const q = coef / unit; // truncates toward zero
  const r = coef - q * unit;
  if (r === 0n) return q;
  const negative = coef < 0n;
  switch (mode) {
    case 'towardZero':
      return q;
    case 'towardPositive':
      return negative ? q : q + 1n;
    case 'towardNegative':
      return negative ? q - 1n : q;
    default: {
      const twice = 2n * (r < 0n ? -r : r);
      const up = twice > unit || (twice === unit && (q < 0n ? -q : q) % 2n === 1n);
      return up ? (negative ? q - 1n : q + 1n) : q;
    }
  }
}

/** x given the exponent `exp` (IEEE quantize): NaN when the coefficient needs more than 34 digits. */
export function quantize(x: ExactNumber, exp: number, mode: RoundingMode): ExactNumber {
  if (x.kind !== 'finite') return x.kind === 'inf' ? NAN : x;
  const coef = exp >= x.exp ? (exp === x.exp ? x.coef : shiftRight(x.coef, exp - x.exp, mode)) : x.coef * 10n ** BigInt(x.exp - exp);
  if (digits(coef) > MAX_DIGITS) return NAN;
  return { kind: 'finite', coef, exp };
}

/** x − trunc(x / y) × y, exactly (the exponent is the smaller of the two). */
export function remainder(x: ExactNumber, y: ExactNumber): ExactNumber {
  if (x.kind === 'nan' || y.kind === 'nan' || x.kind === 'inf') return NAN;
  if (y.kind === 'inf') return x;
  if (y.coef === 0n) return NAN;
  const exp = Math.min(x.exp, y.exp);
  const a = x.coef * 10n ** BigInt(x.exp - exp);
  const b = y.coef * 10n ** BigInt(y.exp - exp);
  return { kind: 'finite', coef: a % b, exp };
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  let y = (x + n / x) >> 1n;
  while (y < x) {
    x = y;
    y = (x + n / x) >> 1n;
  }
  return x;
}

/** The square root; an exact root takes the preferred exponent floor(exp / 2). */
export function sqrt(x: ExactNumber): ExactNumber {
  if (x.kind === 'nan') return x;
  if (x.kind === 'inf') return x.negative ? NAN : x;
  if (x.coef < 0n) return NAN;
  if (x.coef === 0n) return { kind: 'finite', coef: 0n, exp: Math.floor(x.exp / 2) };
  let shift = Math.max(0, 2 * (MAX_DIGITS + 2) - digits(x.coef));
  if ((x.exp - shift) % 2 !== 0) shift++;
  const n = x.coef * 10n ** BigInt(shift);
  let root = isqrt(n);
  let exp = (x.exp - shift) / 2;
  if (root * root === n) {
    const preferred = Math.floor(x.exp / 2);
    while (exp < preferred && root % 10n === 0n) {
      root /= 10n;
      exp++;
    }
    return rounded(root, exp, false);
  }
  return rounded(root, exp, true);
}

/** coef × 10^exp rounded half-even to 34 digits; `inexact` marks a truncated (sticky) value. */
function rounded(coef: bigint, exp: number, inexact: boolean): ExactNumber {
  const extra = digits(coef) - MAX_DIGITS;
  if (extra <= 0) return { kind: 'finite', coef, exp };
  // a sticky digit keeps a truncated value from looking like an exact tie
  const c = inexact ? coef * 10n + (coef < 0n ? -1n : 1n) : coef;
  return { kind: 'finite', coef: shiftRight(c, extra + (inexact ? 1 : 0), 'halfEven'), exp: exp + extra };
}

// ---- fixed point with 60 digits ----
const P = 60;
const ONE = 10n ** BigInt(P);

function toFixed(x: Finite): bigint {
  return x.exp >= -P ? x.coef * 10n ** BigInt(x.exp + P) : x.coef / 10n ** BigInt(-x.exp - P);
}

function mul(a: bigint, b: bigint): bigint {
  return (a * b) / ONE;
}

function div(a: bigint, b: bigint): bigint {
  return (a * ONE) / b;
}

/** ln(m) for a fixed-point m > 0 near [1, 10], by 2·atanh((m − 1)/(m + 1)). */
function lnSeries(m: bigint): bigint {
  const z = div(m - ONE, m + ONE);
  const z2 = mul(z, z);
  let term = z;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = mul(term, z2);
  }
  return 2n * sum;
}

const LN10 = lnSeries(10n * ONE);

/** ln(x) in fixed point, for finite x > 0. */
function lnFixed(x: Finite): bigint {
  const d = digits(x.coef);
  // x = m × 10^k with m in [1, 10)
  const k = x.exp + d - 1;
  const m = (x.coef * ONE) / 10n ** BigInt(d - 1);
  return lnSeries(m) + BigInt(k) * LN10;
}

/** e^r in fixed point, for a fixed-point r in [0, ln 10). */
function expSmall(r: bigint): bigint {
  const halvings = 10;
  const y = r / 2n ** BigInt(halvings);
  let term = ONE;
  let sum = ONE;
  for (let k = 1n; term !== 0n; k++) {
    term = mul(term, y) / k;
    sum += term;
  }
  for (let i = 0; i < halvings; i++) sum = mul(sum, sum);
  return sum;
}

/** A fixed-point value × 10^k as a 34-digit decimal. */
function fromFixed(v: bigint, k = 0n): ExactNumber {
  if (v === 0n) return { kind: 'finite', coef: 0n, exp: 0 };
  return rounded(v, Number(k) - P, true);
}

export function exp(x: ExactNumber): ExactNumber {
  if (x.kind === 'nan') return x;
  if (x.kind === 'inf') return x.negative ? { kind: 'finite', coef: 0n, exp: 0 } : x;
  if (x.coef === 0n) return { kind: 'finite', coef: 1n, exp: 0 };
  return expOfFixed(toFixed(x));
}

function expOfFixed(v: bigint): ExactNumber {
  // beyond decimal128's range: overflow to Infinity, underflow to 0
  if (v > 15000n * ONE) return { kind: 'inf', negative: false };
  if (v < -15000n * ONE) return { kind: 'finite', coef: 0n, exp: 0 };
  let n = v / LN10;
  if (v < 0n && n * LN10 !== v) n -= 1n;
  return fromFixed(expSmall(v - n * LN10), n);
}

export function ln(x: ExactNumber): ExactNumber {
  if (x.kind === 'nan') return x;
  if (x.kind === 'inf') return x.negative ? NAN : x;
  if (x.coef <= 0n) return x.coef === 0n ? { kind: 'inf', negative: true } : NAN;
  if (isPowerOfTen(x) && x.exp + digits(x.coef) - 1 === 0) return { kind: 'finite', coef: 0n, exp: 0 };
  return fromFixed(lnFixed(x));
}

function isPowerOfTen(x: Finite): boolean {
  return /^10*$/.test(x.coef.toString());
}

export function log10(x: ExactNumber): ExactNumber {
  if (x.kind === 'nan') return x;
  if (x.kind === 'inf') return x.negative ? NAN : x;
  if (x.coef <= 0n) return x.coef === 0n ? { kind: 'inf', negative: true } : NAN;
  // an exact power of ten has an exact (integer) logarithm
  if (isPowerOfTen(x)) return { kind: 'finite', coef: BigInt(x.exp + digits(x.coef) - 1), exp: 0 };
  return fromFixed(div(lnFixed(x), LN10));
}

/** log_base(x) = ln(x) / ln(base), for finite positive x and base ≠ 1. */
export function logBase(x: ExactNumber, base: ExactNumber): ExactNumber {
  if (x.kind !== 'finite' || base.kind !== 'finite') return NAN;
  return fromFixed(div(lnFixed(x), lnFixed(base)));
}

/** base^exponent; an integer exponent multiplies exactly (as repeated multiplication would). */
export function power(base: ExactNumber, exponent: ExactNumber): ExactNumber {
  if (base.kind === 'nan' || exponent.kind === 'nan') return NAN;
  if (exponent.kind === 'finite' && exponent.coef === 0n) return { kind: 'finite', coef: 1n, exp: 0 };
  if (base.kind === 'inf' || exponent.kind === 'inf') {
    return { kind: 'inf', negative: false };
  }
  const integral = exponent.exp >= 0 || exponent.coef % 10n ** BigInt(-exponent.exp) === 0n;
  if (integral) {
    const n = exponent.exp >= 0 ? exponent.coef * 10n ** BigInt(exponent.exp) : exponent.coef / 10n ** BigInt(-exponent.exp);
    const magnitude = n < 0n ? -n : n;
    if (magnitude <= 10000n && base.coef !== 0n) {
      const p = { coef: base.coef ** magnitude, exp: base.exp * Number(magnitude) };
      if (n > 0n) return rounded(p.coef, p.exp, false);
      // 1 / p to 60 digits
      const q = (10n ** BigInt(P + digits(p.coef))) / p.coef;
      return rounded(q, -P - digits(p.coef) - p.exp, (10n ** BigInt(P + digits(p.coef))) % p.coef !== 0n);
    }
    if (base.coef === 0n) return n > 0n ? { kind: 'finite', coef: 0n, exp: 0 } : { kind: 'inf', negative: false };
  }
  if (base.coef === 0n) return { kind: 'finite', coef: 0n, exp: 0 };
  if (base.coef < 0n) return NAN;
  const lnb = lnFixed(base);
  const e = toFixed(exponent);
  return expOfFixed(mul(lnb, e));
}

export function toDecimal128(x: ExactNumber): Decimal128 {
  if (x.kind === 'nan') return Decimal128.fromString('NaN');
  if (x.kind === 'inf') return Decimal128.fromString(x.negative ? '-Infinity' : 'Infinity');
  return Decimal128.fromStringWithRounding(`${x.coef}E${x.exp}`);
}
