// Deduplication by value across numeric types, as the server does it: an int32, int64, double or
// decimal128 of equal value form one $group key (the key keeps the type of the first document
// seen), one distinct value, one $addToSet element and one set-expression element.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { firstBatch, testEngine } from './test-support';

const W = Long.fromString('9007199254740993');
const W_DECIMAL = Decimal128.fromString('9007199254740993');
const W_NEIGHBOUR = Long.fromString('9007199254740992');

async function seeded(): Promise<ReturnType<typeof testEngine>> {
  const t = testEngine();
  await t.run({
    insert: 'c',
    documents: [
      { _id: 1, k: Long.fromNumber(5), w: W },
      { _id: 2, k: Decimal128.fromString('5.0'), w: W_DECIMAL },
      { _id: 3, k: new Int32(5), w: W_NEIGHBOUR },
      { _id: 4, k: new Double(6), w: W },
    ],
  });
  return t;
}

async function aggregate(t: ReturnType<typeof testEngine>, pipeline: Document[]): Promise<Document[]> {
  return firstBatch(await t.run({ aggregate: 'c', pipeline, cursor: {} }));
}

test('$group: equal values of different numeric types are one key, typed as the first document seen', async () => {
  const t = await seeded();
  try {
    const byK = await aggregate(t, [{ $sort: { _id: 1 } }, { $group: { _id: '$k', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    assert.deepEqual(byK, [
      { _id: Long.fromNumber(5), n: new Int32(3) },
      { _id: new Double(6), n: new Int32(1) },
    ]);
    const byW = await aggregate(t, [{ $sort: { _id: 1 } }, { $group: { _id: '$w', ids: { $push: '$_id' } } }, { $sort: { _id: 1 } }]);
    assert.deepEqual(byW, [
      { _id: W_NEIGHBOUR, ids: [new Int32(3)] },
      { _id: W, ids: [new Int32(1), new Int32(2), new Int32(4)] },
    ]);
    const reversed = await aggregate(t, [{ $sort: { _id: -1 } }, { $group: { _id: '$w', n: { $sum: 1 } } }, { $match: { n: 3 } }]);
    assert.deepEqual(reversed, [{ _id: W, n: new Int32(3) }], 'document 4 (an int64) is seen first');
    const compound = await aggregate(t, [{ $sort: { _id: 1 } }, { $group: { _id: { w: '$w' }, n: { $sum: 1 } } }, { $sort: { '_id.w': 1 } }]);
    assert.deepEqual(compound.map((d) => d.n), [new Int32(1), new Int32(3)]);
  } finally {
    t.close();
  }
});

test('$addToSet and the set expressions deduplicate equal values across numeric types', async () => {
  const t = await seeded();
  try {
    const [r] = await aggregate(t, [{ $sort: { _id: 1 } }, { $group: { _id: null, ws: { $addToSet: '$w' }, ks: { $addToSet: '$k' } } }]);
    assert.equal(r.ws.length, 2);
    assert.equal(r.ks.length, 2);
    const [u] = await aggregate(t, [
      { $match: { _id: 1 } },
      {
        $project: {
          _id: 0,
          union: { $setUnion: [['$w'], [W_DECIMAL, W_NEIGHBOUR]] },
          inter: { $setIntersection: [['$w', W_NEIGHBOUR], [W_DECIMAL]] },
          diff: { $setDifference: [['$w', W_NEIGHBOUR], [W_DECIMAL]] },
          equals: { $setEquals: [['$w'], [W_DECIMAL]] },
          notEquals: { $setEquals: [['$w'], [W_NEIGHBOUR]] },
          subset: { $setIsSubset: [[W_DECIMAL], ['$w']] },
        },
      },
    ]);
    assert.equal(u.union.length, 2);
    assert.equal(u.inter.length, 1);
    assert.equal(u.diff.length, 1);
    assert.equal(String(u.diff[0]), W_NEIGHBOUR.toString());
    assert.equal(u.equals, true);
    assert.equal(u.notEquals, false);
    assert.equal(u.subset, true);
  } finally {
    t.close();
  }
});

test('distinct answers one value for equal values of different numeric types', async () => {
  const t = await seeded();
  try {
    const { values } = await t.run({ distinct: 'c', key: 'w' });
    assert.equal((values as unknown[]).length, 2);
    const ks = (await t.run({ distinct: 'c', key: 'k' })).values as unknown[];
    assert.equal(ks.length, 2);
  } finally {
    t.close();
  }
});

test('$sortByCount and the $in expression compare equal values across numeric types', async () => {
  const t = await seeded();
  try {
    const counted = await aggregate(t, [{ $sort: { _id: 1 } }, { $sortByCount: '$w' }]);
    assert.deepEqual(counted, [
      { _id: W, count: new Int32(3) },
      { _id: W_NEIGHBOUR, count: new Int32(1) },
    ]);
    const flags = await aggregate(t, [{ $sort: { _id: 1 } }, { $project: { _id: 0, in: { $in: ['$w', [W_DECIMAL]] } } }]);
    assert.deepEqual(flags.map((d) => d.in), [true, true, false, true]);
  } finally {
    t.close();
  }
});
