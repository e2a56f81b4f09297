// Query operators over arrays of plain values and $mod compare numbers by exact value across
// types, as the server does: an int64 beyond 2^53 never matches its neighbour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { firstBatch, testEngine, assertCommandError } from './test-support';

const W = Long.fromString('9007199254740993');
const W_NEIGHBOUR = Long.fromString('9007199254740992');
const W_DECIMAL = Decimal128.fromString('9007199254740993');
const D_A = Decimal128.fromString('1.00000000000000000000000000');
const D_B = Decimal128.fromString('1.00000000000000000000000001');

async function ids(t: ReturnType<typeof testEngine>, filter: Document): Promise<unknown[]> {
  return firstBatch(await t.run({ find: 'c', filter, sort: { _id: 1 } })).map((d) => d._id);
}

async function seeded(): Promise<ReturnType<typeof testEngine>> {
  const t = testEngine();
  await t.run({
    insert: 'c',
    documents: [
      { _id: 1, a: [W], d: [D_B] },
      { _id: 2, a: [W_NEIGHBOUR], d: [D_A] },
      { _id: 3, a: [W_DECIMAL, new Int32(1)], d: [new Int32(1)] },
    ],
  });
  return t;
}

test('$elemMatch over an array of numbers compares exactly across types', async () => {
  const t = await seeded();
  try {
    assert.deepEqual(await ids(t, { a: { $elemMatch: { $eq: W } } }), [1, 3]);
    assert.deepEqual(await ids(t, { a: { $elemMatch: { $gt: W_NEIGHBOUR } } }), [1, 3]);
    assert.deepEqual(await ids(t, { a: { $elemMatch: { $gte: W_NEIGHBOUR, $lt: W } } }), [2]);
    assert.deepEqual(await ids(t, { d: { $elemMatch: { $gt: D_A } } }), [1]);
    assert.deepEqual(await ids(t, { d: { $elemMatch: { $in: [D_A] } } }), [2, 3]);
    assert.deepEqual(await ids(t, { a: { $elemMatch: { $not: { $eq: W } } } }), [2, 3]);
  } finally {
    t.close();
  }
});

test('$all and array equality compare exactly across types', async () => {
  const t = await seeded();
  try {
    assert.deepEqual(await ids(t, { a: { $all: [W] } }), [1, 3]);
    assert.deepEqual(await ids(t, { a: { $all: [W_NEIGHBOUR] } }), [2]);
    assert.deepEqual(await ids(t, { a: { $all: [W_DECIMAL, new Double(1)] } }), [3]);
    assert.deepEqual(await ids(t, { a: { $all: [{ $elemMatch: { $lt: W } }] } }), [2, 3]);
    assert.deepEqual(await ids(t, { d: { $all: [D_B] } }), [1]);
    assert.deepEqual(await ids(t, { a: [W] }), [1]);
    assert.deepEqual(await ids(t, { a: [W_DECIMAL, 1] }), [3]);
    assert.deepEqual(await ids(t, { a: { $all: [] } }), []);
  } finally {
    t.close();
  }
});

test('$mod (query) computes on the exact integer value of int64, double and decimal fields', async () => {
  const t = testEngine();
  try {
    await t.run({
      insert: 'c',
      documents: [
        { _id: 1, n: W },
        { _id: 2, n: W_NEIGHBOUR },
        { _id: 3, n: W_DECIMAL },
        { _id: 4, n: Decimal128.fromString('7.9') },
        { _id: 5, n: new Double(-7.5) },
        { _id: 6, n: [new Int32(4), W] },
      ],
    });
    assert.deepEqual(await ids(t, { n: { $mod: [2, 1] } }), [1, 3, 4, 6]);
    assert.deepEqual(await ids(t, { n: { $mod: [Long.fromString('4503599627370497'), 0] } }), []);
    assert.deepEqual(await ids(t, { n: { $mod: [Long.fromNumber(1000), Long.fromNumber(993)] } }), [1, 3, 6]);
    assert.deepEqual(await ids(t, { n: { $mod: [4, -3] } }), [5]);
    await assertCommandError(t.run({ find: 'c', filter: { n: { $mod: [0, 1] } } }), 2, 'BadValue', /divisor cannot be 0/);
  } finally {
    t.close();
  }
});
