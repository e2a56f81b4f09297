// Numbers in aggregation pipelines and pipeline-style updates stay exact and typed: int64 values
// beyond 2^53 and decimal128 values beyond double precision are grouped, compared, sorted and
// computed by their exact value, and arithmetic gives the server's result types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { firstBatch, testEngine } from './test-support';

const TWO_53 = Long.fromString('9007199254740992');
const TWO_53_PLUS_1 = Long.fromString('9007199254740993');
const DEC_A = Decimal128.fromString('1.00000000000000000000000000');
const DEC_B = Decimal128.fromString('1.00000000000000000000000001');

async function seeded(): Promise<ReturnType<typeof testEngine>> {
  const t = testEngine();
  await t.run({
    insert: 'c',
    documents: [
      { _id: 1, k: TWO_53, d: DEC_A },
      { _id: 2, k: TWO_53_PLUS_1, d: DEC_B },
      { _id: 3, k: TWO_53_PLUS_1, d: DEC_B },
    ],
  });
  return t;
}

async function aggregate(t: ReturnType<typeof testEngine>, pipeline: Document[]): Promise<Document[]> {
  return firstBatch(await t.run({ aggregate: 'c', pipeline, cursor: {} }));
}

test('$group keys: int64 and decimal128 values that differ beyond double precision are distinct groups of their type', async () => {
  const t = await seeded();
  const byLong = await aggregate(t, [{ $group: { _id: '$k', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
  assert.deepEqual(byLong, [
    { _id: TWO_53, n: new Int32(1) },
    { _id: TWO_53_PLUS_1, n: new Int32(2) },
  ]);
  const byDecimal = await aggregate(t, [{ $group: { _id: '$d', n: { $sum: 1 } } }, { $sort: { _id: -1 } }]);
  assert.equal(byDecimal.length, 2);
  assert.equal((byDecimal[0]._id as Decimal128).toString(), DEC_B.toString());
  assert.equal(byDecimal[0].n.valueOf(), 2);
  assert.ok(byDecimal[1]._id instanceof Decimal128 || byDecimal[1]._id === 1 || byDecimal[1]._id instanceof Int32);
  t.close();
});

test('$sum, $max and $min accumulate int64 and decimal128 exactly and keep their type', async () => {
  const t = await seeded();
  const [r] = await aggregate(t, [{ $group: { _id: null, s: { $sum: '$k' }, mx: { $max: '$k' }, mn: { $min: '$d' }, ds: { $sum: '$d' } } }]);
  assert.deepEqual(r.s, Long.fromString('27021597764222978'));
  assert.deepEqual(r.mx, TWO_53_PLUS_1);
  assert.equal((r.mn as Decimal128).toString(), DEC_A.toString());
  assert.equal((r.ds as Decimal128).toString(), '3.00000000000000000000000002');
  t.close();
});

test('expression comparisons and $sort after a $group compare exact values', async () => {
  const t = await seeded();
  const flags = await aggregate(t, [{ $project: { eq: { $eq: ['$k', TWO_53_PLUS_1] }, gt: { $gt: ['$d', DEC_A] }, cmp: { $cmp: ['$k', TWO_53] } } }]);
  assert.deepEqual(
    flags.map((d) => [d.eq, d.gt, d.cmp.valueOf()]),
    [
      [false, false, 0],
      [true, true, 1],
      [true, true, 1],
    ],
  );
  const sorted = await aggregate(t, [{ $group: { _id: '$_id', k: { $first: '$k' } } }, { $sort: { k: -1, _id: 1 } }]);
  assert.deepEqual(sorted.map((d) => d._id), [2, 3, 1]);
  t.close();
});

test('arithmetic keeps the server result types: int64 stays int64, int32 overflows to int64, int64 to double, decimal keeps scale', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: Long.fromNumber(5), b: Long.fromNumber(2), i: new Int32(2147483647), big: TWO_53_PLUS_1, d: DEC_A }] });
  const [r] = await aggregate(t, [
    {
      $project: {
        _id: 0,
        sum: { $add: ['$a', '$b'] },
        product: { $multiply: ['$a', '$b'] },
        difference: { $subtract: ['$a', '$b'] },
        intOverflow: { $add: ['$i', new Int32(1)] },
        exact: { $add: ['$big', new Int32(1)] },
        longOverflow: { $add: [Long.MAX_VALUE, Long.fromNumber(1)] },
        decimal: { $add: ['$d', new Int32(1)] },
        mixed: { $add: ['$a', new Double(0.5)] },
        decimalDifference: { $subtract: [new Int32(1), Decimal128.fromString('0.50')] },
        longMinusOverflow: { $subtract: [Long.MIN_VALUE, Long.fromNumber(1)] },
      },
    },
  ]);
  assert.deepEqual(r.sum, Long.fromNumber(7));
  assert.deepEqual(r.product, Long.fromNumber(10));
  assert.deepEqual(r.difference, Long.fromNumber(3));
  assert.deepEqual(r.intOverflow, Long.fromNumber(2147483648));
  assert.deepEqual(r.exact, Long.fromString('9007199254740994'));
  assert.deepEqual(r.longOverflow, new Double(9223372036854775808));
  assert.equal((r.decimal as Decimal128).toString(), '2.00000000000000000000000000');
  assert.deepEqual(r.mixed, new Double(5.5));
  assert.equal((r.decimalDifference as Decimal128).toString(), '0.50');
  assert.deepEqual(r.longMinusOverflow, new Double(-9223372036854775809));
  t.close();
});

