// Typed arithmetic for $inc, $mul and $bit with the server's numeric promotion rules:
// int32 op int32 -> int32 (int64 on overflow); any int64 -> int64; any double -> double;
// any decimal -> decimal.
import { Decimal128, Double, Int32, Long } from 'bson';
import { bsonTypeName, toBigIntExact, toNumber } from '../bson/values';
import { decimalOperand, exactArith, exactToDecimal } from '../bson/decimal-arith';

type NumKind = 'int' | 'long' | 'double' | 'decimal';

function kindOf(v: unknown): NumKind {
  const t = bsonTypeName(v);
  if (t === 'int' || t === 'long' || t === 'double' || t === 'decimal') return t;
  throw new Error(`not a number: ${t}`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function resultKind(a: NumKind, b: NumKind): NumKind {
  if (a === 'decimal' || b === 'decimal') return 'decimal';
  if (a === 'double' || b === 'double') return 'double';
  if (a === 'long' || b === 'long') return 'long';
  return 'int';
}

function integerResult(big: bigint, kind: 'int' | 'long'): Int32 | Long | Double {
  if (kind === 'int' && big >= -2147483648n && big <= 2147483647n) return new Int32(Number(big));
  if (big >= INT64_MIN && big <= INT64_MAX) return Long.fromBigInt(big);
  // int64 overflow: the server fails the update; callers check with isOverflow first
  return new Double(Number(big));
}

function decimalArith(a: unknown, b: unknown, op: 'add' | 'mul'): Decimal128 {
  return exactToDecimal(exactArith(decimalOperand(a), decimalOperand(b), op));
}

function arith(a: unknown, b: unknown, op: 'add' | 'mul'): unknown {
  const kind = resultKind(kindOf(a), kindOf(b));
  if (kind === 'decimal') return decimalArith(a, b, op);
  if (kind === 'double') {
    const x = toNumber(a) as number;
    const y = toNumber(b) as number;
    return new Double(op === 'add' ? x + y : x * y);
  }
  const x = toBigIntExact(a) as bigint;
  const y = toBigIntExact(b) as bigint;
  return integerResult(op === 'add' ? x + y : x * y, kind);
}

/** True when an integer $inc/$mul would leave the int64 range (the server refuses it). */
export function overflowsInt64(a: unknown, b: unknown, op: 'add' | 'mul'): boolean {
  const kind = resultKind(kindOf(a), kindOf(b));
  if (kind !== 'int' && kind !== 'long') return false;
  const x = toBigIntExact(a) as bigint;
  const y = toBigIntExact(b) as bigint;
  const r = op === 'add' ? x + y : x * y;
  return r < INT64_MIN || r > INT64_MAX;
}

/** $inc: `current` missing means the field is created with the operand. */
export function typedInc(current: unknown, operand: unknown): unknown {
  if (current === undefined) return operand;
  return arith(current, operand, 'add');
}

/** $mul: a missing field is created as 0 of the operand's type. */
export function typedMul(current: unknown, operand: unknown): unknown {
  if (current === undefined) return arith(zeroLike(operand), operand, 'mul');
  return arith(current, operand, 'mul');
}

function zeroLike(v: unknown): unknown {
  switch (kindOf(v)) {
    case 'int':
      return new Int32(0);
    case 'long':
      return Long.fromNumber(0);
    case 'double':
      return new Double(0);
    case 'decimal':
      return Decimal128.fromString('0');
  }
}

/** $bit and/or/xor on int32/int64 values (result is int64 if either side is int64). */
export function typedBit(current: unknown, ops: { op: 'and' | 'or' | 'xor'; operand: unknown }[]): unknown {
  let value = current === undefined ? new Int32(0) : current;
  for (const { op, operand } of ops) {
    const kind = kindOf(value) === 'long' || kindOf(operand) === 'long' ? 'long' : 'int';
    const x = toBigIntExact(value) as bigint;
    const y = toBigIntExact(operand) as bigint;
    let r = op === 'and' ? x & y : op === 'or' ? x | y : x ^ y;
    if (kind === 'int') r = BigInt.asIntN(32, r);
    else r = BigInt.asIntN(64, r);
    value = kind === 'int' ? new Int32(Number(r)) : Long.fromBigInt(r);
  }
  return value;
}

export function isIntegral(v: unknown): boolean {
  const t = bsonTypeName(v);
  return t === 'int' || t === 'long';
}

