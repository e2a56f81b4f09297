// The verifier's _id order over raw BSON must be the server's sort order exactly: checked on the
// server's documented examples, against the simulator's independent comparison of decoded
// values (property test over every type the generator makes), and against the sync's own
// identity of keys (equal under the order exactly when the same key).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'mongodb';
import { compareRawValues } from '../../../../src/sync/verify/bson-order';
import { stringOrderFor } from '../../../../src/sync/verify/collation-order';
import { rawDocumentId, type RawValue } from '../../../../src/sync/verify/raw-bson';
import { keyValueIdentity } from '../../../../src/sync/key-identity';
import { compareValues } from '../../../mongo-sim/engine/bson/compare';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`bson-order property seed: ${SEED} (rerun with FC_SEED=${SEED})`);

function raw(value: unknown): RawValue {
  return rawDocumentId(BSON.serialize({ _id: value }));
}

function order(a: unknown, b: unknown, collation?: Parameters<typeof stringOrderFor>[0]): number {
  return compareRawValues(raw(a), raw(b), stringOrderFor(collation));
}

const decode = (bytes: Uint8Array) => BSON.deserialize(bytes, { promoteValues: false, promoteLongs: false, bsonRegExp: true });

describe('compareRawValues', () => {
  it('orders types as the server does', () => {
    const ascending = [
      new MinKey(),
      null,
      new Int32(-5),
      'a',
      { a: 1 },
      [1],
      new Binary(Buffer.from([1])),
      new ObjectId('000000000000000000000001'),
      false,
      new Date(0),
      new Timestamp({ t: 1, i: 1 }),
      new BSONRegExp('a', 'i'),
      new Code('x'),
      new Code('x', { a: 1 }),
      new MaxKey(),
    ];
    for (let i = 0; i + 1 < ascending.length; i++) {
      assert.equal(order(ascending[i], ascending[i + 1]), -1, `${i}: ${BSON.EJSON.stringify({ v: ascending[i] })} < next`);
      assert.equal(order(ascending[i + 1], ascending[i]), 1);
    }
  });

  it('compares numbers by exact value across Int32, Int64, Double and Decimal128', () => {
    assert.equal(order(new Int32(1), new Double(1)), 0);
    assert.equal(order(Long.fromNumber(1), Decimal128.fromString('1.00')), 0);
    assert.equal(order(Long.fromString('9007199254740993'), new Double(2 ** 53)), 1, '2^53+1 as a long is above 2^53');
    assert.equal(order(new Double(0.1), Decimal128.fromString('0.1')), 1, 'the double nearest 0.1 is above 0.1');
    assert.equal(order(new Double(-0), new Int32(0)), 0);
    assert.equal(order(new Double(NaN), new Double(-Infinity)), -1, 'NaN sorts below every number');
    assert.equal(order(Decimal128.fromString('NaN'), new Double(NaN)), 0);
    assert.equal(order(Decimal128.fromString('-Infinity'), new Double(-Infinity)), 0);
    assert.equal(order(Decimal128.fromString('1E+400'), new Double(Infinity)), -1);
    assert.equal(order(Decimal128.fromString('1E+400'), new Double(1.7976931348623157e308)), 1);
    assert.equal(order(Long.fromString('-9223372036854775808'), new Double(-9223372036854775808)), 0);
    assert.equal(order(new Double(2.5), Long.fromNumber(2)), 1);
    assert.equal(order(new Double(-2.5), Long.fromNumber(-2)), -1);
  });

  it('compares strings by UTF-8 bytes, or under a collation', () => {
    assert.equal(order('a', 'b'), -1);
    assert.equal(order('b', 'ba'), -1);
    assert.equal(order('é', 'z'), 1, 'é (0xC3 0xA9) is above z in byte order');
    assert.equal(order('B', 'a'), -1);
    assert.equal(order(new BSONSymbol('a'), 'a'), 0, 'symbols and strings are one type');
    assert.equal(order('é', 'z', { locale: 'fr' }), -1);
    assert.equal(order('B', 'a', { locale: 'en' }), 1);
    assert.equal(order('A', 'a', { locale: 'en', strength: 2 }), 0);
    assert.equal(order({ k: 'A' }, { k: 'a' }, { locale: 'en', strength: 2 }), 0, 'nested strings are collated');
    assert.equal(order({ A: 1 }, { a: 1 }, { locale: 'en', strength: 2 }), -1, 'field names are never collated');
    assert.equal(order('10', '9', { locale: 'en', numericOrdering: true }), 1);
    assert.equal(order(new Code('B'), new Code('a'), undefined), -1);
  });

  it('compares documents by type, then field name, then value, the shorter first', () => {
    assert.equal(order({ a: 1 }, { b: 0 }), -1);
    assert.equal(order({ a: 1 }, { a: 1, b: 1 }), -1);
    assert.equal(order({ a: 'x' }, { a: 5 }), 1, 'a string value is above a number whatever the names');
    assert.equal(order({ a: new Int32(1), b: 2 }, { a: new Double(1), b: new Long(2) }), 0);
    assert.equal(order({ a: [1, 2] }, { a: [1, 3] }), -1);
  });

  it('compares binary by length, then subtype, then bytes', () => {
    assert.equal(order(new Binary(Buffer.from([9]), 0), new Binary(Buffer.from([0, 0]), 0)), -1);
    assert.equal(order(new Binary(Buffer.from([9]), 0), new Binary(Buffer.from([0]), 4)), -1);
    assert.equal(order(new Binary(Buffer.from([1]), 4), new Binary(Buffer.from([0]), 4)), 1);
  });

  it('compares dates as signed and timestamps as unsigned', () => {
    assert.equal(order(new Date(-1), new Date(1)), -1);
    assert.equal(order(new Timestamp(Long.fromString('18446744073709551615', true)), new Timestamp({ t: 1, i: 0 })), 1);
  });

  it('agrees with the simulator and with the sync key identity on generated values', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -3, max: 3 }).map((n) => new Int32(n)),
      fc.integer({ min: -3, max: 3 }).map((n) => Long.fromNumber(n)),
      fc.constantFrom(-1.5, -0, 0, 0.5, 1, 2, 2 ** 53, NaN, Infinity, -Infinity, 0.1).map((n) => new Double(n)),
      fc.constantFrom('0', '1.0', '-1.50', '0.1', '2', 'NaN', '-Infinity', '9007199254740993').map((s) => Decimal128.fromString(s)),
      fc.constant(Long.fromString('9007199254740993')),
      fc.string({ maxLength: 3 }),
      fc.constantFrom('é', 'z', '\u{1F600}', '\uFFFD', 'a\u0000b'),
      fc.uint8Array({ maxLength: 3 }).map((b) => new Binary(Buffer.from(b), 0)),
      fc.uint8Array({ maxLength: 2 }).map((b) => new Binary(Buffer.from(b), 4)),
      fc.integer({ min: 0, max: 3 }).map((n) => new ObjectId(n.toString(16).padStart(24, '0'))),
      fc.boolean(),
      fc.integer({ min: -2, max: 2 }).map((n) => new Date(n)),
      fc.integer({ min: 0, max: 2 }).map((n) => new Timestamp({ t: n, i: 1 })),
      fc.constantFrom(new BSONRegExp('a', ''), new BSONRegExp('a', 'i'), new BSONRegExp('b', '')),
      fc.constantFrom(null, new MinKey(), new MaxKey()),
      fc.constantFrom(new Code('f'), new Code('g')),
    );
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'é'), tie('value'), { maxKeys: 2 }),
      ),
    })).value;
    fc.assert(
      fc.property(value, value, (a, b) => {
        const rawA = raw(a);
        const rawB = raw(b);
        const ours = compareRawValues(rawA, rawB);
        const decodedA = decode(BSON.serialize({ _id: a }))._id;
        const decodedB = decode(BSON.serialize({ _id: b }))._id;
        assert.equal(ours, Math.sign(compareValues(decodedA, decodedB)) || 0, 'the simulator orders them alike');
        assert.equal(compareRawValues(rawB, rawA), -ours || 0, 'antisymmetric');
        assert.equal(ours === 0, keyValueIdentity(decodedA) === keyValueIdentity(decodedB), 'equal exactly when one key');
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});
