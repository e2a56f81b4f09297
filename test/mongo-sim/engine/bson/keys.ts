// Canonical string keys for BSON values: two values get the same key exactly when the server's
// index comparison considers them equal (numbers compare by exact value across int/long/double/decimal;
// documents compare field names and order). Used for _id lookup and unique index checks.
import type { Binary, BSONRegExp, Code, Decimal128, Document, Long, ObjectId, Timestamp } from 'bson';
import type { Collation } from './collation';
import { exactFromDecimal, exactFromDouble, exactKey } from './exact-number';

function numberKey(n: number): string {
  // safe integers (and -0) print as their exact integer; everything else takes the exact path
  if (Number.isSafeInteger(n)) return n === 0 ? '0' : String(n);
  return exactKey(exactFromDouble(n));
}

function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function keyOf(v: unknown, nested: boolean, collation?: Collation): string {
  switch (typeof v) {
    case 'number':
      return 'n' + numberKey(v);
    case 'string': {
      const s = collation ? collation.key(v) : v;
      return nested ? 's' + JSON.stringify(s) : 's' + s;
    }
    case 'boolean':
      return v ? 'b1' : 'b0';
    case 'undefined':
      return 'z';
    case 'bigint':
      return 'n' + v.toString();
  }
  if (v === null) return 'z';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + keyOf(v[i], true, collation);
    return out + ']';
  }
  if (v instanceof Date) return 'd' + v.getTime();
  if (v instanceof RegExp) return 'r' + JSON.stringify([v.source, v.flags]);
  if (ArrayBuffer.isView(v)) return 'x0:' + bytesKey(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  switch ((v as { _bsontype?: string })._bsontype) {
    case 'ObjectId':
      return 'o' + (v as ObjectId).toHexString();
    case 'Int32':
    case 'Double':
      return 'n' + numberKey((v as { value: number }).value);
    case 'Long':
      return 'n' + (v as Long).toBigInt().toString();
    case 'Decimal128':
      return 'n' + exactKey(exactFromDecimal(v as Decimal128));
    case 'Binary': {
      const b = v as Binary;
      return 'x' + b.sub_type + ':' + bytesKey(b.buffer.subarray(0, b.position));
    }
    case 'Timestamp':
      return 't' + (v as Timestamp).toBigInt().toString();
    case 'BSONRegExp':
      return 'r' + JSON.stringify([(v as BSONRegExp).pattern, (v as BSONRegExp).options]);
    case 'MinKey':
      return 'm-';
    case 'MaxKey':
      return 'm+';
    case 'BSONSymbol': {
      const s = collation ? collation.key(String(v)) : String(v);
      return nested ? 's' + JSON.stringify(s) : 's' + s;
    }
    case 'Code': {
      const c = v as Code;
      return 'c' + JSON.stringify(String(c.code)) + (c.scope ? keyOf(c.scope, true) : '');
    }
  }
  let out = '{';
  let first = true;
  for (const k of Object.keys(v as Document)) {
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + keyOf((v as Document)[k], true, collation);
    first = false;
  }
  return out + '}';
}

/** The canonical key of one value (e.g. an `_id`); strings compared under `collation` when given. */
export function canonicalKey(v: unknown, collation?: Collation): string {
  return keyOf(v, false, collation);
}

/** The canonical key of a compound index key (one value per key-pattern field). */
export function compoundKey(values: unknown[], collation?: Collation): string {
  if (values.length === 1) return keyOf(values[0], false, collation);
  let out = '';
  for (let i = 0; i < values.length; i++) out += (i ? '\u0000' : '') + keyOf(values[i], true, collation);
  return out;
}
