// Exact numbers and collations through the engine's commands: matching, sorting, distinct,
// unique indexes and the _id index, and `let` variables in queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { assertCommandError, firstBatch, testEngine } from './test-support';

const D1 = Decimal128.fromString('1.00000000000000000000000000');
const D2 = Decimal128.fromString('1.00000000000000000000000001');

function ids(docs: Document[]): unknown[] {
  return docs.map((d) => d._id);
}

test('numbers: decimal _ids that differ beyond double precision are two documents', async () => {
  const t = testEngine();
  const reply = await t.run({ insert: 'c', documents: [{ _id: D1, n: 1 }, { _id: D2, n: 2 }] });
  assert.deepEqual(reply, { n: 2 });
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { _id: D2 } }))), [D2]);
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { _id: new Int32(1) } }))), [D1]);
  const dup = await t.run({ insert: 'c', documents: [{ _id: new Double(1) }] });
  assert.equal((dup.writeErrors as Document[])[0].code, 11000);
  t.close();
});

test('numbers: matching, ordering, $in and distinct compare exact values', async () => {
  const t = testEngine();
  const big = Long.fromBigInt(2n ** 53n + 1n);
  await t.run({
    insert: 'c',
    documents: [
      { _id: 1, x: D1 },
      { _id: 2, x: D2 },
      { _id: 3, x: big },
      { _id: 4, x: new Double(2 ** 53) },
      { _id: 5, x: new Double(0.1) },
      { _id: 6, x: Decimal128.fromString('0.1') },
      { _id: 7, x: new Double(NaN) },
      { _id: 8, x: Decimal128.fromString('NaN') },
    ],
  });
  const find = async (filter: Document, extra: Document = {}): Promise<unknown[]> =>
    ids(firstBatch(await t.run({ find: 'c', filter, ...extra })));
  assert.deepEqual(await find({ x: D2 }), [2]);
  assert.deepEqual(await find({ x: new Int32(1) }), [1]);
  assert.deepEqual(await find({ x: { $gt: D1, $lt: new Int32(2) } }), [2]);
  assert.deepEqual(await find({ x: big }), [3]);
  assert.deepEqual(await find({ x: { $gt: new Double(2 ** 53) } }), [3]);
  assert.deepEqual(await find({ x: Decimal128.fromString('0.1') }), [6]);
  assert.deepEqual(await find({ x: { $in: [new Double(0.1), D2] } }), [2, 5]);
  assert.deepEqual(await find({ x: { $nin: [D1, D2, big] }, _id: { $lte: 4 } }), [4]);
  assert.deepEqual(await find({ x: new Double(NaN) }), [7, 8]);
  assert.deepEqual(await find({ x: { $gte: new Int32(0) } }, { sort: { x: 1, _id: 1 } }), [6, 5, 1, 2, 4, 3]);
  const distinct = await t.run({ distinct: 'c', key: 'x', query: { _id: { $in: [1, 2, 3, 4] } } });
  assert.equal((distinct.values as unknown[]).length, 4);
  t.close();
});

test('numbers: a unique index keeps decimals apart that doubles would merge', async () => {
  const t = testEngine();
  await t.run({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'x_1', unique: true }] });
  const ok = await t.run({ insert: 'c', documents: [{ x: D1 }, { x: D2 }, { x: Long.fromBigInt(2n ** 53n + 1n) }, { x: new Double(2 ** 53) }] });
  assert.deepEqual(ok, { n: 4 });
  const dup = await t.run({ insert: 'c', documents: [{ x: Decimal128.fromString('9007199254740993') }] });
  assert.equal((dup.writeErrors as Document[])[0].code, 11000);
  t.close();
});

test('collation: a collection default applies to matching, sorting, distinct and the _id index', async () => {
  const t = testEngine();
  await t.run({ create: 'c', collation: { locale: 'en', strength: 2 } });
  await t.run({ insert: 'c', documents: [{ _id: 'a', s: 'ping' }, { _id: 'b', s: 'PING' }, { _id: 'c', s: 'Pong' }] });
  const dup = await t.run({ insert: 'c', documents: [{ _id: 'A' }] });
  assert.equal((dup.writeErrors as Document[])[0].code, 11000);
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { _id: 'B' } }))), ['b']);
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { s: 'Ping' } }))), ['a', 'b']);
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { s: { $gt: 'PING' } } }))), ['c']);
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { s: 'Ping' }, collation: { locale: 'simple' } }))), []);
  assert.deepEqual((await t.run({ distinct: 'c', key: 's' })).values, ['ping', 'Pong']);
  assert.deepEqual(await t.run({ count: 'c', query: { s: { $in: ['PONG'] } } }), { n: 1 });
  const simple = await t.run({ aggregate: 'c', pipeline: [{ $match: { s: 'PING' } }], cursor: {}, collation: { locale: 'simple' } });
  assert.deepEqual(ids(firstBatch(simple)), ['b']);
  const [idIndex] = firstBatch(await t.run({ listIndexes: 'c' }));
  assert.deepEqual(idIndex.collation, { locale: 'en', strength: 2 });
  t.close();
});

