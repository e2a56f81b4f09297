// Type identification and numeric helpers for BSON values as the `bson` package represents them
// (wrapped Int32/Double/Long/Decimal128 or promoted JS numbers, bigint for int64 when promoted).
import { type Decimal128, Double, Int32, type Long, type Document } from 'bson';

/** BSON type aliases as the server names them ($type, error messages). */
export type BsonTypeName =
  | 'double'
  | 'string'
  | 'object'
  | 'array'
  | 'binData'
  | 'undefined'
  | 'objectId'
  | 'bool'
  | 'date'
  | 'null'
  | 'regex'
  | 'dbPointer'
  | 'javascript'
  | 'symbol'
  | 'javascriptWithScope'
  | 'int'
  | 'timestamp'
  | 'long'
  | 'decimal'
  | 'minKey'
  | 'maxKey';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function fitsInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

function bsontypeOf(v: object): string | undefined {
  const tag = (v as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

/** The server's name for the BSON type `v` serializes as. */
export function bsonTypeName(v: unknown): BsonTypeName {
  switch (typeof v) {
    case 'number':
      // the bson serializer writes integral numbers in int32 range as int32
      return fitsInt32(v) && !Object.is(v, -0) ? 'int' : 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return 'long';
    case 'function':
      return 'javascript';
    case 'symbol':
      return 'symbol';
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  switch (bsontypeOf(v as object)) {
    case 'Int32':
      return 'int';
    case 'Double':
      return 'double';
    case 'Long':
      return 'long';
    case 'Decimal128':
      return 'decimal';
    case 'ObjectId':
      return 'objectId';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'BSONSymbol':
      return 'symbol';
    case 'Code':
      return (v as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
    case 'DBRef':
      return 'object';
    case 'DBPointer':
      return 'dbPointer';
  }
  if (ArrayBuffer.isView(v)) return 'binData';
  return 'object';
}

export function isNumeric(v: unknown): boolean {
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  if (v === null || typeof v !== 'object') return false;
  const tag = bsontypeOf(v);
  return tag === 'Int32' || tag === 'Double' || tag === 'Long' || tag === 'Decimal128';
}

/** The JS number value of a numeric BSON value (Long/Decimal128 approximated); undefined otherwise. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v !== 'object') return undefined;
  switch (bsontypeOf(v)) {
    case 'Int32':
      return (v as Int32).value;
    case 'Double':
      return (v as Double).value;
    case 'Long':
      return (v as Long).toNumber();
    case 'Decimal128':
      return decimalToNumber(v as Decimal128);
  }
  return undefined;
}

export function decimalToNumber(d: Decimal128): number {
  const s = d.toString();
  if (s === 'NaN' || s === '-NaN') return NaN;
  if (s === 'Infinity') return Infinity;
  if (s === '-Infinity') return -Infinity;
  return Number(s);
}

/** Exact integer value of an integral numeric BSON value, or undefined. */
export function toBigIntExact(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v !== null && typeof v === 'object' && bsontypeOf(v) === 'Long') return (v as Long).toBigInt();
  const n = toNumber(v);
  if (n === undefined || !Number.isInteger(n)) return undefined;
  return BigInt(n);
}

/** Truthiness as the server's `trueValue()`: numbers non-zero, bools, anything else present is true. */
export function trueValue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  const n = toNumber(v);
  if (n !== undefined) return n !== 0;
  return true;
}

export function isPlainDocument(v: unknown): v is Document {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  if (v instanceof Date || v instanceof RegExp || ArrayBuffer.isView(v)) return false;
  const tag = bsontypeOf(v);
  return tag === undefined;
}

/** Typing for a computed number with no typed origin: what the bson serializer would write. */
export function defaultNumberType(n: number): Int32 | Double {
  if (fitsInt32(n) && !Object.is(n, -0)) return new Int32(n);
  return new Double(n);
}
