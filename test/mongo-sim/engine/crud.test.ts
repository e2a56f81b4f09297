import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Int32, Long, ObjectId, type Document } from 'bson';
import { assertCommandError, firstBatch, testEngine } from './test-support';

test('insert: _id generated first, n counted, writeErrors omitted when empty', async () => {
  const t = testEngine();
  const reply = await t.run({ insert: 'c', documents: [{ a: new Int32(1) }, { b: 2, _id: 'x' }] });
  assert.deepEqual(reply, { n: 2 });
  const docs = firstBatch(await t.run({ find: 'c', filter: {} }));
  assert.ok(docs[0]._id instanceof ObjectId);
  assert.deepEqual(Object.keys(docs[0]), ['_id', 'a']);
  assert.deepEqual(Object.keys(docs[1]), ['_id', 'b']);
  t.close();
});

test('insert: ordered stops at the first duplicate, unordered reports each', async () => {
  const t = testEngine();
  const ordered = await t.run({ insert: 'c', documents: [{ _id: 1 }, { _id: 1 }, { _id: 2 }] });
  assert.equal(ordered.n, 1);
  assert.deepEqual(ordered.writeErrors, [
    {
      index: 1,
      code: 11000,
      keyPattern: { _id: 1 },
      keyValue: { _id: 1 },
      errmsg: 'E11000 duplicate key error collection: test.c index: _id_ dup key: { _id: 1 }',
    },
  ]);
  const unordered = await t.run({ insert: 'c', documents: [{ _id: 1 }, { _id: 3 }, { _id: 2 }, { _id: 4 }], ordered: false });
  assert.equal(unordered.n, 3);
  assert.deepEqual(
    (unordered.writeErrors as Document[]).map((e) => e.index),
    [0],
  );
  const again = await t.run({ insert: 'c', documents: [{ _id: 5 }, { _id: 3 }, { _id: 4 }, { _id: 6 }], ordered: false });
  assert.equal(again.n, 2);
  assert.deepEqual(
    (again.writeErrors as Document[]).map((e) => e.index),
    [1, 2],
  );
  t.close();
});

test('insert: numeric types and field order round-trip exactly', async () => {
  const t = testEngine();
  const doc = { _id: new Int32(1), d: new Double(1), i: new Int32(1), l: Long.fromNumber(1), nested: { z: 1, a: [new Double(2.5)] } };
  await t.run({ insert: 'c', documents: [doc] });
  const [back] = firstBatch(await t.run({ find: 'c', filter: { _id: 1 } }));
  assert.ok(back.d instanceof Double);
  assert.ok(back.i instanceof Int32);
  assert.ok(back.l instanceof Long);
  assert.deepEqual(Object.keys(back), ['_id', 'd', 'i', 'l', 'nested']);
  t.close();
});

test('insert: an array _id is refused with 53', async () => {
  const t = testEngine();
  const reply = await t.run({ insert: 'c', documents: [{ _id: [1] }] });
  assert.equal((reply.writeErrors as Document[])[0].code, 53);
  t.close();
});

test('find: filter, projection, sort, skip, limit', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [1, 2, 3, 4, 5].map((i) => ({ _id: i, x: i % 2, y: { z: i }, tags: ['a', 'b', 'c'] })) });
  const r = firstBatch(
    await t.run({ find: 'c', filter: { x: 1 }, projection: { 'y.z': 1 }, sort: { _id: -1 }, skip: 1, limit: 5 }),
  );
  assert.deepEqual(r, [
    { _id: 3, y: { z: 3 } },
    { _id: 1, y: { z: 1 } },
  ]);
  const excl = firstBatch(await t.run({ find: 'c', filter: { _id: 1 }, projection: { tags: 0, y: 0, _id: 0 } }));
  assert.deepEqual(excl, [{ x: 1 }]);
  const slice = firstBatch(await t.run({ find: 'c', filter: { _id: 2 }, projection: { tags: { $slice: -2 } } }));
  assert.deepEqual(slice[0].tags, ['b', 'c']);
  const elem = firstBatch(await t.run({ find: 'c', filter: { _id: 2 }, projection: { tags: { $elemMatch: { $eq: 'b' } } } }));
  assert.deepEqual(elem, [{ _id: 2, tags: ['b'] }]);
  await assertCommandError(t.run({ find: 'c', projection: { a: 1, b: 0 } }), 31254);
  t.close();
});

