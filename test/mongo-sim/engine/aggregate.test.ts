import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Binary, Double, Int32, Long, serialize, type Document } from 'bson';
import { assertCommandError, firstBatch, testEngine } from './test-support';

async function seeded(): Promise<ReturnType<typeof testEngine>> {
  const t = testEngine();
  await t.run({
    insert: 'orders',
    documents: [
      { _id: 1, item: 'a', qty: new Int32(2), price: new Double(1.5), tags: ['x', 'y'] },
      { _id: 2, item: 'b', qty: new Int32(1), price: new Double(10), tags: ['y'] },
      { _id: 3, item: 'a', qty: new Int32(5), price: new Double(1.5), tags: [] },
    ],
  });
  await t.run({ insert: 'items', documents: [{ _id: 'a', name: 'Apple' }, { _id: 'b', name: 'Banana' }] });
  return t;
}

test('common stages: $match $sort $project $group $unwind $lookup $count $facet', async () => {
  const t = await seeded();
  const matched = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $match: { item: 'a' } }, { $sort: { qty: -1 } }, { $project: { qty: 1 } }], cursor: {} }));
  assert.deepEqual(matched, [{ _id: 3, qty: new Int32(5) }, { _id: 1, qty: new Int32(2) }]);
  const grouped = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $group: { _id: '$item', total: { $sum: '$qty' } } }, { $sort: { _id: 1 } }], cursor: {} }));
  assert.deepEqual(grouped, [{ _id: 'a', total: new Int32(7) }, { _id: 'b', total: new Int32(1) }]);
  const unwound = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $unwind: '$tags' }, { $count: 'n' }], cursor: {} }));
  assert.deepEqual(unwound, [{ n: new Int32(3) }]);
  const joined = firstBatch(
    await t.run({ aggregate: 'orders', pipeline: [{ $match: { _id: 2 } }, { $lookup: { from: 'items', localField: 'item', foreignField: '_id', as: 'info' } }, { $project: { 'info.name': 1 } }], cursor: {} }),
  );
  assert.deepEqual(joined, [{ _id: 2, info: [{ name: 'Banana' }] }]);
  const faceted = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $facet: { n: [{ $count: 'c' }], first: [{ $limit: 1 }, { $project: { _id: 1 } }] } }], cursor: {} }));
  assert.deepEqual(faceted, [{ n: [{ c: new Int32(3) }], first: [{ _id: 1 }] }]);
  const sampled = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $sample: { size: 2 } }], cursor: {} }));
  assert.equal(sampled.length, 2);
  t.close();
});

test('countDocuments-style pipeline and the batch/cursor behaviour of aggregate', async () => {
  const t = await seeded();
  const n = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $match: {} }, { $skip: 1 }, { $group: { _id: 1, n: { $sum: 1 } } }], cursor: {} }));
  assert.deepEqual(n, [{ _id: new Int32(1), n: new Int32(2) }]);
  const batched = await t.run({ aggregate: 'orders', pipeline: [], cursor: { batchSize: 1 } });
  const cursor = batched.cursor as Document;
  assert.equal((cursor.firstBatch as unknown[]).length, 1);
  assert.equal(cursor.ns, 'test.orders');
  assert.ok(!(cursor.id as Long).isZero());
  await assertCommandError(t.run({ aggregate: 'orders', pipeline: [] }), 9, 'FailedToParse');
  await assertCommandError(t.run({ aggregate: 'orders', pipeline: [{ $bogus: {} }], cursor: {} }), 40324);
  t.close();
});

test('database-level aggregate: $documents, ns db.$cmd.aggregate; other first stages need a collection', async () => {
  const t = testEngine();
  const r = await t.run({ aggregate: 1, pipeline: [{ $documents: [{ a: 1 }, { a: 2 }] }, { $match: { a: 2 } }], cursor: {} });
  assert.deepEqual(firstBatch(r), [{ a: 2 }]);
  assert.equal((r.cursor as Document).ns, 'test.$cmd.aggregate');
  await assertCommandError(t.run({ aggregate: 1, pipeline: [{ $match: {} }], cursor: {} }), 73, 'InvalidNamespace');
  t.close();
});

test('$collStats: storageStats and count; missing collection 26', async () => {
  const t = await seeded();
  const [stats] = firstBatch(await t.run({ aggregate: 'orders', pipeline: [{ $collStats: { storageStats: {}, count: {} } }], cursor: {} }));
  const s = stats.storageStats as Document;
  const expectedSize = [1, 2, 3].reduce((sum, id) => sum + serialize(firstBatchDoc(id)).length, 0);
  assert.equal(stats.ns, 'test.orders');
  assert.equal(Number(s.count), 3);
  assert.equal(Number(s.nindexes), 1);
  assert.equal(s.capped, false);
  assert.ok(Number(s.size) > 0 && Number(s.avgObjSize) === Math.floor(Number(s.size) / 3));
  assert.ok(expectedSize > 0);
  assert.deepEqual(Object.keys(s.indexSizes as Document), ['_id_']);
  assert.equal(Number(stats.count), 3);
  await assertCommandError(t.run({ aggregate: 'missing', pipeline: [{ $collStats: { storageStats: {} } }], cursor: {} }), 26, 'NamespaceNotFound');
  t.close();
});

