import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, Timestamp, serialize, type Document } from 'bson';
import { CommandError } from '../types';
import { applyOperatorUpdate, type OperatorUpdateOptions } from './operators';

const opts = (extra: Partial<OperatorUpdateOptions> = {}): OperatorUpdateOptions => ({
  inserting: false,
  now: () => new Date(1_700_000_000_000),
  tick: () => new Timestamp({ t: 1_700_000_000, i: 7 }),
  ...extra,
});

function apply(doc: Document, spec: Document, extra: Partial<OperatorUpdateOptions> = {}): Document {
  return applyOperatorUpdate(doc, spec, opts(extra)).after;
}

/** Same BSON bytes (plain JS integers serialize as int32, like Int32 wrappers). */
function sameBson(actual: unknown, expected: unknown): void {
  assert.deepEqual(Buffer.from(serialize({ v: actual })), Buffer.from(serialize({ v: expected })));
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CommandError, String(e));
    return e.code;
  }
  assert.fail('expected an error');
}

test('$set, $unset, $setOnInsert (only when inserting)', () => {
  assert.deepEqual(apply({ _id: 1, a: 1, b: 2 }, { $set: { 'c.d': 1 }, $unset: { b: '' } }), { _id: 1, a: 1, c: { d: 1 } });
  assert.deepEqual(apply({ _id: 1 }, { $setOnInsert: { x: 1 } }), { _id: 1 });
  assert.deepEqual(apply({ _id: 1 }, { $setOnInsert: { x: 1 } }, { inserting: true }), { _id: 1, x: 1 });
});

test('new fields are added in field-name order', () => {
  assert.deepEqual(Object.keys(apply({ _id: 1 }, { $set: { z: 1, b: 1 }, $inc: { m: 1 } })), ['_id', 'b', 'm', 'z']);
});

test('$inc and $mul follow the numeric promotion rules', () => {
  const r = apply(
    { _id: 1, i: new Int32(5), big: new Int32(2147483647), l: Long.fromNumber(1), d: new Double(1.5), dec: Decimal128.fromString('1') },
    { $inc: { i: new Int32(1), big: new Int32(1), l: new Int32(1), d: new Int32(1), dec: new Int32(2), missing: new Double(2) } },
  );
  assert.deepEqual(r.i, new Int32(6));
  assert.ok(r.big instanceof Long && r.big.toNumber() === 2147483648);
  assert.ok(r.l instanceof Long && r.l.toNumber() === 2);
  assert.deepEqual(r.d, new Double(2.5));
  assert.ok(r.dec instanceof Decimal128 && r.dec.toString() === '3');
  assert.deepEqual(r.missing, new Double(2));
  const m = apply({ _id: 1, i: new Int32(3) }, { $mul: { i: new Double(2), n: Long.fromNumber(5) } });
  assert.deepEqual(m.i, new Double(6));
  assert.ok(m.n instanceof Long && m.n.toNumber() === 0);
  const exact = apply({ _id: 1, l: Long.fromBigInt(2n ** 60n) }, { $inc: { l: Long.fromNumber(1) } });
  assert.equal((exact.l as Long).toBigInt(), 2n ** 60n + 1n);
});

test('$inc and $mul on decimal128 are exact beyond double precision and keep the scale', () => {
  const r = apply(
    { _id: 1, a: Decimal128.fromString('0.2'), b: Decimal128.fromString('1.00000000000000000000000001'), c: Decimal128.fromString('1.10') },
    { $inc: { a: Decimal128.fromString('0.1'), b: Decimal128.fromString('0.00000000000000000000000001') }, $mul: { c: Decimal128.fromString('3') } },
  );
  assert.equal((r.a as Decimal128).toString(), '0.3');
  assert.equal((r.b as Decimal128).toString(), '1.00000000000000000000000002');
  assert.equal((r.c as Decimal128).toString(), '3.30');
});

test('$inc errors: non-numeric target 14, non-numeric operand 14, int64 overflow 2', () => {
  assert.equal(code(() => apply({ _id: 1, a: 'x' }, { $inc: { a: 1 } })), 14);
  assert.equal(code(() => apply({ _id: 1, a: 1 }, { $inc: { a: 'x' } })), 14);
  assert.equal(code(() => apply({ _id: 1, a: Long.fromBigInt(2n ** 63n - 1n) }, { $inc: { a: new Int32(1) } })), 2);
});

test('$min, $max compare in BSON order; equal values keep the old type', () => {
  const r = apply({ _id: 1, a: new Int32(5), b: new Int32(5), c: new Int32(5) }, { $min: { a: new Double(3), c: new Double(5) }, $max: { b: 'str' } });
  assert.deepEqual(r, { _id: 1, a: new Double(3), b: 'str', c: new Int32(5) });
});

test('$rename moves the typed value', () => {
  assert.deepEqual(apply({ _id: 1, a: new Int32(1), b: 2 }, { $rename: { a: 'z.y' } }), { _id: 1, b: 2, z: { y: new Int32(1) } });
});

