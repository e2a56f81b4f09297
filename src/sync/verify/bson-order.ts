// The server's sort order over BSON values, read from raw bytes: first the canonical type
// (MinKey < undefined < null < numbers < strings and symbols < objects < arrays < binary <
// ObjectId < booleans < dates < timestamps < regexes < DBPointers < code < code with scope <
// MaxKey), then the value: numbers by exact value across types, strings by UTF-8 bytes (or the
// collation's order), objects and arrays element by element (type, then name, then value, the
// shorter first), binary by length then subtype then bytes, dates as signed and timestamps as
// unsigned 64-bit integers, regexes by pattern then flags, DBPointers by size then bytes, code
// by its text (never collated) then scope.
import { compareRawNumbers } from './exact-number';
import { BsonType, elementsOf, readInt32, type RawValue, valueSize } from './raw-bson';

/** How strings compare under a collation; absent: the simple collation (UTF-8 byte order). */
export type StringOrder = (a: string, b: string) => number;

const CANONICAL_TYPE: Record<number, number> = {
  [BsonType.minKey]: -1,
  [BsonType.undefined]: 0,
  [BsonType.null]: 5,
  [BsonType.double]: 10,
  [BsonType.int32]: 10,
  [BsonType.int64]: 10,
  [BsonType.decimal128]: 10,
  [BsonType.string]: 15,
  [BsonType.symbol]: 15,
  [BsonType.object]: 20,
  [BsonType.array]: 25,
  [BsonType.binary]: 30,
  [BsonType.objectId]: 35,
  [BsonType.boolean]: 40,
  [BsonType.date]: 45,
  [BsonType.timestamp]: 47,
  [BsonType.regex]: 50,
  [BsonType.dbPointer]: 55,
  [BsonType.code]: 60,
  [BsonType.codeWithScope]: 65,
  [BsonType.maxKey]: 127,
};

export function canonicalType(type: number): number {
  const canonical = CANONICAL_TYPE[type];
  if (canonical === undefined) throw new RangeError(`unknown BSON type 0x${type.toString(16)}`);
  return canonical;
}

function sign(n: number | bigint): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i]!;
    const y = b[bStart + i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return sign(aEnd - aStart - (bEnd - bStart));
}

const utf8 = new TextDecoder('utf-8');

/** A string value's bytes (without the length prefix and the trailing NUL). */
function stringSpan(v: RawValue): [number, number] {
  const start = v.offset + 4;
  return [start, start + readInt32(v.bytes, v.offset) - 1];
}

function compareStrings(a: RawValue, b: RawValue, strings: StringOrder | undefined): number {
  const [as, ae] = stringSpan(a);
  const [bs, be] = stringSpan(b);
  if (!strings) return compareBytes(a.bytes, as, ae, b.bytes, bs, be);
  return sign(strings(utf8.decode(a.bytes.subarray(as, ae)), utf8.decode(b.bytes.subarray(bs, be))));
}

/** Objects and arrays: element by element, canonical type then name then value; shorter first. */
function compareDocuments(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, strings: StringOrder | undefined): number {
  const left = elementsOf(a, aOffset);
  const right = elementsOf(b, bOffset);
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const byType = canonicalType(x.value.value.type) - canonicalType(y.value.value.type);
    if (byType !== 0) return sign(byType);
    const byName = compareBytes(a, x.value.nameStart, x.value.nameEnd, b, y.value.nameStart, y.value.nameEnd);
    if (byName !== 0) return byName;
    const byValue = compareRawValues(x.value.value, y.value.value, strings);
    if (byValue !== 0) return byValue;
  }
}

function cStringSpanEnd(bytes: Uint8Array, start: number): number {
  return bytes.indexOf(0, start);
}

/** Compares two raw BSON values in the server's order (see the header). */
export function compareRawValues(a: RawValue, b: RawValue, strings?: StringOrder): number {
  const byType = canonicalType(a.type) - canonicalType(b.type);
  if (byType !== 0) return sign(byType);
  switch (canonicalType(a.type)) {
    case -1:
    case 0:
    case 5:
    case 127:
      return 0;
    case 10:
      return compareRawNumbers(a.type, a.bytes, a.offset, b.type, b.bytes, b.offset);
    case 15:
      return compareStrings(a, b, strings);
    case 20:
    case 25:
      return compareDocuments(a.bytes, a.offset, b.bytes, b.offset, strings);
    case 30: {
      const byLength = readInt32(a.bytes, a.offset) - readInt32(b.bytes, b.offset);
      if (byLength !== 0) return sign(byLength);
      // subtype, then the bytes: one span after the length
      return compareBytes(a.bytes, a.offset + 4, a.offset + valueSize(a.type, a.bytes, a.offset), b.bytes, b.offset + 4, b.offset + valueSize(b.type, b.bytes, b.offset));
    }
    case 35:
      return compareBytes(a.bytes, a.offset, a.offset + 12, b.bytes, b.offset, b.offset + 12);
    case 40:
      return sign(a.bytes[a.offset]! - b.bytes[b.offset]!);
    case 45:
      return sign(
        new DataView(a.bytes.buffer, a.bytes.byteOffset + a.offset, 8).getBigInt64(0, true) -
          new DataView(b.bytes.buffer, b.bytes.byteOffset + b.offset, 8).getBigInt64(0, true),
      );
    case 47:
      return sign(
        new DataView(a.bytes.buffer, a.bytes.byteOffset + a.offset, 8).getBigUint64(0, true) -
          new DataView(b.bytes.buffer, b.bytes.byteOffset + b.offset, 8).getBigUint64(0, true),
      );
    case 50: {
      const aPatternEnd = cStringSpanEnd(a.bytes, a.offset);
      const bPatternEnd = cStringSpanEnd(b.bytes, b.offset);
      const byPattern = compareBytes(a.bytes, a.offset, aPatternEnd, b.bytes, b.offset, bPatternEnd);
      if (byPattern !== 0) return byPattern;
      return compareBytes(a.bytes, aPatternEnd + 1, cStringSpanEnd(a.bytes, aPatternEnd + 1), b.bytes, bPatternEnd + 1, cStringSpanEnd(b.bytes, bPatternEnd + 1));
    }
    case 55: {
      const aSize = valueSize(a.type, a.bytes, a.offset);
      const bSize = valueSize(b.type, b.bytes, b.offset);
      if (aSize !== bSize) return sign(aSize - bSize);
      return compareBytes(a.bytes, a.offset, a.offset + aSize, b.bytes, b.offset, b.offset + bSize);
    }
    case 60:
      return compareStrings(a, b, undefined);
    case 65: {
      // int32 total, then the code string, then the scope document
      const aCode = { type: BsonType.string, bytes: a.bytes, offset: a.offset + 4 };
      const bCode = { type: BsonType.string, bytes: b.bytes, offset: b.offset + 4 };
      const byCode = compareStrings(aCode, bCode, undefined);
      if (byCode !== 0) return byCode;
      return compareDocuments(
        a.bytes,
        aCode.offset + valueSize(BsonType.string, a.bytes, aCode.offset),
        b.bytes,
        bCode.offset + valueSize(BsonType.string, b.bytes, bCode.offset),
        strings,
      );
    }
    default:
      return 0;
  }
}
