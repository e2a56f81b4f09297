// Numbers of any BSON numeric type compared by exact value, as the server orders them: Int32,
// Int64, Double and Decimal128 are one type whose values compare exactly (2^53 + 1 as an Int64
// is above 2^53 as a Double; 0.1 as a Double is not Decimal128 0.1). NaNs are equal to each
// other and below every other number; -0 equals 0.
import { BsonType, MalformedBsonError, readInt32 } from './raw-bson';

type Exact = { kind: 'nan' } | { kind: 'infinity'; negative: boolean } | { kind: 'finite'; coefficient: bigint; exponent: number };

function readDouble(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getFloat64(0, true);
}

function readInt64(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getBigInt64(0, true);
}

/** A double exactly, as coefficient * 10^exponent. */
function exactDouble(d: number): Exact {
  if (Number.isNaN(d)) return { kind: 'nan' };
  if (!Number.isFinite(d)) return { kind: 'infinity', negative: d < 0 };
  if (Number.isInteger(d)) return { kind: 'finite', coefficient: BigInt(d), exponent: 0 };
  // d = m * 2^e with e < 0, which is m * 5^-e * 10^e.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  const coefficient = mantissa * 5n ** BigInt(-exponent);
  return { kind: 'finite', coefficient: negative ? -coefficient : coefficient, exponent };
}

const DECIMAL_MAX_COEFFICIENT = 10n ** 34n - 1n;

/** A Decimal128 (IEEE 754-2008 BID) exactly; non-canonical coefficients are zero, as the spec says. */
function exactDecimal(bytes: Uint8Array, offset: number): Exact {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 16);
  const low = view.getBigUint64(0, true);
  const high = view.getBigUint64(8, true);
  const negative = high >> 63n === 1n;
  const combination = (high >> 58n) & 0x1fn;
  if (combination === 0x1fn) return { kind: 'nan' };
  if (combination === 0x1en) return { kind: 'infinity', negative };
  if (((high >> 61n) & 3n) === 3n) return { kind: 'finite', coefficient: 0n, exponent: 0 };
  const exponent = Number((high >> 49n) & 0x3fffn) - 6176;
  const coefficient = ((high & ((1n << 49n) - 1n)) << 64n) | low;
  if (coefficient > DECIMAL_MAX_COEFFICIENT) return { kind: 'finite', coefficient: 0n, exponent: 0 };
  return { kind: 'finite', coefficient: negative ? -coefficient : coefficient, exponent };
}

function exactOf(type: number, bytes: Uint8Array, offset: number): Exact {
  switch (type) {
    case BsonType.int32:
      return { kind: 'finite', coefficient: BigInt(readInt32(bytes, offset)), exponent: 0 };
    case BsonType.int64:
      return { kind: 'finite', coefficient: readInt64(bytes, offset), exponent: 0 };
    case BsonType.double:
      return exactDouble(readDouble(bytes, offset));
    case BsonType.decimal128:
      return exactDecimal(bytes, offset);
    default:
      throw new MalformedBsonError(`type 0x${type.toString(16)} is not a number`);
  }
}

function sign(n: number | bigint): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function rank(x: Exact): number {
  if (x.kind === 'nan') return 0;
  if (x.kind === 'infinity') return x.negative ? 1 : 3;
  return 2;
}

function compareExact(a: Exact, b: Exact): number {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0 || a.kind !== 'finite' || b.kind !== 'finite') return sign(byRank);
  const bySign = sign(a.coefficient) - sign(b.coefficient);
  if (bySign !== 0 || a.coefficient === 0n) return sign(bySign);
  let x = a.coefficient;
  let y = b.coefficient;
  if (a.exponent > b.exponent) x *= 10n ** BigInt(a.exponent - b.exponent);
  else if (b.exponent > a.exponent) y *= 10n ** BigInt(b.exponent - a.exponent);
  return sign(x - y);
}

/** A double or an Int32 as a JS number (exact), else undefined. */
function plainNumber(type: number, bytes: Uint8Array, offset: number): number | undefined {
  if (type === BsonType.double) return readDouble(bytes, offset);
  if (type === BsonType.int32) return readInt32(bytes, offset);
  return undefined;
}

/** Compares two numeric values of any numeric types by exact value. */
export function compareRawNumbers(typeA: number, bytesA: Uint8Array, offsetA: number, typeB: number, bytesB: Uint8Array, offsetB: number): number {
  const a = plainNumber(typeA, bytesA, offsetA);
  const b = plainNumber(typeB, bytesB, offsetB);
  if (a !== undefined && b !== undefined) {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
  }
  if (typeA === BsonType.int64 && typeB === BsonType.int64) return sign(readInt64(bytesA, offsetA) - readInt64(bytesB, offsetB));
  return compareExact(exactOf(typeA, bytesA, offsetA), exactOf(typeB, bytesB, offsetB));
}
