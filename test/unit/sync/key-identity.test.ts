// The apply queue's key must be the server's identity of an _id: numbers equal by exact value
// whatever their BSON type, everything else by exact value. Checked against an exact rational
// reference (property tests) and on the examples that used to merge distinct documents.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'mongodb';
import { coalesceQueue, planApply, type PlannedWrite } from '../../../src/sync/apply-batching';
import type { CrudWrite, EventTranslation } from '../../../src/sync/event-translation';
import { keyValueIdentity } from '../../../src/sync/key-identity';

// ------------------------------------------------------------------ exact reference

/** An exact rational num/den (den > 0), or a special value. */
type Exact = { kind: 'finite'; num: bigint; den: bigint } | { kind: 'nan' } | { kind: 'inf'; negative: boolean };

function doubleExact(d: number): Exact {
  if (Number.isNaN(d)) return { kind: 'nan' };
  if (!Number.isFinite(d)) return { kind: 'inf', negative: d < 0 };
  // Doubling is exact for doubles, and a finite double becomes an integer after at most 1074 doublings.
  let x = d;
  let den = 1n;
  while (!Number.isInteger(x)) {
    x *= 2;
    den *= 2n;
  }
  return { kind: 'finite', num: BigInt(x), den };
}

function decimalExact(value: Decimal128): Exact {
  const text = value.toString();
  if (text === 'NaN') return { kind: 'nan' };
  if (text === 'Infinity' || text === '-Infinity') return { kind: 'inf', negative: text.startsWith('-') };
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/.exec(text);
  assert.ok(match, `unexpected Decimal128 text ${text}`);
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText) - fraction.length;
  let num = BigInt(`${whole}${fraction}`) * (sign ? -1n : 1n);
  let den = 1n;
  if (exponent >= 0) num *= 10n ** BigInt(exponent);
  else den = 10n ** BigInt(-exponent);
  return { kind: 'finite', num, den };
}

function exactOf(value: unknown): Exact {
  if (typeof value === 'number') return doubleExact(value);
  if (typeof value === 'bigint') return { kind: 'finite', num: value, den: 1n };
  if (value instanceof Int32) return { kind: 'finite', num: BigInt(value.value), den: 1n };
  if (value instanceof Double) return doubleExact(value.value);
  if (value instanceof Long) return { kind: 'finite', num: value.toBigInt(), den: 1n };
  if (value instanceof Decimal128) return decimalExact(value);
  throw new Error(`not a number: ${String(value)}`);
}

/** The server's numeric equality: exact value; NaNs equal each other; -0 equals 0. */
function serverEqual(a: unknown, b: unknown): boolean {
  const x = exactOf(a);
  const y = exactOf(b);
  if (x.kind === 'nan' || y.kind === 'nan') return x.kind === y.kind;
  if (x.kind === 'inf' || y.kind === 'inf') return x.kind === 'inf' && y.kind === 'inf' && x.negative === y.negative;
  return x.num * y.den === y.num * x.den;
}

// ------------------------------------------------------------------ arbitraries

const TWO_63 = 2n ** 63n;
const longArb = fc.bigInt(-TWO_63, TWO_63 - 1n).map((n) => Long.fromBigInt(n));
const int32Arb = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => new Int32(n));
const doubleArb = fc.tuple(fc.double(), fc.boolean()).map(([d, wrapped]) => (wrapped ? new Double(d) : d));
const digitsArb = fc.stringMatching(/^[0-9]{1,34}$/);
const decimalTextArb = fc
  .tuple(fc.boolean(), digitsArb, fc.integer({ min: -6176, max: 6111 }))
  .map(([negative, digits, exponent]) => `${negative ? '-' : ''}${digits}E${exponent}`);
const decimalArb = fc
  .oneof(decimalTextArb, fc.constantFrom('NaN', '-NaN', 'Infinity', '-Infinity', '0', '-0', '0E+300', '-0E-300', '1.000', '9007199254740993'))
  .map((text) => Decimal128.fromString(text));

/** Numbers that often equal each other across types: one value in several BSON types. */
const relatedArb = fc.oneof(
  fc.bigInt(-TWO_63, TWO_63 - 1n).chain((n) =>
    fc.constantFrom<unknown>(Long.fromBigInt(n), Decimal128.fromString(n.toString()), Decimal128.fromString(`${n}.000`), Number(n), n),
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).chain((d) => {
    const exact = doubleExact(d) as { num: bigint; den: bigint };
    // d's exact decimal expansion (den is a power of two, so it terminates)
    let scale = 0;
    let num = exact.num;
    let den = exact.den;
    while (den > 1n) {
      num *= 5n;
      den /= 2n;
      scale++;
    }
    const digits = (num < 0n ? -num : num).toString();
    const exactText = `${num < 0n ? '-' : ''}${digits}E-${scale}`;
    const options: unknown[] = [d, new Double(d), Decimal128.fromString(String(d))];
    if (digits.length <= 34) options.push(Decimal128.fromString(exactText));
    if (Number.isInteger(d) && Math.abs(d) < 2 ** 63) options.push(Long.fromBigInt(BigInt(d)));
    return fc.constantFrom(...options);
  }),
);

