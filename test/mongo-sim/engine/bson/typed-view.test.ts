import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  serialize,
  type Document,
} from 'bson';
import { retype, retypeDoc, toView, toViewDoc } from './typed-view';
import { bsonEquals } from './compare';

/** Arbitrary typed BSON values of every kind the engine stores. */
const scalar = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }).map((n) => new Int32(n)),
  fc.double({ noNaN: true }).map((n) => new Double(n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromBigInt(n)),
  fc.integer().map((n) => Decimal128.fromString(String(n))),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 8 }).map((b) => new ObjectId(Buffer.concat([Buffer.from(b), Buffer.alloc(12)]).subarray(0, 12))),
  fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.constantFrom(0, 4, 5, 128)).map(([b, t]) => new Binary(Buffer.from(b), t)),
  fc.tuple(fc.nat(), fc.nat()).map(([t, i]) => new Timestamp({ t, i })),
  fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms)),
  fc.constantFrom(new BSONRegExp('a.c', 'i'), new BSONRegExp('^x', 'mx')),
  fc.constant(new MinKey()),
  fc.constant(new MaxKey()),
);

const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);

const { value: typedValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('doc'), tie('arr')),
  doc: fc.dictionary(fieldName, tie('value'), { maxKeys: 5 }),
  arr: fc.array(tie('value'), { maxLength: 4 }),
}));

const typedDoc = fc.dictionary(fieldName, typedValue, { maxKeys: 6 }) as fc.Arbitrary<Document>;

test('a typed document survives view and retype unchanged (same BSON bytes)', () => {
  fc.assert(
    fc.property(typedDoc, (doc) => {
      const back = retypeDoc(toViewDoc(doc), doc);
      assert.deepEqual(Buffer.from(serialize(back)), Buffer.from(serialize(doc)));
    }),
    { numRuns: 300 },
  );
});

test('a value retyped only against the request pool gets the pool value back', () => {
  fc.assert(
    fc.property(typedValue, (v) => {
      const back = retype(toView(v), undefined, { pool: [v] });
      assert.ok(bsonEquals(back, v));
    }),
    { numRuns: 300 },
  );
});

test('toView converts numeric wrappers and regexes, and copies containers', () => {
  const doc = { a: new Int32(1), b: new Double(2.5), c: Long.fromNumber(3), d: Decimal128.fromString('4.5'), r: new BSONRegExp('x', 'i'), n: { m: [new Int32(7)] } };
  const view = toViewDoc(doc);
  assert.deepEqual(view, { a: 1, b: 2.5, c: 3, d: 4.5, r: /x/i, n: { m: [7] } });
  (view.n as Document).m = [];
  assert.equal(((doc.n as Document).m as unknown[]).length, 1);
});

test('unchanged fields keep their type; changed numbers take the typed value from hints', () => {
  const old = { _id: new Int32(1), a: new Double(1), b: Long.fromNumber(5), c: [new Int32(1), new Double(2)] };
  const view = { _id: 1, a: 1, b: 6, c: [new Double(2).value, 1], d: 3 };
  const out = retypeDoc(view, old, { byPath: new Map([['b', Long.fromNumber(6)]]), pool: [new Double(3)] });
  assert.ok(out._id instanceof Int32);
  assert.ok(out.a instanceof Double);
  assert.ok(out.b instanceof Long && out.b.toNumber() === 6);
  // array elements that moved keep their own types
  assert.ok((out.c as unknown[])[0] instanceof Double);
  assert.ok((out.c as unknown[])[1] instanceof Int32);
  assert.ok(out.d instanceof Double);
});

test('numbers with no typed origin get the bson serializer default type', () => {
  const out = retypeDoc({ i: 5, f: 1.5, big: 2 ** 40 }, undefined);
  assert.ok(out.i instanceof Int32);
  assert.ok(out.f instanceof Double);
  assert.ok(out.big instanceof Double);
});

test('field order follows the view', () => {
  const old = { _id: 1, a: new Int32(1), b: new Int32(2) };
  const out = retypeDoc({ _id: 1, b: 2, a: 1 }, old);
  assert.deepEqual(Object.keys(out), ['_id', 'b', 'a']);
});
