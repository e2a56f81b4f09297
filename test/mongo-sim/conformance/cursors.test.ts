// The cursor protocol end to end: ids, batch sizes, namespaces, getMore and killCursors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, type Db } from 'mongodb';
import { startTarget, type Loose, type Target } from './target';

let target: Target;
let db: Db;

before(async () => {
  target = await startTarget();
  db = target.client().db(target.uniqueDb('cur'));
  await db.collection<Loose>('many').insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i })));
});
after(() => target.close());

test('cursor.id is an int64 even when it is 0', async () => {
  const reply = await db.command({ find: 'many', filter: { _id: 1 } }, { promoteLongs: false });
  assert.ok(reply.cursor.id instanceof Long);
  assert.ok(reply.cursor.id.isZero());
  assert.equal(reply.cursor.ns, `${db.databaseName}.many`);
});

test('a find without batchSize returns 101 documents and an open cursor', async () => {
  const reply = await db.command({ find: 'many', filter: {} }, { promoteLongs: false });
  assert.equal(reply.cursor.firstBatch.length, 101);
  assert.ok(reply.cursor.id instanceof Long && !reply.cursor.id.isZero());
  await db.command({ killCursors: 'many', cursors: [reply.cursor.id] });
});

test('batchSize 0 gives an empty first batch and a live cursor that getMore drains', async () => {
  const first = await db.command({ find: 'many', filter: {}, batchSize: 0 }, { promoteLongs: false });
  assert.deepEqual(first.cursor.firstBatch, []);
  assert.ok(!first.cursor.id.isZero());
  const more = await db.command({ getMore: first.cursor.id, collection: 'many' }, { promoteLongs: false });
  assert.equal(more.cursor.nextBatch.length, 250);
  assert.ok(more.cursor.id.isZero(), 'the last batch closes the cursor');
  assert.equal(more.cursor.ns, `${db.databaseName}.many`);
});

test('getMore honours batchSize and the driver iterates every document', async () => {
  const first = await db.command({ find: 'many', filter: {}, batchSize: 100 }, { promoteLongs: false });
  const second = await db.command({ getMore: first.cursor.id, collection: 'many', batchSize: 100 }, { promoteLongs: false });
  assert.equal(second.cursor.nextBatch.length, 100);
  assert.equal(second.cursor.nextBatch[0]._id, 100);
  await db.command({ killCursors: 'many', cursors: [first.cursor.id] });
  const all = await db.collection<Loose>('many').find({}, { batchSize: 7 }).toArray();
  assert.equal(all.length, 250);
});

test('getMore of an unknown cursor is 43 CursorNotFound', async () => {
  await assert.rejects(db.command({ getMore: Long.fromNumber(123456789), collection: 'many' }), {
    code: 43,
    codeName: 'CursorNotFound',
  });
});

test('killCursors reports killed and not-found ids; a killed cursor is gone', async () => {
  const first = await db.command({ find: 'many', filter: {}, batchSize: 1 }, { promoteLongs: false });
  const missing = Long.fromNumber(987654321);
  const reply = await db.command({ killCursors: 'many', cursors: [first.cursor.id, missing] }, { promoteLongs: false });
  assert.deepEqual(reply.cursorsKilled.map(String), [first.cursor.id.toString()]);
  assert.deepEqual(reply.cursorsNotFound.map(String), [missing.toString()]);
  assert.deepEqual(reply.cursorsAlive, []);
  assert.deepEqual(reply.cursorsUnknown, []);
  await assert.rejects(db.command({ getMore: first.cursor.id, collection: 'many' }), { code: 43 });
});

test('getMore naming another collection than the cursor is 13 Unauthorized', async () => {
  const first = await db.command({ find: 'many', filter: {}, batchSize: 1 }, { promoteLongs: false });
  await assert.rejects(db.command({ getMore: first.cursor.id, collection: 'other' }), { code: 13 });
  await db.command({ killCursors: 'many', cursors: [first.cursor.id] });
});

test('aggregate without a cursor document is refused', async () => {
  await assert.rejects(db.command({ aggregate: 'many', pipeline: [] }), (e: unknown) => e instanceof Error && 'code' in e);
});

test('aggregate replies a cursor on the collection namespace; aggregate: 1 on db.$cmd.aggregate', async () => {
  const coll = await db.command({ aggregate: 'many', pipeline: [{ $match: { _id: { $lt: 3 } } }], cursor: {} });
  assert.equal(coll.cursor.ns, `${db.databaseName}.many`);
  assert.equal(coll.cursor.firstBatch.length, 3);
  const dbLevel = await db.command({ aggregate: 1, pipeline: [{ $documents: [{ a: 1 }] }], cursor: {} });
  assert.equal(dbLevel.cursor.ns, `${db.databaseName}.$cmd.aggregate`);
  assert.deepEqual(dbLevel.cursor.firstBatch, [{ a: 1 }]);
});

test('listCollections and listIndexes cursors use their documented namespaces', async () => {
  const collections = await db.command({ listCollections: 1, cursor: {} });
  assert.equal(collections.cursor.ns, `${db.databaseName}.$cmd.listCollections`);
  const indexes = await db.command({ listIndexes: 'many', cursor: {} });
  assert.equal(indexes.cursor.ns, `${db.databaseName}.many`);
});

test('a limit ends the cursor; skip and sort apply', async () => {
  const docs = await db.collection<Loose>('many').find({}, { sort: { _id: -1 }, skip: 5, limit: 3 }).toArray();
  assert.deepEqual(docs.map((d) => d._id), [244, 243, 242]);
});