test('pipeline-style updates of a document whose _id is an int64 beyond 2^53', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: TWO_53_PLUS_1, n: Long.fromNumber(1) }, { _id: TWO_53, n: Long.fromNumber(100) }] });
  const set = await t.run({ update: 'c', updates: [{ q: { _id: TWO_53_PLUS_1 }, u: [{ $set: { n: { $add: ['$n', Long.fromNumber(1)] } } }] }] });
  assert.deepEqual(set, { n: 1, nModified: 1 });
  const replaced = await t.run({
    update: 'c',
    updates: [{ q: { _id: TWO_53_PLUS_1 }, u: [{ $replaceWith: { $mergeObjects: ['$$ROOT', { r: true }] } }] }],
  });
  assert.deepEqual(replaced, { n: 1, nModified: 1 });
  const field = await t.run({
    update: 'c',
    updates: [{ q: { _id: TWO_53_PLUS_1 }, u: [{ $replaceWith: { $setField: { field: 'f', input: '$$ROOT', value: 'x' } } }] }],
  });
  assert.deepEqual(field, { n: 1, nModified: 1 });
  const docs = firstBatch(await t.run({ find: 'c', filter: {}, sort: { _id: 1 } }));
  assert.deepEqual(docs, [
    { _id: TWO_53, n: Long.fromNumber(100) },
    { _id: TWO_53_PLUS_1, n: Long.fromNumber(2), r: true, f: 'x' },
  ]);
  t.close();
});

test('type operators and conversions see int64 and decimal128 exactly', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, big: TWO_53_PLUS_1, d: DEC_B, l: Long.fromNumber(5), x: new Double(2.5) }] });
  const [r] = await aggregate(t, [
    {
      $project: {
        _id: 0,
        s: { $toString: '$big' },
        ds: { $convert: { input: '$d', to: 'string' } },
        types: ['$big', '$d', '$l'].map((f) => ({ $type: f })),
        isNumber: { $isNumber: '$big' },
        toLong: { $toLong: '$l' },
        toDecimal: { $toDecimal: '$big' },
        fromDouble: { $toDecimal: '$x' },
        abs: { $abs: { $subtract: [Long.fromNumber(0), '$big'] } },
        third: { $divide: ['$d', new Int32(4)] },
      },
    },
  ]);
  assert.equal(r.s, '9007199254740993');
  assert.equal(r.ds, '1.00000000000000000000000001');
  assert.deepEqual(r.types, ['long', 'decimal', 'long']);
  assert.equal(r.isNumber, true);
  assert.deepEqual(r.toLong, Long.fromNumber(5));
  assert.equal((r.toDecimal as Decimal128).toString(), '9007199254740993');
  assert.equal((r.fromDouble as Decimal128).toString(), '2.50000000000000');
  assert.deepEqual(r.abs, TWO_53_PLUS_1);
  assert.equal((r.third as Decimal128).toString(), '0.2500000000000000000000000025');
  t.close();
});
