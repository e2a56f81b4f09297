// BSON values rendered as the server renders them in error messages (BSONObj::toString),
// e.g. `{ _id: ObjectId('...'), x: "a", n: 1.5 }`.
import type { Binary, BSONRegExp, Code, Document, Long, ObjectId, Timestamp } from 'bson';
import { bsonTypeName, toNumber } from './values';

function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'nan.0';
  if (n === Infinity) return 'inf.0';
  if (n === -Infinity) return '-inf.0';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${Object.is(n, -0) ? '-0' : String(n)}.0`;
  return String(n);
}

export function formatValue(v: unknown): string {
  switch (bsonTypeName(v)) {
    case 'double':
      return formatDouble(toNumber(v) as number);
    case 'int':
      return String(toNumber(v));
    case 'long':
      return typeof v === 'bigint' ? v.toString() : (v as Long).toString();
    case 'decimal':
      return `NumberDecimal("${String(v)}")`;
    case 'string':
      return JSON.stringify(v);
    case 'symbol':
      return JSON.stringify(String(v));
    case 'bool':
      return v ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'objectId':
      return `ObjectId('${(v as ObjectId).toHexString()}')`;
    case 'date':
      return `new Date(${(v as Date).getTime()})`;
    case 'timestamp':
      return `Timestamp(${(v as Timestamp).t}, ${(v as Timestamp).i})`;
    case 'binData': {
      const b = v as Binary;
      if (!('sub_type' in (v as object))) return `BinData(0, ${Buffer.from(v as Uint8Array).toString('hex').toUpperCase()})`;
      return `BinData(${b.sub_type}, ${Buffer.from(b.buffer.subarray(0, b.position)).toString('hex').toUpperCase()})`;
    }
    case 'regex':
      return v instanceof RegExp ? `/${v.source}/${v.flags}` : `/${(v as BSONRegExp).pattern}/${(v as BSONRegExp).options}`;
    case 'minKey':
      return 'MinKey';
    case 'maxKey':
      return 'MaxKey';
    case 'javascript':
    case 'javascriptWithScope':
      return String((v as Code).code);
    case 'array':
      return (v as unknown[]).length === 0 ? '[]' : `[ ${(v as unknown[]).map(formatValue).join(', ')} ]`;
    default:
      return formatDocument(v as Document);
  }
}

/** `name: value` as BSONElement::toString prints it. */
export function formatElement(name: string, value: unknown): string {
  return `${name}: ${formatValue(value)}`;
}

export function formatDocument(doc: Document): string {
  const keys = Object.keys(doc);
  if (keys.length === 0) return '{}';
  return `{ ${keys.map((k) => formatElement(k, doc[k])).join(', ')} }`;
}
