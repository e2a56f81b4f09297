// The server's identity of a BSON value, as a string: two values get the same string exactly
// when the _id index (simple collation) holds them equal. Used as the key of the apply queue,
// where two distinct documents sharing a key would have their writes merged.
//
// - Numbers (int, long, double, decimal) are equal by exact value: 1, 1.0, NumberLong(1) and
//   NumberDecimal("1.00") are one key; 2^53+1 as a long is not 2^53; a double is its exact
//   binary value, so 0.1 (double) is not NumberDecimal("0.1"). All NaNs are one key, -0 is 0,
//   each infinity is its own key (as the server's compareDoubles/compareDecimals do).
// - Strings and symbols alike, by their exact text (collation is the planner's concern).
// - Embedded documents field by field, in order; arrays element by element.
// - Every other type by its exact value.
//
// Limits that come from the driver's decoding, not from this function: dates beyond +-2^53 ms
// lose precision when decoded; a DBPointer decodes as a DBRef, and a DBRef-shaped document
// loses its field order.
import { BSON, type Document } from 'mongodb';

function bsonType(value: object): string | undefined {
  return (value as { _bsontype?: string })._bsontype;
}

/** A finite number as sign, coefficient and base-10 exponent, without trailing zeros. */
function canonicalDecimal(coefficient: bigint, exponent: number): string {
  if (coefficient === 0n) return 'n:0';
  let c = coefficient;
  let e = exponent;
  while (c % 10n === 0n) {
    c /= 10n;
    e++;
  }
  return `n:${c}e${e}`;
}

function doubleIdentity(d: number): string {
  if (Number.isNaN(d)) return 'n:NaN';
  if (d === Infinity) return 'n:Inf';
  if (d === -Infinity) return 'n:-Inf';
  if (Number.isInteger(d)) return canonicalDecimal(BigInt(d), 0);
  // d = m * 2^e exactly; with e < 0 that is m * 5^-e * 10^e.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e: number;
  if (biased === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  while ((m & 1n) === 0n && e < 0) {
    m >>= 1n;
    e++;
  }
  const coefficient = m * 5n ** BigInt(-e);
  return canonicalDecimal(negative ? -coefficient : coefficient, e);
}

const DECIMAL_MAX_COEFFICIENT = 10n ** 34n - 1n;

/** Decodes the IEEE 754-2008 BID encoding of a Decimal128 (non-canonical encodings are zero). */
function decimalIdentity(bytes: Uint8Array): string {
  let low = 0n;
  let high = 0n;
  for (let i = 7; i >= 0; i--) low = (low << 8n) | BigInt(bytes[i]!);
  for (let i = 15; i >= 8; i--) high = (high << 8n) | BigInt(bytes[i]!);
  const negative = high >> 63n === 1n;
  const combination = (high >> 58n) & 0x1fn;
  if (combination === 0x1fn) return 'n:NaN';
  if (combination === 0x1en) return negative ? 'n:-Inf' : 'n:Inf';
  // The form with an implicit '100' prefix only holds coefficients above 10^34 - 1: non-canonical.
  if (((high >> 61n) & 3n) === 3n) return 'n:0';
  const exponent = Number((high >> 49n) & 0x3fffn) - 6176;
  const coefficient = ((high & ((1n << 49n) - 1n)) << 64n) | low;
  if (coefficient > DECIMAL_MAX_COEFFICIENT) return 'n:0';
  return canonicalDecimal(negative ? -coefficient : coefficient, exponent);
}

function bytesIdentity(subtype: number, bytes: Uint8Array): string {
  return `bin:${subtype}:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

function documentIdentity(entries: [string, unknown][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${keyValueIdentity(v)}`).join(',')}}`;
}

/** The server's identity of a BSON value (see the header). */
export function keyValueIdentity(value: unknown): string {
  if (typeof value === 'number') return doubleIdentity(value);
  if (typeof value === 'bigint') return canonicalDecimal(value, 0);
  if (typeof value === 'string') return `s:${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `b:${value}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Date) return `d:${value.getTime()}`;
  if (value instanceof RegExp) return `re:${JSON.stringify(value.source)}:${JSON.stringify([...value.flags].sort().join(''))}`;
  if (Array.isArray(value)) return `[${value.map(keyValueIdentity).join(',')}]`;
  if (value instanceof Uint8Array) return bytesIdentity(0, value);
  if (typeof value !== 'object') return `?:${String(value)}`;
  const type = bsonType(value);
  switch (type) {
    case undefined:
      return documentIdentity(Object.entries(value as Document));
    case 'Int32':
    case 'Double':
      return doubleIdentity((value as { value: number }).value);
    case 'Long':
    case 'Timestamp': {
      const big = (value as { toBigInt(): bigint }).toBigInt();
      return type === 'Long' ? canonicalDecimal(big, 0) : `ts:${BigInt.asUintN(64, big)}`;
    }
    case 'Decimal128':
      return decimalIdentity((value as { bytes: Uint8Array }).bytes);
    case 'BSONSymbol':
      return `s:${JSON.stringify(String((value as { value: unknown }).value))}`;
    case 'ObjectId':
      return `oid:${(value as { toHexString(): string }).toHexString()}`;
    case 'Binary': {
      const binary = value as { sub_type: number; buffer: Uint8Array; position: number };
      return bytesIdentity(binary.sub_type, binary.buffer.subarray(0, binary.position));
    }
    case 'BSONRegExp': {
      const regex = value as { pattern: string; options: string };
      return `re:${JSON.stringify(regex.pattern)}:${JSON.stringify(regex.options)}`;
    }
    case 'Code': {
      const code = value as { code: string; scope: Document | null };
      return code.scope == null ? `code:${JSON.stringify(code.code)}` : `codews:${JSON.stringify(code.code)}:${keyValueIdentity(code.scope)}`;
    }
    case 'DBRef': {
      const ref = value as { collection: string; oid: unknown; db?: string; fields: Document };
      const entries: [string, unknown][] = [['$ref', ref.collection], ['$id', ref.oid]];
      if (ref.db) entries.push(['$db', ref.db]);
      return documentIdentity([...entries, ...Object.entries(ref.fields ?? {})]);
    }
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    default:
      return `${type}:${BSON.EJSON.stringify(value, { relaxed: false })}`;
  }
}

/** Whether a value holds a string or symbol anywhere (the only values a collation compares). */
export function holdsCollatableValue(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.some(holdsCollatableValue);
  switch (bsonType(value)) {
    case undefined:
      return Object.values(value as Document).some(holdsCollatableValue);
    case 'BSONSymbol':
      return true;
    case 'DBRef':
      return true; // $ref is a string
    case 'Code': {
      const scope = (value as { scope: Document | null }).scope;
      return scope != null && holdsCollatableValue(scope);
    }
    default:
      return false;
  }
}
