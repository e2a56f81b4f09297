// Decimal128 arithmetic done exactly: operands become coefficient × 10^exponent keeping their
// exponent (decimal arithmetic keeps scale: 1.00 + 1 is 2.00), the exact result is rounded to
// decimal128's 34 significant digits. Used by $inc/$mul and by aggregation arithmetic.
import { Decimal128, type Long } from 'bson';
import { bsonTypeName, toNumber } from './values';
import { exactNumber, type ExactNumber } from './exact-number';

export function exactToDecimal(x: ExactNumber): Decimal128 {
  if (x.kind === 'nan') return Decimal128.fromString('NaN');
  if (x.kind === 'inf') return Decimal128.fromString(x.negative ? '-Infinity' : 'Infinity');
  return Decimal128.fromStringWithRounding(`${x.coef}E${x.exp}`);
}

export function exactArith(a: ExactNumber, b: ExactNumber, op: 'add' | 'mul'): ExactNumber {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (op === 'add') {
      if (a.kind === 'inf' && b.kind === 'inf' && a.negative !== b.negative) return { kind: 'nan' };
      return a.kind === 'inf' ? a : b;
    }
    const zero = (x: ExactNumber): boolean => x.kind === 'finite' && x.coef === 0n;
    if (zero(a) || zero(b)) return { kind: 'nan' };
    const neg = (x: ExactNumber): boolean => (x.kind === 'inf' ? x.negative : x.kind === 'finite' && x.coef < 0n);
    return { kind: 'inf', negative: neg(a) !== neg(b) };
  }
  if (op === 'mul') return { kind: 'finite', coef: a.coef * b.coef, exp: a.exp + b.exp };
  const exp = Math.min(a.exp, b.exp);
  const coef = a.coef * 10n ** BigInt(a.exp - exp) + b.coef * 10n ** BigInt(b.exp - exp);
  return { kind: 'finite', coef, exp };
}

const DECIMAL_TEXT = /^(-)?(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/;

/**
 * A number as a decimal operand, keeping its exponent (decimal arithmetic keeps scale: 1.00 + 1
 * is 2.00). A double becomes its 15-significant-digit decimal, as the server converts doubles.
 */
export function decimalOperand(v: unknown): ExactNumber {
  const kind = bsonTypeName(v);
  if (kind === 'int' || kind === 'long') return { kind: 'finite', coef: kind === 'long' ? (v as Long).toBigInt() : BigInt(toNumber(v) as number), exp: 0 };
  const text = kind === 'double' ? (toNumber(v) as number).toPrecision(15) : (v as Decimal128).toString();
  const m = DECIMAL_TEXT.exec(text.replace('e', 'E'));
  if (!m) return exactNumber(kind === 'double' ? toNumber(v) : v);
  const coef = BigInt(m[2] + (m[3] ?? '')) * (m[1] ? -1n : 1n);
  return { kind: 'finite', coef, exp: Number(m[4] ?? 0) - (m[3]?.length ?? 0) };
}
