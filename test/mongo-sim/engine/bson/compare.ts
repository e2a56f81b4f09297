// The server's BSON comparison order (BSONObj::woCompare / canonical types) and strict equality.
import type { Binary, BSONRegExp, Code, Decimal128, Document, ObjectId, Timestamp } from 'bson';
import { bsonTypeName, toNumber, type BsonTypeName } from './values';
import { compareExact, exactNumber } from './exact-number';

const CANONICAL: Record<BsonTypeName, number> = {
  minKey: -1,
  undefined: 0,
  null: 5,
  double: 10,
  int: 10,
  long: 10,
  decimal: 10,
  string: 15,
  symbol: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  bool: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  dbPointer: 55,
  javascript: 60,
  javascriptWithScope: 65,
  maxKey: 127,
};

export function canonicalType(v: unknown): number {
  return CANONICAL[bsonTypeName(v)];
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares strings by Unicode code point, which equals the server's UTF-8 byte order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const surrogateA = ca >= 0xd800 && ca <= 0xdfff;
    const surrogateB = cb >= 0xd800 && cb <= 0xdfff;
    if (surrogateA !== surrogateB) return surrogateA ? 1 : -1;
    return ca < cb ? -1 : 1;
  }
  return sign(a.length - b.length);
}

/** The JS number of an int32/double held as a JS number or wrapper; undefined for int64/decimal. */
function plainDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const tag = (v as { _bsontype?: string })._bsontype;
  return tag === 'Int32' || tag === 'Double' ? (v as { value: number }).value : undefined;
}

/**
 * Numeric comparison across int32/int64/double/decimal by exact value; NaN sorts below every
 * other number and equals NaN; -0 equals 0.
 */
export function compareNumbers(a: unknown, b: unknown): number {
  const da = plainDouble(a);
  const db = plainDouble(b);
  if (da !== undefined && db !== undefined) {
    if (da < db) return -1;
    if (da > db) return 1;
    if (da === db) return 0;
    return Number.isNaN(da) ? (Number.isNaN(db) ? 0 : -1) : 1;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return compareExact(exactNumber(a), exactNumber(b));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return sign(a.length - b.length);
}

function binaryParts(v: unknown): { bytes: Uint8Array; subtype: number } {
  if (ArrayBuffer.isView(v)) return { bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength), subtype: 0 };
  const bin = v as Binary;
  return { bytes: bin.buffer.subarray(0, bin.position), subtype: bin.sub_type };
}

function regexParts(v: unknown): { pattern: string; flags: string } {
  if (v instanceof RegExp) return { pattern: v.source, flags: v.flags };
  const r = v as BSONRegExp;
  return { pattern: r.pattern, flags: r.options };
}

function entriesOf(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  return Object.entries(v as Document);
}

/** Compares two documents field by field: type, then name, then value (as woCompare). */
export function compareDocuments(a: Document | unknown[], b: Document | unknown[], strings?: (x: string, y: string) => number): number {
  const ea = entriesOf(a);
  const eb = entriesOf(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    const [ka, va] = ea[i];
    const [kb, vb] = eb[i];
    const t = canonicalType(va) - canonicalType(vb);
    if (t !== 0) return sign(t);
    const k = compareStrings(ka, kb);
    if (k !== 0) return k;
    const c = compareValues(va, vb, strings);
    if (c !== 0) return c;
  }
  return sign(ea.length - eb.length);
}

/**
 * Total order over BSON values, as the server sorts them. `strings` compares strings (and
 * symbols) under a collation; without it they compare by code point (the simple collation).
 */
export function compareValues(a: unknown, b: unknown, strings?: (x: string, y: string) => number): number {
  const ta = canonicalType(a);
  const tb = canonicalType(b);
  if (ta !== tb) return sign(ta - tb);
  switch (ta) {
    case -1:
    case 0:
    case 5:
    case 127:
      return 0;
    case 10:
      return compareNumbers(a, b);
    case 15:
      return strings ? sign(strings(String(a), String(b))) : compareStrings(String(a), String(b));
    case 20:
    case 25:
      return compareDocuments(a as Document, b as Document, strings);
    case 30: {
      const ba = binaryParts(a);
      const bb = binaryParts(b);
      if (ba.bytes.length !== bb.bytes.length) return sign(ba.bytes.length - bb.bytes.length);
      if (ba.subtype !== bb.subtype) return sign(ba.subtype - bb.subtype);
      return compareBytes(ba.bytes, bb.bytes);
    }
    case 35:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case 40:
      return sign(Number(a) - Number(b));
    case 45:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 47: {
      const x = (a as Timestamp).toBigInt();
      const y = (b as Timestamp).toBigInt();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 50: {
      const ra = regexParts(a);
      const rb = regexParts(b);
      return compareStrings(ra.pattern, rb.pattern) || compareStrings(ra.flags, rb.flags);
    }
    case 60:
    case 65:
      return compareStrings(String((a as Code).code), String((b as Code).code));
    default:
      return 0;
  }
}

/** True when both values serialize to identical BSON (type-sensitive: Int32(1) differs from 1.0). */
export function bsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = bsonTypeName(a);
  if (ta !== bsonTypeName(b)) return false;
  switch (ta) {
    case 'object':
    case 'array': {
      const ea = entriesOf(a);
      const eb = entriesOf(b);
      if (ea.length !== eb.length) return false;
      for (let i = 0; i < ea.length; i++) {
        if (ea[i][0] !== eb[i][0] || !bsonEquals(ea[i][1], eb[i][1])) return false;
      }
      return true;
    }
    case 'double': {
      const x = toNumber(a) as number;
      const y = toNumber(b) as number;
      return Object.is(x, y) || (x === y && x !== 0) || (Number.isNaN(x) && Number.isNaN(y));
    }
    case 'decimal':
      return (a as Decimal128).toString() === (b as Decimal128).toString();
    case 'long':
      return compareNumbers(a, b) === 0;
    case 'binData': {
      const ba = binaryParts(a);
      const bb = binaryParts(b);
      return ba.subtype === bb.subtype && compareBytes(ba.bytes, bb.bytes) === 0;
    }
    case 'regex': {
      const ra = regexParts(a);
      const rb = regexParts(b);
      return ra.pattern === rb.pattern && ra.flags === rb.flags;
    }
    case 'javascriptWithScope':
      return String((a as Code).code) === String((b as Code).code) && bsonEquals((a as Code).scope, (b as Code).scope);
    case 'symbol':
      return String(a) === String(b);
    default:
      return compareValues(a, b) === 0;
  }
}