test('find: _id range scans use BSON order and type bracketing', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 'b' }, { _id: 3 }, { _id: 1.5 }, { _id: Long.fromNumber(2) }, { _id: 'a' }, { _id: 10 }] });
  const r = firstBatch(await t.run({ find: 'c', filter: { _id: { $gte: 1, $lt: 10 } }, sort: { _id: 1 } }));
  assert.deepEqual(
    r.map((d) => Number(d._id)),
    [1.5, 2, 3],
  );
  const strings = firstBatch(await t.run({ find: 'c', filter: { _id: { $gt: 'a' } } }));
  assert.deepEqual(strings, [{ _id: 'b' }]);
  const desc = firstBatch(await t.run({ find: 'c', filter: {}, sort: { _id: -1 } }));
  assert.deepEqual(desc.map((d) => d._id), ['b', 'a', 10, 3, Long.fromNumber(2), 1.5]);
  t.close();
});

test('find: hint must name an index; min/max need a hint', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, x: 1 }, { _id: 2, x: 2 }, { _id: 3, x: 3 }] });
  await t.run({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'x_1' }] });
  await assertCommandError(t.run({ find: 'c', hint: 'nope' }), 2, 'BadValue', 'hint provided does not correspond to an existing index');
  await assertCommandError(t.run({ find: 'c', hint: { y: 1 } }), 2, 'BadValue');
  assert.equal(firstBatch(await t.run({ find: 'c', hint: { x: 1 } })).length, 3);
  const ranged = firstBatch(await t.run({ find: 'c', hint: 'x_1', min: { x: 2 }, max: { x: 3 } }));
  assert.deepEqual(ranged, [{ _id: 2, x: 2 }]);
  await assertCommandError(t.run({ find: 'c', min: { x: 2 } }), 51173);
  t.close();
});

test('find on a missing collection returns an empty first batch with cursor id 0', async () => {
  const t = testEngine();
  const reply = await t.run({ find: 'nothing', filter: {} });
  const cursor = reply.cursor as Document;
  assert.deepEqual(cursor.firstBatch, []);
  assert.ok(cursor.id instanceof Long && cursor.id.isZero());
  assert.equal(cursor.ns, 'test.nothing');
  t.close();
});

test('update: n, nModified, upserted; a no-op is matched but not modified', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: 1 }, { _id: 2, a: 1 }] });
  const r = await t.run({
    update: 'c',
    updates: [
      { q: { a: 1 }, u: { $set: { b: 1 } }, multi: true },
      { q: { _id: 1 }, u: { $set: { b: 1 } } },
      { q: { _id: 9, k: 'v' }, u: { $set: { b: 2 } }, upsert: true },
    ],
  });
  assert.deepEqual(r, { n: 4, upserted: [{ index: 2, _id: 9 }], nModified: 2 });
  const [up] = firstBatch(await t.run({ find: 'c', filter: { _id: 9 } }));
  assert.deepEqual(up, { _id: 9, k: 'v', b: 2 });
  t.close();
});

test('update: replacement keeps _id first; changing _id is 66', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: 1 }] });
  await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { z: 1, a: 2 } }] });
  assert.deepEqual(firstBatch(await t.run({ find: 'c' })), [{ _id: 1, z: 1, a: 2 }]);
  const bad = await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { _id: 2 } }] });
  assert.equal((bad.writeErrors as Document[])[0].code, 66);
  const badOp = await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { $set: { _id: 3 } } }] });
  assert.deepEqual((badOp.writeErrors as Document[])[0], {
    index: 0,
    code: 66,
    errmsg: "Performing an update on the path '_id' would modify the immutable field '_id'",
  });
  t.close();
});

test('update: upsert with replacement takes _id from the query; generated ObjectId otherwise', async () => {
  const t = testEngine();
  const r = await t.run({ update: 'c', updates: [{ q: { _id: 5 }, u: { x: 1 }, upsert: true }] });
  assert.deepEqual(r.upserted, [{ index: 0, _id: 5 }]);
  const r2 = await t.run({ update: 'c', updates: [{ q: { x: 7 }, u: { $inc: { n: 1 } }, upsert: true }] });
  const id = (r2.upserted as Document[])[0]._id;
  assert.ok(id instanceof ObjectId);
  const [doc] = firstBatch(await t.run({ find: 'c', filter: { _id: id } }));
  assert.deepEqual(Object.keys(doc), ['_id', 'x', 'n']);
  t.close();
});

