// Exact values of BSON numbers. The server compares int32, int64, double and decimal128 by their
// mathematical value (a double by its exact binary value, so double 0.1 differs from decimal
// 0.1); here every finite number becomes coefficient × 10^exponent with bigint coefficient, which
// represents all four types exactly. NaN equals NaN and sorts below every other number; -0 equals 0.
import type { Decimal128, Long } from 'bson';

export type ExactNumber =
  | { kind: 'nan' }
  | { kind: 'inf'; negative: boolean }
  /** value = coef × 10^exp, coef has no trailing decimal zeros (zero is 0n × 10^0) */
  | { kind: 'finite'; coef: bigint; exp: number };

const NAN: ExactNumber = { kind: 'nan' };
const POS_INF: ExactNumber = { kind: 'inf', negative: false };
const NEG_INF: ExactNumber = { kind: 'inf', negative: true };

function normalized(coef: bigint, exp: number): ExactNumber {
  if (coef === 0n) return { kind: 'finite', coef: 0n, exp: 0 };
  while (coef % 10n === 0n) {
    coef /= 10n;
    exp++;
  }
  return { kind: 'finite', coef, exp };
}

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** The exact value of a double: its binary mantissa × 2^e written in base ten. */
export function exactFromDouble(n: number): ExactNumber {
  if (Number.isNaN(n)) return NAN;
  if (n === Infinity) return POS_INF;
  if (n === -Infinity) return NEG_INF;
  if (Number.isSafeInteger(n)) return normalized(BigInt(n), 0);
  F64[0] = n;
  const bits = U64[0];
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  let mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const e2 = (biased === 0 ? 1 : biased) - 1075;
  if (negative) mantissa = -mantissa;
  if (e2 >= 0) return normalized(mantissa << BigInt(e2), 0);
  // m × 2^-k = m × 5^k × 10^-k
  const k = -e2;
  return normalized(mantissa * 5n ** BigInt(k), -k);
}

const DECIMAL_TEXT = /^(-)?(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/;

/** The exact value of a Decimal128 (from its canonical string form). */
export function exactFromDecimal(d: Decimal128): ExactNumber {
  const s = d.toString();
  if (s === 'NaN' || s === '-NaN') return NAN;
  if (s === 'Infinity') return POS_INF;
  if (s === '-Infinity') return NEG_INF;
  const m = DECIMAL_TEXT.exec(s);
  if (!m) throw new Error(`unexpected Decimal128 text: ${s}`);
  const digits = m[2] + (m[3] ?? '');
  const coef = BigInt(digits) * (m[1] ? -1n : 1n);
  return normalized(coef, Number(m[4] ?? 0) - (m[3]?.length ?? 0));
}

export function exactFromBigInt(n: bigint): ExactNumber {
  return normalized(n, 0);
}

/** The exact value of any numeric BSON value (JS number, bigint, Int32, Double, Long, Decimal128). */
export function exactNumber(v: unknown): ExactNumber {
  if (typeof v === 'number') return exactFromDouble(v);
  if (typeof v === 'bigint') return exactFromBigInt(v);
  switch ((v as { _bsontype?: string })._bsontype) {
    case 'Int32':
    case 'Double':
      return exactFromDouble((v as { value: number }).value);
    case 'Long':
      return exactFromBigInt((v as Long).toBigInt());
    case 'Decimal128':
      return exactFromDecimal(v as Decimal128);
  }
  throw new Error('not a number');
}

function sign(x: bigint): number {
  return x < 0n ? -1 : x > 0n ? 1 : 0;
}

/** Total order: NaN < -Infinity < finite values < Infinity. */
export function compareExact(a: ExactNumber, b: ExactNumber): number {
  if (a.kind === 'nan' || b.kind === 'nan') return a.kind === b.kind ? 0 : a.kind === 'nan' ? -1 : 1;
  if (a.kind === 'inf' || b.kind === 'inf') {
    const ra = a.kind === 'inf' ? (a.negative ? -1 : 1) : 0;
    const rb = b.kind === 'inf' ? (b.negative ? -1 : 1) : 0;
    if (ra !== rb) return ra < rb ? -1 : 1;
    return 0;
  }
  const sa = sign(a.coef);
  const sb = sign(b.coef);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // same sign: compare magnitudes by bringing both to the smaller exponent
  if (a.exp === b.exp) return sign(a.coef - b.coef);
  if (a.exp > b.exp) return sign(a.coef * 10n ** BigInt(a.exp - b.exp) - b.coef);
  return sign(a.coef - b.coef * 10n ** BigInt(b.exp - a.exp));
}

/**
 * A string equal for two numbers exactly when compareExact says they are equal. Integers print
 * as plain decimal integers (so a safe integer's key is String(n)), other values as `<coef>e<exp>`.
 */
export function exactKey(x: ExactNumber): string {
  if (x.kind === 'nan') return 'NaN';
  if (x.kind === 'inf') return x.negative ? '-Inf' : 'Inf';
  if (x.exp >= 0) return (x.coef * 10n ** BigInt(x.exp)).toString();
  return `${x.coef}e${x.exp}`;
}