function firstBatchDoc(id: number): Document {
  return { _id: id };
}

test('$collStats size is the BSON data size of the documents', async () => {
  const t = testEngine();
  const docs = [{ _id: 1, a: 'x' }, { _id: 2, b: [1, 2, 3] }];
  await t.run({ insert: 'c', documents: docs });
  const [stats] = firstBatch(await t.run({ aggregate: 'c', pipeline: [{ $collStats: { storageStats: { scale: 1 } } }], cursor: {} }));
  const size = docs.reduce((sum, d) => sum + serialize(d).length, 0);
  assert.equal(Number((stats.storageStats as Document).size), size);
  t.close();
});

test('$changeStream goes to the change-stream module and registers an awaitData cursor', async () => {
  const t = testEngine();
  const r = await t.run({ aggregate: 'c', pipeline: [{ $changeStream: {} }], cursor: {} });
  const cursor = r.cursor as Document;
  assert.equal(cursor.ns, 'test.c');
  assert.ok(!(cursor.id as Long).isZero());
  assert.ok(cursor.postBatchResumeToken !== undefined);
  await t.run({ insert: 'c', documents: [{ _id: 1 }] });
  const more = await t.run({ getMore: cursor.id, collection: 'c', maxTimeMS: 500 });
  const events = (more.cursor as Document).nextBatch as Document[];
  assert.equal(events[0].operationType, 'insert');
  t.close();
});

test('dbHash: md5 of the documents in _id order per collection; filter; capped list', async () => {
  const t = testEngine();
  await t.run({ insert: 'b', documents: [{ _id: 2, x: 1 }, { _id: 1, x: 2 }] });
  await t.run({ create: 'cap', capped: true, size: 4096 });
  const r = await t.run({ dbHash: 1 });
  const expected = createHash('md5').update(serialize({ _id: 1, x: 2 })).update(serialize({ _id: 2, x: 1 })).digest('hex');
  assert.equal((r.collections as Document).b, expected);
  assert.deepEqual(r.capped, ['cap']);
  assert.deepEqual(Object.keys(r.uuids as Document), ['b', 'cap']);
  assert.equal(typeof r.md5, 'string');
  const only = await t.run({ dbHash: 1, collections: ['b', 'missing'] });
  assert.deepEqual(Object.keys(only.collections as Document), ['b']);
  t.close();
});

test('dbStats counts collections, views, objects and sizes', async () => {
  const t = await seeded();
  await t.run({ create: 'v', viewOn: 'orders', pipeline: [] });
  const r = await t.run({ dbStats: 1 });
  assert.equal(r.db, 'test');
  assert.equal(Number(r.collections), 2);
  assert.equal(Number(r.views), 1);
  assert.equal(Number(r.objects), 5);
  t.close();
});

test('pipeline results keep the types of the documents they come from', async () => {
  const t = await seeded();
  await t.run({ insert: 'prices', documents: [{ _id: 'a', unit: new Double(2) }] });
  const [joined] = firstBatch(
    await t.run({ aggregate: 'orders', pipeline: [{ $match: { _id: 1 } }, { $lookup: { from: 'prices', localField: 'item', foreignField: '_id', as: 'p' } }], cursor: {} }),
  );
  assert.deepEqual(joined.p, [{ _id: 'a', unit: new Double(2) }]);
  await t.run({ insert: 'nums', documents: [{ _id: 1, xs: [new Double(1), Long.fromNumber(2)] }] });
  const unwound = firstBatch(await t.run({ aggregate: 'nums', pipeline: [{ $unwind: '$xs' }], cursor: {} }));
  assert.deepEqual(unwound, [{ _id: 1, xs: new Double(1) }, { _id: 1, xs: Long.fromNumber(2) }]);
  t.close();
});

test('aggregate: $listLocalSessions lists the sessions commands arrived with', async () => {
  const t = testEngine();
  const id = new Binary(Buffer.alloc(16, 3), 4);
  const ctx = { db: 'test', mayBypassWriteBlocking: false, signal: new AbortController().signal, lsid: { id } };
  await t.engine.runCommand({ insert: 'c', documents: [{ _id: 1 }] }, ctx);
  const reply = await t.run({ aggregate: 1, pipeline: [{ $listLocalSessions: {} }], cursor: {} }, 'admin');
  const docs = firstBatch(reply);
  assert.equal(docs.length, 1);
  assert.deepEqual((docs[0]._id as Document).id, id);
  assert.ok(docs[0].lastUse instanceof Date);
  t.close();
});
