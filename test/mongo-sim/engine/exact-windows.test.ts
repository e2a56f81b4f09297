// $setWindowFields accumulates as the server's window functions do: int64 and decimal128 exactly,
// int32 sums widening to int64, $avg a decimal for decimals (sum / count in decimal) and a double
// otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { firstBatch, testEngine } from './test-support';

const W = Long.fromString('9007199254740993');
const RUNNING = { documents: ['unbounded', 'current'] };

async function windowed(output: Document): Promise<Document[]> {
  const t = testEngine();
  try {
    await t.run({
      insert: 'c',
      documents: [
        { _id: 1, k: W, d: Decimal128.fromString('0.1'), i: new Int32(2147483647), l: Long.fromNumber(2) },
        { _id: 2, k: Long.fromNumber(1), d: Decimal128.fromString('0.2'), i: new Int32(1), l: Long.fromNumber(4) },
        { _id: 3, k: Long.fromNumber(2), d: Decimal128.fromString('1.00000000000000000000000001'), i: new Int32(1), l: Long.fromNumber(9) },
      ],
    });
    const docs = firstBatch(await t.run({ aggregate: 'c', pipeline: [{ $setWindowFields: { sortBy: { _id: 1 }, output } }, { $sort: { _id: 1 } }], cursor: {} }));
    return docs;
  } finally {
    t.close();
  }
}

test('window $sum is exact for int64 beyond 2^53 and widens an int32 sum to int64', async () => {
  const docs = await windowed({ s: { $sum: '$k', window: RUNNING }, is: { $sum: '$i', window: RUNNING } });
  assert.deepEqual(docs.map((d) => d.s), [W, Long.fromString('9007199254740994'), Long.fromString('9007199254740996')]);
  assert.deepEqual(docs.map((d) => d.is), [new Int32(2147483647), Long.fromNumber(2147483648), Long.fromNumber(2147483649)]);
});

test('window $avg of decimals divides in decimal (an exact quotient keeps its preferred exponent)', async () => {
  const docs = await windowed({ a: { $avg: '$d', window: RUNNING } });
  assert.deepEqual(
    docs.map((d) => (d.a as Decimal128).toString()),
    ['0.1', '0.15', '0.4333333333333333333333333366666667'],
  );
});

test('window and group $avg of int64 values is a double', async () => {
  const docs = await windowed({ a: { $avg: '$l', window: { documents: [-1, 0] } } });
  assert.deepEqual(docs.map((d) => d.a), [new Double(2), new Double(3), new Double(6.5)]);
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, l: Long.fromNumber(2) }, { _id: 2, l: Long.fromNumber(4) }] });
    const [g] = firstBatch(await t.run({ aggregate: 'c', pipeline: [{ $group: { _id: null, a: { $avg: '$l' } } }], cursor: {} }));
    assert.deepEqual(g.a, new Double(3));
  } finally {
    t.close();
  }
});

test('$stdDevPop and $stdDevSamp (group and window) are doubles computed from every numeric type', async () => {
  const docs = await windowed({ sp: { $stdDevPop: '$k', window: { documents: [0, 1] } }, ss: { $stdDevSamp: '$d', window: RUNNING } });
  assert.deepEqual(docs.map((d) => d.sp), [new Double(4503599627370495.5), new Double(0.5), new Double(0)]);
  assert.equal(docs[0].ss, null);
  assert.ok(docs[1].ss instanceof Double && Math.abs(docs[1].ss.value - Math.SQRT1_2 / 10) < 1e-15);
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, d: Decimal128.fromString('1') }, { _id: 2, d: Decimal128.fromString('3') }] });
    const [g] = firstBatch(await t.run({ aggregate: 'c', pipeline: [{ $group: { _id: null, s: { $stdDevSamp: '$d' } } }], cursor: {} }));
    assert.deepEqual(g.s, new Double(Math.SQRT2));
  } finally {
    t.close();
  }
});