test('update: pipeline-style update', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: new Int32(2), b: new Int32(3) }] });
  const r = await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: [{ $set: { sum: { $add: ['$a', '$b'] } } }, { $unset: 'b' }] }] });
  assert.deepEqual(r, { n: 1, nModified: 1 });
  const [doc] = firstBatch(await t.run({ find: 'c' }));
  assert.deepEqual(doc, { _id: 1, a: new Int32(2), sum: new Int32(5) });
  t.close();
});

test('delete: limit 1 and 0; limit 2 is refused', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: 1 }, { _id: 2, a: 1 }, { _id: 3, a: 2 }] });
  assert.deepEqual(await t.run({ delete: 'c', deletes: [{ q: { a: 1 }, limit: 1 }] }), { n: 1 });
  assert.deepEqual(await t.run({ delete: 'c', deletes: [{ q: {}, limit: 0 }] }), { n: 2 });
  await assertCommandError(t.run({ delete: 'c', deletes: [{ q: {}, limit: 2 }] }), 9, 'FailedToParse', 'The limit field in delete objects must be 0 or 1. Got 2');
  t.close();
});

test('findAndModify: update/new, upsert, remove, fields, sort', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, n: 5 }, { _id: 2, n: 1 }] });
  const before = await t.run({ findAndModify: 'c', query: {}, sort: { n: 1 }, update: { $inc: { n: 1 } } });
  assert.deepEqual(before, { lastErrorObject: { n: 1, updatedExisting: true }, value: { _id: 2, n: 1 } });
  const after = await t.run({ findAndModify: 'c', query: { _id: 1 }, update: { $inc: { n: 1 } }, new: true, fields: { _id: 0 } });
  assert.deepEqual(after.value, { n: new Int32(6) });
  const up = await t.run({ findAndModify: 'c', query: { _id: 3 }, update: { $set: { n: 0 } }, upsert: true, new: true });
  assert.deepEqual(up, { lastErrorObject: { n: 1, updatedExisting: false, upserted: 3 }, value: { _id: 3, n: 0 } });
  const removed = await t.run({ findAndModify: 'c', query: { _id: 3 }, remove: true });
  assert.deepEqual(removed, { lastErrorObject: { n: 1 }, value: { _id: 3, n: 0 } });
  const none = await t.run({ findAndModify: 'c', query: { _id: 3 }, update: { $set: { n: 1 } } });
  assert.deepEqual(none, { lastErrorObject: { n: 0, updatedExisting: false }, value: null });
  await assertCommandError(t.run({ findAndModify: 'c', query: {}, remove: true, update: { $set: { a: 1 } } }), 9, 'FailedToParse');
  t.close();
});

test('count and distinct', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: [1, 2] }, { _id: 2, a: 2 }, { _id: 3, a: new Double(1) }, { _id: 4 }] });
  assert.deepEqual(await t.run({ count: 'c' }), { n: 4 });
  assert.deepEqual(await t.run({ count: 'c', query: { a: 2 } }), { n: 2 });
  assert.deepEqual(await t.run({ count: 'c', skip: 1, limit: 2 }), { n: 2 });
  assert.deepEqual(await t.run({ count: 'missing' }), { n: 0 });
  const d = await t.run({ distinct: 'c', key: 'a' });
  assert.deepEqual(d, { values: [1, 2] });
  t.close();
});

test('capped collections evict the oldest documents by max and size', async () => {
  const t = testEngine();
  await t.run({ create: 'cap', capped: true, size: 100000, max: 3 });
  await t.run({ insert: 'cap', documents: [1, 2, 3, 4, 5].map((i) => ({ _id: i })) });
  assert.deepEqual(firstBatch(await t.run({ find: 'cap' })).map((d) => d._id), [3, 4, 5]);
  const deletes = t.oplog().filter((e) => e.op === 'd');
  assert.equal(deletes.length, 2);
  await t.run({ create: 'small', capped: true, size: 64 });
  await t.run({ insert: 'small', documents: [1, 2, 3].map((i) => ({ _id: i, pad: 'xxxxxxxxxxxxxxxxxxxx' })) });
  assert.deepEqual(firstBatch(await t.run({ find: 'small' })).map((d) => d._id), [3]);
  t.close();
});