test('collation: a query collation applies to find, update, delete and aggregate', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, s: 'b' }, { _id: 2, s: 'B' }, { _id: 3, s: 'a' }, { _id: 4, s: '10' }, { _id: 5, s: '9' }] });
  const ci = { locale: 'en_US', strength: 2 };
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { s: 'b' }, collation: ci }))), [1, 2]);
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: { s: 'b' } }))), [1]);
  const numeric = firstBatch(await t.run({ find: 'c', filter: { _id: { $gte: 4 } }, sort: { s: 1 }, collation: { locale: 'en', numericOrdering: true } }));
  assert.deepEqual(ids(numeric), [5, 4]);
  const upperFirst = firstBatch(await t.run({ find: 'c', filter: { _id: { $lte: 2 } }, sort: { s: 1 }, collation: { locale: 'en', caseFirst: 'upper' } }));
  assert.deepEqual(ids(upperFirst), [2, 1]);
  const updated = await t.run({ update: 'c', updates: [{ q: { s: 'B' }, u: { $set: { hit: true } }, multi: true, collation: ci }] });
  assert.equal(updated.n, 2);
  const agg = await t.run({ aggregate: 'c', pipeline: [{ $match: { s: 'A' } }], cursor: {}, collation: ci });
  assert.deepEqual(ids(firstBatch(agg)), [3]);
  const deleted = await t.run({ delete: 'c', deletes: [{ q: { s: 'B' }, limit: 0, collation: ci }] });
  assert.equal(deleted.n, 2);
  await assertCommandError(t.run({ find: 'c', collation: { locale: 'en', strength: 9 } }), 2);
  t.close();
});

test('collation: a unique index compares keys under its collation (strength 1 ignores accents and case)', async () => {
  const t = testEngine();
  await t.run({ createIndexes: 'c', indexes: [{ key: { s: 1 }, name: 's_1', unique: true, collation: { locale: 'fr', strength: 1 } }] });
  await t.run({ insert: 'c', documents: [{ s: 'cote' }] });
  for (const s of ['Cote', 'côté', 'COTÉ']) {
    const reply = await t.run({ insert: 'c', documents: [{ s }] });
    assert.equal((reply.writeErrors as Document[] | undefined)?.[0]?.code, 11000, s);
  }
  assert.deepEqual(await t.run({ insert: 'c', documents: [{ s: 'cotes' }] }), { n: 1 });
  t.close();
});

test('let: variables reach $expr in find, aggregate, update, delete and findAndModify', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, name: 'a' }, { _id: 2, name: 'b' }, { _id: 3, name: 'c' }] });
  const byLet = { $expr: { $eq: ['$_id', '$$id'] } };
  assert.deepEqual(ids(firstBatch(await t.run({ find: 'c', filter: byLet, let: { id: 2 } }))), [2]);
  assert.deepEqual(ids(firstBatch(await t.run({ aggregate: 'c', pipeline: [{ $match: byLet }], cursor: {}, let: { id: 3 } }))), [3]);
  const up = await t.run({ update: 'c', updates: [{ q: byLet, u: { $set: { x: 1 } } }], let: { id: 1 } });
  assert.equal(up.nModified, 1);
  const fam = await t.run({ findAndModify: 'c', query: byLet, update: { $set: { y: 1 } }, new: true, let: { id: 3 } });
  assert.equal((fam.value as Document)._id, 3);
  const del = await t.run({ delete: 'c', deletes: [{ q: { $expr: { $eq: ['$name', '$$name'] } }, limit: 0 }], let: { name: 'b' } });
  assert.equal(del.n, 1);
  t.close();
});

test('let: each variable is an expression evaluated once ($literal keeps a $ string)', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1 }, { _id: 2 }] });
  const agg = await t.run({
    aggregate: 'c',
    pipeline: [{ $match: { $expr: { $eq: ['$_id', '$$id'] } } }, { $project: { _id: 0, y: '$$y', sum: '$$sum' } }],
    cursor: {},
    let: { id: 1, y: { $literal: '$bar' }, sum: { $add: [1, 2] } },
  });
  assert.deepEqual(firstBatch(agg), [{ y: '$bar', sum: new Int32(3) }]);
  await t.run({ update: 'c', updates: [{ q: { _id: 2 }, u: [{ $set: { y: '$$y' } }] }], let: { y: { $literal: 'bar' } } });
  assert.deepEqual(firstBatch(await t.run({ find: 'c', filter: { _id: 2 } })), [{ _id: 2, y: 'bar' }]);
  t.close();
});