test('$currentDate gives a Date or a Timestamp', () => {
  const r = apply({ _id: 1 }, { $currentDate: { d: true, t: { $type: 'timestamp' } } });
  assert.ok(r.d instanceof Date);
  assert.ok(r.t instanceof Timestamp && r.t.i === 7);
});

test('$push with $each/$position/$slice/$sort, $addToSet, $pop, $pull, $pullAll', () => {
  sameBson(apply({ _id: 1, a: [5, 1] }, { $push: { a: { $each: [4, 2], $sort: 1, $slice: 3 } } }).a, [1, 2, 4]);
  sameBson(apply({ _id: 1, a: [1] }, { $push: { a: { $each: [0], $position: 0 } } }).a, [0, 1]);
  sameBson(apply({ _id: 1, a: [1, 2] }, { $addToSet: { a: { $each: [2, 3] } } }).a, [1, 2, 3]);
  sameBson(apply({ _id: 1, a: [1, 2, 3] }, { $pop: { a: -1 } }).a, [2, 3]);
  sameBson(apply({ _id: 1, a: [{ x: 1 }, { x: 5 }] }, { $pull: { a: { x: { $gt: 2 } } } }).a, [{ x: 1 }]);
  sameBson(apply({ _id: 1, a: [1, 2, 3, 1] }, { $pullAll: { a: [1, 3] } }).a, [2]);
  assert.equal(code(() => apply({ _id: 1, a: 1 }, { $push: { a: 2 } })), 2);
  assert.equal(code(() => apply({ _id: 1, a: 1 }, { $pop: { a: 1 } })), 14);
});

test('$push keeps the types of pushed values and of existing elements', () => {
  const r = apply({ _id: 1, a: [new Double(1)] }, { $push: { a: new Int32(1) } });
  assert.deepEqual(r.a, [new Double(1), new Int32(1)]);
});

test('$bit and/or/xor on int32 and int64', () => {
  const r = apply({ _id: 1, a: new Int32(13), b: Long.fromNumber(1) }, { $bit: { a: { and: new Int32(10) }, b: { or: new Int32(6) } } });
  assert.deepEqual(r.a, new Int32(8));
  assert.ok(r.b instanceof Long && r.b.toNumber() === 7);
});

test('positional $, $[] and $[id] with arrayFilters', () => {
  const doc = { _id: 1, items: [{ k: 'a', n: 1 }, { k: 'b', n: 2 }], grid: [[1, 2], [3]] };
  assert.deepEqual(apply(doc, { $set: { 'items.$.n': 9 } }, { query: { 'items.k': 'b' } }).items, [{ k: 'a', n: 1 }, { k: 'b', n: 9 }]);
  assert.deepEqual(apply(doc, { $inc: { 'grid.$[].$[]': 10 } }).grid, [[new Int32(11), new Int32(12)], [new Int32(13)]]);
  assert.deepEqual(
    apply(doc, { $set: { 'items.$[e].n': 0 } }, { arrayFilters: [{ 'e.n': { $gt: 1 } }] }).items,
    [{ k: 'a', n: 1 }, { k: 'b', n: 0 }],
  );
  assert.equal(code(() => apply(doc, { $set: { 'items.$[e].n': 0 } })), 2);
  assert.equal(code(() => apply(doc, { $set: { 'items.n': 0 } }, { arrayFilters: [{ 'x.n': 1 }] })), 9);
  assert.equal(code(() => apply(doc, { $set: { 'items.$.n': 0 } }, { query: { _id: 1 } })), 2);
});

test('spec errors: unknown modifier 9, conflicts 40, path not viable 28', () => {
  assert.equal(code(() => apply({ _id: 1 }, { $foo: { a: 1 } })), 9);
  assert.equal(code(() => apply({ _id: 1 }, { $set: 1 })), 9);
  assert.equal(code(() => apply({ _id: 1 }, { $set: { a: 1 }, $inc: { 'a.b': 1 } })), 40);
  assert.equal(code(() => apply({ _id: 1, a: 1 }, { $set: { 'a.b': 1 } })), 28);
});

test('a no-op update reports unchanged', () => {
  const r = applyOperatorUpdate({ _id: 1, a: new Int32(1) }, { $set: { a: new Int32(1) } }, opts());
  assert.equal(r.changed, false);
  const typeChange = applyOperatorUpdate({ _id: 1, a: new Int32(1) }, { $set: { a: new Double(1) } }, opts());
  assert.equal(typeChange.changed, true);
});

test('$addToSet and $pullAll use BSON equality: numbers by value, documents by field order', () => {
  const r = apply({ _id: 1, a: [new Int32(1), { x: 1, y: 2 }] }, { $addToSet: { a: { $each: [new Double(1), { y: 2, x: 1 }] } } });
  assert.deepEqual(r.a, [new Int32(1), { x: 1, y: 2 }, { y: 2, x: 1 }]);
  const p = apply({ _id: 1, a: [new Int32(1), new Double(2), { x: 1, y: 2 }] }, { $pullAll: { a: [Long.fromNumber(2), { y: 2, x: 1 }] } });
  assert.deepEqual(p.a, [new Int32(1), { x: 1, y: 2 }]);
});