test('schema validation: 121 on insert and update, moderate level, bypass', async () => {
  const t = testEngine();
  await t.run({ create: 'v', validator: { a: { $gt: 5 } } });
  const bad = await t.run({ insert: 'v', documents: [{ _id: 1, a: 3 }] });
  const err = (bad.writeErrors as Document[])[0];
  assert.equal(err.code, 121);
  assert.equal(err.errmsg, 'Document failed validation');
  assert.equal((err.errInfo as Document).failingDocumentId, 1);
  assert.deepEqual(await t.run({ insert: 'v', documents: [{ _id: 2, a: 3 }], bypassDocumentValidation: true }), { n: 1 });
  assert.deepEqual(await t.run({ insert: 'v', documents: [{ _id: 3, a: 9 }] }), { n: 1 });
  const upd = await t.run({ update: 'v', updates: [{ q: { _id: 3 }, u: { $set: { a: 1 } } }] });
  assert.equal((upd.writeErrors as Document[])[0].code, 121);
  await t.run({ collMod: 'v', validationLevel: 'moderate' });
  // _id 2 already fails validation, so moderate lets it change
  assert.deepEqual(await t.run({ update: 'v', updates: [{ q: { _id: 2 }, u: { $set: { a: 2 } } }] }), { n: 1, nModified: 1 });
  await t.run({ create: 'js', validator: { $jsonSchema: { bsonType: 'object', required: ['name'], properties: { name: { bsonType: 'string' } } } } });
  assert.equal(((await t.run({ insert: 'js', documents: [{ name: 1 }] })).writeErrors as Document[])[0].code, 121);
  assert.deepEqual(await t.run({ insert: 'js', documents: [{ name: 'x' }] }), { n: 1 });
  t.close();
});

test('writes to a view fail with 166', async () => {
  const t = testEngine();
  await t.run({ create: 'v', viewOn: 'c', pipeline: [] });
  const r = await t.run({ insert: 'v', documents: [{ a: 1 }] });
  assert.deepEqual((r.writeErrors as Document[])[0], { index: 0, code: 166, errmsg: 'Namespace test.v is a view, not a collection' });
  t.close();
});

test('unknown commands and admin-only commands elsewhere', async () => {
  const t = testEngine();
  await assertCommandError(t.run({ frobnicate: 1 }), 59, 'CommandNotFound', "no such command: 'frobnicate'");
  await assertCommandError(t.run({ listDatabases: 1 }), 13, 'Unauthorized', 'listDatabases may only be run against the admin database.');
  t.close();
});

test('strict commands refuse unknown fields with 40415, nested statements too', async () => {
  const t = testEngine();
  await assertCommandError(t.run({ find: 'c', filtr: {} }), 40415, 'IDLUnknownField', "BSON field 'find.filtr' is an unknown field.");
  await assertCommandError(
    t.run({ update: 'c', updates: [{ q: {}, u: { $set: { a: 1 } }, upsret: true }] }),
    40415,
    'IDLUnknownField',
    "BSON field 'update.updates.upsret' is an unknown field.",
  );
  // generic arguments are accepted everywhere
  const generic = { lsid: { id: 1 }, txnNumber: 1, readConcern: {}, writeConcern: { w: 1 }, maxTimeMS: 10, comment: 'x', $db: 'test', apiVersion: '1' };
  assert.deepEqual(await t.run({ insert: 'c', documents: [{}], ...generic }), { n: 1 });
  assert.equal(firstBatch(await t.run({ find: 'c', ...generic })).length, 1);
  t.close();
});

test('insert: an _id holding a $-prefixed field name is refused with 52', async () => {
  const t = testEngine();
  const reply = await t.run({ insert: 'c', documents: [{ _id: { $a: 1 } }, { _id: { a: [{ $b: 1 }] } }, { _id: { a: 1 } }], ordered: false });
  assert.equal(reply.n, 1);
  assert.deepEqual(
    (reply.writeErrors as Document[]).map((e) => [e.code, e.errmsg]),
    [
      [52, "_id fields may not contain '$'-prefixed fields: $a is not valid for storage."],
      [52, "_id fields may not contain '$'-prefixed fields: $b is not valid for storage."],
    ],
  );
  t.close();
});

test('find: returnKey returns the key of the index used ({} after a collection scan)', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 2, x: 22 }, { _id: 1, x: 11 }] });
  await t.run({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'x_1' }] });
  assert.deepEqual(firstBatch(await t.run({ find: 'c', sort: { _id: 1 }, returnKey: true, showRecordId: true })), [{ _id: 1 }, { _id: 2 }]);
  assert.deepEqual(firstBatch(await t.run({ find: 'c', filter: { x: 11 }, hint: 'x_1', returnKey: true })), [{ x: 11 }]);
  assert.deepEqual(firstBatch(await t.run({ find: 'c', filter: { x: 11 }, returnKey: true })), [{}]);
  t.close();
});
