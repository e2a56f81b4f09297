// CRUD write and count commands end to end: reply fields, write errors, driver results (CRUD write commands).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSONRegExp, Decimal128, Double, Int32, Long, MongoBulkWriteError, MongoServerError, type Db } from 'mongodb';
import { startTarget, type Loose, type Target } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

function freshDb(): Db {
  return target.client().db(target.uniqueDb('crud'));
}

test('insert replies {n: Int, ok: 1} and leaves out writeErrors when there are none', async () => {
  const db = freshDb();
  const reply = await db.command({ insert: 'c', documents: [{ _id: 1 }, { _id: 2 }] }, { promoteValues: false });
  assert.ok(reply.n instanceof Int32);
  assert.equal(reply.n.value, 2);
  assert.equal(reply.ok.valueOf(), 1);
  assert.equal('writeErrors' in reply, false);
});

test('a duplicate _id is write error 11000 with keyPattern and keyValue inside an ok: 1 reply', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertOne({ _id: 1 });
  const reply = await db.command({ insert: 'c', documents: [{ _id: 1 }] });
  assert.equal(reply.ok, 1);
  assert.equal(reply.n, 0);
  assert.equal(reply.writeErrors.length, 1);
  const [error] = reply.writeErrors;
  assert.equal(error.index, 0);
  assert.equal(error.code, 11000);
  assert.equal(error.errmsg, `E11000 duplicate key error collection: ${db.databaseName}.c index: _id_ dup key: { _id: 1 }`);
  assert.deepEqual(error.keyPattern, { _id: 1 });
  assert.deepEqual(error.keyValue, { _id: 1 });
});

test('insertOne of a duplicate throws MongoServerError 11000 through the driver', async () => {
  const coll = freshDb().collection<Loose>('c');
  await coll.insertOne({ _id: 'a' });
  await assert.rejects(coll.insertOne({ _id: 'a' }), (e: unknown) => e instanceof MongoServerError && e.code === 11000 && e.keyValue?._id === 'a');
});

test('an ordered insert stops at the first error; an unordered one tries every document', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertOne({ _id: 2 });
  const ordered = await db.command({ insert: 'c', documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }], ordered: true });
  assert.equal(ordered.n, 1);
  assert.deepEqual(ordered.writeErrors.map((e: { index: number }) => e.index), [1]);
  const unordered = await db.command({ insert: 'c', documents: [{ _id: 4 }, { _id: 2 }, { _id: 5 }], ordered: false });
  assert.equal(unordered.n, 2);
  assert.deepEqual(unordered.writeErrors.map((e: { index: number }) => e.index), [1]);
  assert.deepEqual((await db.collection<Loose>('c').find({}).sort({ _id: 1 }).toArray()).map((d) => d._id), [1, 2, 4, 5]);
});

test('update n counts matches plus upserts, nModified only real changes, upserted has index and _id', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertMany([{ _id: 1, v: 1 }, { _id: 2, v: 2 }]);
  const reply = await db.command({
    update: 'c',
    updates: [
      { q: { _id: 1 }, u: { $set: { v: 1 } } },
      { q: { _id: 2 }, u: { $set: { v: 20 } } },
      { q: { _id: 3 }, u: { $set: { v: 3 } }, upsert: true },
    ],
  });
  assert.equal(reply.n, 3);
  assert.equal(reply.nModified, 1);
  assert.deepEqual(reply.upserted, [{ index: 2, _id: 3 }]);
});

test('the driver turns update replies into matched, modified and upserted counts', async () => {
  const coll = freshDb().collection<Loose>('c');
  await coll.insertMany([{ _id: 1, v: 0 }, { _id: 2, v: 0 }]);
  const many = await coll.updateMany({}, { $set: { v: 1 } });
  assert.equal(many.matchedCount, 2);
  assert.equal(many.modifiedCount, 2);
  const same = await coll.updateOne({ _id: 1 }, { $set: { v: 1 } });
  assert.equal(same.matchedCount, 1);
  assert.equal(same.modifiedCount, 0);
  const upsert = await coll.updateOne({ _id: 9 }, { $set: { v: 9 } }, { upsert: true });
  assert.equal(upsert.upsertedCount, 1);
  assert.equal(upsert.upsertedId, 9);
});

test('delete replies n; deleteMany and deleteOne report deletedCount', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertMany([{ _id: 1, k: 'a' }, { _id: 2, k: 'a' }, { _id: 3, k: 'b' }]);
  const reply = await db.command({ delete: 'c', deletes: [{ q: { k: 'a' }, limit: 1 }] });
  assert.equal(reply.n, 1);
  assert.equal((await db.collection('c').deleteMany({})).deletedCount, 2);
});

test('findAndModify replies lastErrorObject and value', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertOne({ _id: 1, v: 1 });
  const updated = await db.command({ findAndModify: 'c', query: { _id: 1 }, update: { $inc: { v: 1 } }, new: true });
  assert.deepEqual(updated.lastErrorObject, { n: 1, updatedExisting: true });
  assert.deepEqual(updated.value, { _id: 1, v: 2 });
  const upserted = await db.command({ findAndModify: 'c', query: { _id: 2 }, update: { $set: { v: 5 } }, upsert: true, new: true });
  assert.deepEqual(upserted.lastErrorObject, { n: 1, updatedExisting: false, upserted: 2 });
  const none = await db.command({ findAndModify: 'c', query: { _id: 99 }, remove: true });
  assert.deepEqual(none.lastErrorObject, { n: 0 });
  assert.equal(none.value, null);
});