const numberArb = fc.oneof(relatedArb, longArb, int32Arb, doubleArb, decimalArb);

/** A DBRef's $id may be any BSON value; the driver's type says ObjectId. */
const anyId = (value: unknown): ObjectId => value as ObjectId;

// ------------------------------------------------------------------ tests

describe('key identity of numbers (property, against an exact reference)', () => {
  it('two numbers share a key exactly when the server holds them equal', () => {
    fc.assert(
      fc.property(numberArb, numberArb, (a, b) => {
        assert.equal(keyValueIdentity(a) === keyValueIdentity(b), serverEqual(a, b), `${String(a)} vs ${String(b)}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('also inside embedded documents and arrays', () => {
    fc.assert(
      fc.property(numberArb, numberArb, (a, b) => {
        assert.equal(keyValueIdentity({ k: a, s: 'x' }) === keyValueIdentity({ k: b, s: 'x' }), serverEqual(a, b));
        assert.equal(keyValueIdentity({ k: [a] }) === keyValueIdentity({ k: [b] }), serverEqual(a, b));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('key identity examples', () => {
  it('1, 1.0, NumberLong(1), NumberDecimal("1.00") are one key', () => {
    const keys = new Set([1, new Int32(1), new Double(1), Long.fromNumber(1), Decimal128.fromString('1.00'), 1n].map(keyValueIdentity));
    assert.equal(keys.size, 1);
  });

  it('256 consecutive Int64 ids above 2^53 are 256 keys', () => {
    const first = 2n ** 53n;
    const ids = Array.from({ length: 256 }, (_v, i) => Long.fromBigInt(first + BigInt(i)));
    assert.equal(new Set(ids.map(keyValueIdentity)).size, 256);
    assert.notEqual(keyValueIdentity(Long.fromBigInt(first + 1n)), keyValueIdentity(Long.fromBigInt(first)));
    assert.notEqual(keyValueIdentity(Long.fromBigInt(first + 1n)), keyValueIdentity(new Double(Number(first))));
    assert.equal(keyValueIdentity(Long.fromBigInt(first)), keyValueIdentity(new Double(Number(first))));
  });

  it('Decimal128 values that differ beyond double precision are distinct keys', () => {
    const a = Decimal128.fromString('1.000000000000000000000000000000001');
    const b = Decimal128.fromString('1.000000000000000000000000000000002');
    assert.notEqual(keyValueIdentity(a), keyValueIdentity(b));
    assert.notEqual(keyValueIdentity(a), keyValueIdentity(1));
    // 0.1 as a double is not exactly one tenth
    assert.notEqual(keyValueIdentity(Decimal128.fromString('0.1')), keyValueIdentity(0.1));
    assert.equal(keyValueIdentity(Decimal128.fromString('0.5')), keyValueIdentity(0.5));
  });

  it('NaN, zeros and infinities compare as the server does', () => {
    assert.equal(keyValueIdentity(NaN), keyValueIdentity(Decimal128.fromString('NaN')));
    assert.equal(keyValueIdentity(Decimal128.fromString('-NaN')), keyValueIdentity(new Double(NaN)));
    assert.equal(keyValueIdentity(-0), keyValueIdentity(0));
    assert.equal(keyValueIdentity(Decimal128.fromString('-0E+10')), keyValueIdentity(new Int32(0)));
    assert.equal(keyValueIdentity(Infinity), keyValueIdentity(Decimal128.fromString('Infinity')));
    assert.notEqual(keyValueIdentity(Infinity), keyValueIdentity(-Infinity));
    assert.notEqual(keyValueIdentity(NaN), keyValueIdentity(0));
    assert.notEqual(keyValueIdentity(Decimal128.fromString('1E+400')), keyValueIdentity(Number.MAX_VALUE));
  });

  it('strings and symbols alike; embedded documents by field order; other types by exact value', () => {
    assert.equal(keyValueIdentity('a'), keyValueIdentity(new BSONSymbol('a')));
    assert.notEqual(keyValueIdentity({ a: 1, b: 2 }), keyValueIdentity({ b: 2, a: 1 }));
    assert.equal(keyValueIdentity({ a: 1, b: new Int32(2) }), keyValueIdentity({ a: new Double(1), b: Long.fromNumber(2) }));
    const distinct = [
      '1',
      1,
      true,
      false,
      null,
      undefined,
      new MinKey(),
      new MaxKey(),
      new Date(1),
      new Timestamp({ t: 0, i: 1 }),
      new ObjectId('000000000000000000000001'),
      new Binary(Buffer.from([1]), 0),
      new Binary(Buffer.from([1]), 4),
      new Binary(Buffer.from([1, 0]), 0),
      new BSONRegExp('a', 'i'),
      new BSONRegExp('a', ''),
      new Code('x'),
      new Code('x', { a: 1 }),
      new Code('x', { a: 2 }),
      [1],
      { 0: 1 },
      { a: 1 },
      { a: '1' },
      new DBRef('c', new ObjectId('000000000000000000000001')),
      new DBRef('c', anyId(1)),
    ];
    assert.equal(new Set(distinct.map(keyValueIdentity)).size, distinct.length);
    assert.equal(keyValueIdentity(new Code('x', { a: 1 })), keyValueIdentity(new Code('x', { a: new Double(1) })));
    assert.equal(keyValueIdentity(new DBRef('c', anyId(1))), keyValueIdentity(new DBRef('c', anyId(Long.fromNumber(1)))));
  });
});

// ------------------------------------------------------------------ the apply queue

const ns = { db: 'app', coll: 'ids' };

function update(id: unknown, fields: Record<string, unknown>): EventTranslation {
  return { kind: 'crud', operationType: 'update', ns, documentKey: { _id: id }, writes: [{ kind: 'update', update: { $set: fields } }] };
}

function remove(id: unknown): EventTranslation {
  return { kind: 'crud', operationType: 'delete', ns, documentKey: { _id: id }, writes: [{ kind: 'delete' }] };
}

function plannedWrites(translations: EventTranslation[]): PlannedWrite[] {
  const plan = planApply(translations);
  return plan.steps.flatMap((step) => (step.kind === 'crud' ? step.queues.flatMap((q) => q.writes) : []));
}

describe('the apply queue with snowflake-style and Decimal128 ids', () => {
  it('updates and deletes of 256 consecutive Int64 ids above 2^53 each keep their own write', () => {
    const first = 2n ** 53n + 1000n;
    const ids = Array.from({ length: 256 }, (_v, i) => Long.fromBigInt(first + BigInt(i)));
    const translations = ids.map((id, i) => (i % 3 === 0 ? remove(id) : update(id, { v: i })));
    const writes = plannedWrites(translations);
    assert.equal(writes.length, 256);
    for (const [i, id] of ids.entries()) {
      const own = writes.filter((w) => (w.documentKey._id as Long).equals(id));
      assert.equal(own.length, 1, `id ${id.toString()}`);
      assert.deepEqual(own[0]!.covers, [i]);
      const expected: CrudWrite = i % 3 === 0 ? { kind: 'delete' } : { kind: 'update', update: { $set: { v: i } } };
      assert.deepEqual(own[0]!.write, expected);
    }
  });

  it('Decimal128 ids that differ beyond double precision are not coalesced', () => {
    const a = Decimal128.fromString('12345678901234567890.123456789');
    const b = Decimal128.fromString('12345678901234567890.123456788');
    const writes = plannedWrites([update(a, { v: 1 }), remove(b), update(a, { v: 2 })]);
    assert.equal(writes.length, 2);
    const ofA = writes.filter((w) => w.documentKey._id === a);
    const ofB = writes.filter((w) => w.documentKey._id === b);
    assert.deepEqual(ofA.map((w) => [w.write, w.covers]), [[{ kind: 'update', update: { $set: { v: 2 } } }, [0, 2]]]);
    assert.deepEqual(ofB.map((w) => [w.write, w.covers]), [[{ kind: 'delete' }, [1]]]);
  });

  it('coalesceQueue is only ever handed one document', () => {
    const ids = [Long.fromBigInt(2n ** 60n), Long.fromBigInt(2n ** 60n + 1n)];
    const plan = planApply(ids.map((id) => remove(id)));
    const step = plan.steps[0]!;
    assert.ok(step.kind === 'crud');
    for (const queue of step.queues) {
      assert.equal(new Set(queue.writes.map((w) => (w.documentKey._id as Long).toString())).size, 1);
      assert.deepEqual(coalesceQueue(queue.writes), queue.writes);
    }
  });
});
