// `_id` values of every BSON type the server allows, made unique by a counter. Some kinds are
// chosen to break engines that do not compare `_id`s as the server does: consecutive Int64s above
// 2^53 (snowflake ids share one double per 256), Decimal128s that differ beyond double
// precision, embedded documents that differ only in field order, and numbers written with one
// BSON type and addressed with another (the server treats equal numbers as one `_id`).
import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId } from 'mongodb';
import type { SeededRandom } from '../workload';
import type { IdKind } from './config';

export interface GeneratedId {
  kind: IdKind;
  /** the value inserted, with its BSON type */
  value: unknown;
  /** other BSON values the server considers the same `_id` (numeric-alias only) */
  aliases: unknown[];
}

const SNOWFLAKE_BASE = 1n << 60n;
const BIG_DECIMAL_BASE = 123_456_789_012_345_678_901_234n;

function randomBytes(random: SeededRandom, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(256);
  return bytes;
}

/** Equal numbers in each numeric BSON type that can hold `n` exactly. */
function numericForms(n: bigint): unknown[] {
  const forms: unknown[] = [Long.fromBigInt(n), Decimal128.fromString(n.toString())];
  if (n >= -(2n ** 31n) && n < 2n ** 31n) forms.push(new Int32(Number(n)));
  if (BigInt(Number(n)) === n) forms.push(new Double(Number(n)));
  return forms;
}

export class IdFactory {
  private counter = 0;
  private embedded = 0;

  constructor(private readonly random: SeededRandom) {}

  /**
   * A new `_id` of `kind`. `taken` says whether MinKey/MaxKey already exist in the target
   * collection (there can be one of each); when both do, an int32 is returned instead.
   */
  next(kind: IdKind, taken: (value: unknown) => boolean): GeneratedId {
    const c = ++this.counter;
    const random = this.random;
    const id = (value: unknown, aliases: unknown[] = []): GeneratedId => ({ kind, value, aliases });
    switch (kind) {
      case 'int32':
        return id(new Int32(random.int(2) === 0 ? c : -c));
      case 'int64-snowflake':
        // consecutive, as a snowflake generator hands them out
        return id(Long.fromBigInt(SNOWFLAKE_BASE + BigInt(c)));
      case 'double':
        return id(new Double(c + 0.5 * (1 + random.int(3)) / 2));
      case 'decimal128':
        return random.int(2) === 0 ? id(Decimal128.fromString((BIG_DECIMAL_BASE + BigInt(c)).toString())) : id(Decimal128.fromString(`${c}.125`));
      case 'numeric-alias': {
        // a small number, or one above 2^53 that a double still holds exactly
        const n = random.int(2) === 0 ? 5_000_000n + BigInt(c) : SNOWFLAKE_BASE + 256n * BigInt(c);
        const forms = numericForms(n);
        const index = random.int(forms.length);
        return id(forms[index], forms.filter((_, i) => i !== index));
      }
      case 'string': {
        const variants = [`s-${c}`, `S-${c}`, `é-${c}`, `e\u0301-${c}`, `${c}-🙂`, `${c} `, `\u0000${c}`, `${'x'.repeat(random.int(200))}${c}`];
        return id(variants[random.int(variants.length)]);
      }
      case 'object-id':
        return id(ObjectId.createFromHexString(`${randomBytes(random, 4).toString('hex')}${c.toString(16).padStart(16, '0')}`));
      case 'date':
        return id(new Date((random.int(2) === 0 ? -1 : 1) * (1_000_000_000_000 + c * 1000)));
      case 'uuid':
        return id(new Binary(Buffer.concat([randomBytes(random, 12), Buffer.from(c.toString(16).padStart(8, '0'), 'hex')]), 4));
      case 'binary':
        return id(new Binary(Buffer.concat([Buffer.from(String(c)), randomBytes(random, random.int(12))]), random.int(2) === 0 ? 0 : 128));
      case 'embedded-document': {
        // the same fields in both orders are two distinct _ids
        const e = this.embedded++;
        const k = Math.floor(e / 2);
        const sub = k % 3 === 0 ? { sub: { y: [1, 2], x: null } } : {};
        return id(e % 2 === 0 ? { a: new Int32(k), b: `k${k}`, ...sub } : { b: `k${k}`, a: new Int32(k), ...sub });
      }
      case 'min-max-key': {
        if (!taken(new MinKey())) return id(new MinKey());
        if (!taken(new MaxKey())) return id(new MaxKey());
        return { kind: 'int32', value: new Int32(c), aliases: [] };
      }
    }
  }
}