test('bulkWrite results add up across batches and types', async () => {
  const coll = freshDb().collection<Loose>('c');
  const result = await coll.bulkWrite([
    { insertOne: { document: { _id: 1, v: 1 } } },
    { insertOne: { document: { _id: 2, v: 2 } } },
    { updateOne: { filter: { _id: 1 }, update: { $set: { v: 10 } } } },
    { updateOne: { filter: { _id: 3 }, update: { $set: { v: 3 } }, upsert: true } },
    { deleteOne: { filter: { _id: 2 } } },
    { replaceOne: { filter: { _id: 1 }, replacement: { w: 1 } } },
  ]);
  assert.equal(result.insertedCount, 2);
  assert.equal(result.matchedCount, 2);
  assert.equal(result.modifiedCount, 2);
  assert.equal(result.upsertedCount, 1);
  assert.equal(result.deletedCount, 1);
  assert.deepEqual(await coll.find({}).sort({ _id: 1 }).toArray(), [{ _id: 1, w: 1 }, { _id: 3, v: 3 }]);
});

test('an ordered bulk with a duplicate throws MongoBulkWriteError with the global index', async () => {
  const coll = freshDb().collection<Loose>('c');
  const error = await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }]).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof MongoBulkWriteError);
  assert.equal(error.code, 11000);
  assert.equal(error.insertedCount, 2);
  assert.deepEqual(
    error.writeErrors instanceof Array ? error.writeErrors.map((w) => w.index) : [error.writeErrors.index],
    [2],
  );
});

test('countDocuments and estimatedDocumentCount; count on a missing collection is 0', async () => {
  const db = freshDb();
  const coll = db.collection<Loose>('c');
  await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }]);
  assert.equal(await coll.countDocuments({ k: 1 }), 2);
  assert.equal(await coll.countDocuments({}, { skip: 1, limit: 1 }), 1);
  assert.equal(await coll.estimatedDocumentCount(), 3);
  const missing = await db.command({ count: 'nothingHere' });
  assert.equal(missing.n, 0);
  assert.equal(missing.ok, 1);
});

test('numeric types round-trip: Int32, Long, Double and Decimal128 keep their BSON types', async () => {
  const coll = freshDb().collection<Loose>('c');
  await coll.insertOne({ _id: 1, i: new Int32(1), l: Long.fromNumber(2), d: new Double(3), m: Decimal128.fromString('4.5') });
  const doc = await coll.findOne({ _id: 1 }, { promoteValues: false });
  assert.ok(doc?.i instanceof Int32);
  assert.ok(doc?.l instanceof Long);
  assert.ok(doc?.d instanceof Double);
  assert.ok(doc?.m instanceof Decimal128);
});

test('a stored BSON regular expression keeps its options, and regex filters match', async () => {
  const coll = freshDb().collection<Loose>('c');
  await coll.insertMany([{ _id: 1, name: 'Alice' }, { _id: 2, name: 'bob' }, { _id: 3, re: new BSONRegExp('a b', 'ix') }]);
  const [stored] = await coll.find({ _id: 3 }, { bsonRegExp: true }).toArray();
  assert.ok(stored.re instanceof BSONRegExp);
  assert.equal(stored.re.pattern, 'a b');
  assert.equal(stored.re.options, 'ix');
  assert.deepEqual(await coll.find({ name: /^a/i }).toArray(), [{ _id: 1, name: 'Alice' }]);
  assert.deepEqual(await coll.find({ name: { $regex: '^B', $options: 'i' } }).toArray(), [{ _id: 2, name: 'bob' }]);
});

test('decimal _ids that differ beyond double precision are two documents; equal numbers of any type are one', async () => {
  const coll = freshDb().collection<{ _id: Decimal128 | Int32 | Double | Long }>('c');
  const a = Decimal128.fromString('1.00000000000000000000000000');
  const b = Decimal128.fromString('1.00000000000000000000000001');
  await coll.insertMany([{ _id: a }, { _id: b }]);
  assert.equal(await coll.countDocuments({}), 2);
  assert.equal(await coll.countDocuments({ _id: { $gt: new Int32(1) } }), 1);
  await assert.rejects(coll.insertOne({ _id: new Double(1) }), (e: unknown) => e instanceof MongoServerError && e.code === 11000);
  await assert.rejects(coll.insertOne({ _id: Long.fromNumber(1) }), (e: unknown) => e instanceof MongoServerError && e.code === 11000);
  await coll.insertMany([{ _id: Long.fromBigInt(2n ** 53n + 1n) }, { _id: new Double(2 ** 53) }]);
  assert.equal(await coll.countDocuments({ _id: { $gte: new Double(2 ** 53) } }), 2);
});

test('a collection default collation applies to the _id index, matching, sorting and distinct', async () => {
  const db = freshDb();
  await db.createCollection('c', { collation: { locale: 'en', strength: 2 } });
  const coll = db.collection<Loose>('c');
  await coll.insertMany([{ _id: 'x', s: 'b' }, { _id: 'y', s: 'B' }, { _id: 'z', s: 'a' }]);
  await assert.rejects(coll.insertOne({ _id: 'X' }), (e: unknown) => e instanceof MongoServerError && e.code === 11000);
  assert.deepEqual((await coll.find({ s: 'B' }).sort({ _id: 1 }).toArray()).map((d) => d._id), ['x', 'y']);
  assert.deepEqual((await coll.find({}, { sort: { s: 1, _id: 1 } }).toArray()).map((d) => d._id), ['z', 'x', 'y']);
  assert.equal((await coll.distinct('s')).length, 2);
  assert.equal(await coll.countDocuments({ s: 'B' }, { collation: { locale: 'simple' } }), 1);
});
