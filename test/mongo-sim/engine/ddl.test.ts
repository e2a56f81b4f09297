import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32, UUID, type Document } from 'bson';
import { assertCommandError, firstBatch, testEngine } from './test-support';

async function listCollections(t: ReturnType<typeof testEngine>, db = 'test', extra: Document = {}): Promise<Document[]> {
  return firstBatch(await t.run({ listCollections: 1, cursor: {}, ...extra }, db));
}

test('create: options stored and listed; identical re-create ok on 7.0, different options 48', async () => {
  const t = testEngine();
  await t.run({ create: 'c', capped: true, size: new Int32(4096), max: new Int32(10), changeStreamPreAndPostImages: { enabled: true } });
  const [entry] = await listCollections(t);
  assert.equal(entry.name, 'c');
  assert.equal(entry.type, 'collection');
  assert.deepEqual(entry.options, { capped: true, size: new Int32(4096), max: new Int32(10), changeStreamPreAndPostImages: { enabled: true } });
  assert.ok((entry.info as Document).uuid instanceof UUID);
  assert.deepEqual(entry.idIndex, { v: 2, key: { _id: 1 }, name: '_id_' });
  assert.deepEqual(await t.run({ create: 'c', capped: true, size: new Int32(4096), max: new Int32(10), changeStreamPreAndPostImages: { enabled: true } }), {});
  await assertCommandError(t.run({ create: 'c' }), 48, 'NamespaceExists');
  t.close();
});

test('create on 6.0: an existing collection is always 48', async () => {
  const t = testEngine({ version: '6.0.19' });
  await t.run({ create: 'c' });
  await assertCommandError(t.run({ create: 'c' }), 48, 'NamespaceExists');
  t.close();
});

test('create: invalid names 73, unknown fields 40415, capped without size 72, timeseries refused', async () => {
  const t = testEngine();
  await assertCommandError(t.run({ create: 'a$b' }), 73, 'InvalidNamespace', "Invalid namespace specified 'test.a$b'");
  await assertCommandError(t.run({ create: '' }), 73, 'InvalidNamespace');
  await assertCommandError(t.run({ create: 'system.foo' }), 73, 'InvalidNamespace');
  await assertCommandError(t.run({ create: 'c', bogus: 1 }), 40415, 'IDLUnknownField', "BSON field 'create.bogus' is an unknown field.");
  await assertCommandError(t.run({ create: 'c', capped: true }), 72, 'InvalidOptions');
  await assertCommandError(t.run({ create: 'ts', timeseries: { timeField: 't' } }), 72, 'InvalidOptions');
  t.close();
});

test('clustered collections: clusteredIndex normalized, no idIndex, natural order is _id order', async () => {
  const t = testEngine();
  await t.run({ create: 'cl', clusteredIndex: { key: { _id: 1 }, unique: true } });
  const [entry] = await listCollections(t);
  assert.deepEqual(entry.options, { clusteredIndex: { v: 2, key: { _id: 1 }, name: '_id_', unique: true } });
  assert.equal(entry.idIndex, undefined);
  await t.run({ insert: 'cl', documents: [{ _id: 3 }, { _id: 1 }, { _id: 2 }] });
  assert.deepEqual(firstBatch(await t.run({ find: 'cl' })).map((d) => d._id), [1, 2, 3]);
  t.close();
});

test('views: listed as type view, readable through their pipeline, nameOnly and filter', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: 1 }, { _id: 2, a: 2 }, { _id: 3, a: 3 }] });
  await t.run({ create: 'v', viewOn: 'c', pipeline: [{ $match: { a: { $gte: 2 } } }, { $project: { a: 1 } }] });
  const all = await listCollections(t);
  const view = all.find((e) => e.name === 'v')!;
  assert.deepEqual(view, { name: 'v', type: 'view', options: { viewOn: 'c', pipeline: [{ $match: { a: { $gte: 2 } } }, { $project: { a: 1 } }] }, info: { readOnly: true } });
  assert.ok(all.some((e) => e.name === 'system.views'));
  assert.deepEqual(firstBatch(await t.run({ find: 'system.views' })), [
    { _id: 'test.v', viewOn: 'c', pipeline: [{ $match: { a: { $gte: 2 } } }, { $project: { a: 1 } }] },
  ]);
  assert.deepEqual(await listCollections(t, 'test', { nameOnly: true, filter: { type: 'view' } }), [{ name: 'v', type: 'view' }]);
  assert.deepEqual(firstBatch(await t.run({ find: 'v', filter: { a: 3 } })), [{ _id: 3, a: 3 }]);
  const agg = firstBatch(await t.run({ aggregate: 'v', pipeline: [{ $count: 'n' }], cursor: {} }));
  assert.deepEqual(agg, [{ n: new Int32(2) }]);
  await assertCommandError(t.run({ listCollections: 1, bogus: 1 }), 40415, 'IDLUnknownField');
  t.close();
});

test('drop: missing ok on 7.0, 26 on 6.0; reply nIndexesWas/ns; oplog drop with numRecords', async () => {
  const t = testEngine();
  assert.deepEqual(await t.run({ drop: 'missing' }), {});
  await t.run({ insert: 'c', documents: [{ _id: 1 }, { _id: 2 }] });
  await t.run({ createIndexes: 'c', indexes: [{ key: { a: 1 }, name: 'a_1' }] });
  t.mark();
  assert.deepEqual(await t.run({ drop: 'c' }), { nIndexesWas: 2, ns: 'test.c' });
  const [entry] = t.since();
  assert.equal(entry.op, 'c');
  assert.equal(entry.ns, 'test.$cmd');
  assert.deepEqual(entry.o, { drop: 'c' });
  assert.equal((entry.o2 as Document).numRecords.toNumber(), 2);
  const old = testEngine({ version: '6.0.19' });
  await assertCommandError(old.run({ drop: 'missing' }), 26, 'NamespaceNotFound');
  old.close();
  t.close();
});

test('dropDatabase: one drop entry per collection, then dropDatabase', async () => {
  const t = testEngine();
  await t.run({ insert: 'a', documents: [{}] });
  await t.run({ insert: 'b', documents: [{}] });
  t.mark();
  assert.deepEqual(await t.run({ dropDatabase: 1 }), { dropped: 'test' });
  assert.deepEqual(t.since().map((e) => e.o), [{ drop: 'a' }, { drop: 'b' }, { dropDatabase: 1 }]);
  assert.deepEqual(await listCollections(t), []);
  const dbs = firstBatchless(await t.run({ listDatabases: 1, nameOnly: true }, 'admin'));
  assert.deepEqual(dbs, ['admin', 'config', 'local']);
  t.close();
});

function firstBatchless(reply: Document): string[] {
  return (reply.databases as Document[]).map((d) => d.name as string);
}

test('renameCollection: admin only, 26, 48, 20, dropTarget, across databases', async () => {
  const t = testEngine();
  await t.run({ insert: 'a', documents: [{ _id: 1 }] });
  await t.run({ insert: 'b', documents: [{ _id: 2 }] });
  await assertCommandError(t.run({ renameCollection: 'test.a', to: 'test.z' }), 13, 'Unauthorized', 'renameCollection may only be run against the admin database.');
  await assertCommandError(t.run({ renameCollection: 'test.nope', to: 'test.z' }, 'admin'), 26, 'NamespaceNotFound');
  await assertCommandError(t.run({ renameCollection: 'test.a', to: 'test.b' }, 'admin'), 48, 'NamespaceExists', 'target namespace exists');
  await assertCommandError(t.run({ renameCollection: 'test.a', to: 'test.a' }, 'admin'), 20, 'IllegalOperation', "Can't rename a collection to itself");
  const targetUuid = (await listCollections(t)).find((e) => e.name === 'b')!.info.uuid as UUID;
  t.mark();
  await t.run({ renameCollection: 'test.a', to: 'test.b', dropTarget: true }, 'admin');
  const [entry] = t.since();
  assert.deepEqual(entry.o, { renameCollection: 'test.a', to: 'test.b', stayTemp: false, dropTarget: targetUuid });
  assert.deepEqual(firstBatch(await t.run({ find: 'b' })), [{ _id: 1 }]);
  t.mark();
  await t.run({ renameCollection: 'test.b', to: 'other.moved' }, 'admin');
  assert.deepEqual(firstBatch(await t.run({ find: 'moved' }, 'other')), [{ _id: 1 }]);
  // across databases: a temp collection in the target database, the copy, a rename within it, the source dropped
  const entries = t.since();
  assert.deepEqual(entries.map((e) => [e.op, e.ns, Object.keys(e.o)[0]]), [
    ['c', 'other.$cmd', 'create'],
    ['i', `other.${String(entries[0].o.create)}`, '_id'],
    ['c', 'other.$cmd', 'renameCollection'],
    ['c', 'test.$cmd', 'drop'],
  ]);
  assert.match(String(entries[0].o.create), /^tmp[a-z0-9]{5}\.renameCollection$/);
  assert.equal(entries[0].o.temp, true);
  assert.deepEqual(entries[2].o, { renameCollection: `other.${String(entries[0].o.create)}`, to: 'other.moved', stayTemp: false });
  assert.deepEqual(entries[3].o, { drop: 'b' });
  const moved = (await listCollections(t, 'other')).find((e) => e.name === 'moved')!;
  assert.deepEqual(moved.options, {}, 'the temp flag does not survive the rename');
  assert.ok(!(moved.info.uuid as UUID).equals(targetUuid));
  assert.deepEqual((await listCollections(t)).map((e) => e.name), [], 'the source is gone');
  t.close();
});

test('createIndexes: stored as given plus v:2, all-exist note, implicit creation, conflicts 85/86, bad spec 67', async () => {
  const t = testEngine();
  const r = await t.run({ createIndexes: 'c', indexes: [{ key: { a: 1, b: -1 }, name: 'ab', sparse: true, partialFilterExpression: { a: { $gt: 1 } } }] });
  assert.deepEqual(r, { numIndexesBefore: 1, numIndexesAfter: 2, createdCollectionAutomatically: true, commitQuorum: 'votingMembers' });
  const specs = firstBatch(await t.run({ listIndexes: 'c', cursor: {} }));
  assert.deepEqual(specs[1], { v: 2, key: { a: 1, b: -1 }, name: 'ab', sparse: true, partialFilterExpression: { a: { $gt: 1 } } });
  assert.deepEqual(await t.run({ createIndexes: 'c', indexes: [{ key: { a: 1, b: -1 }, name: 'ab', sparse: true, partialFilterExpression: { a: { $gt: 1 } } }] }), {
    numIndexesBefore: 2,
    numIndexesAfter: 2,
    note: 'all indexes already exist',
  });
  await assertCommandError(t.run({ createIndexes: 'c', indexes: [{ key: { z: 1 }, name: 'ab' }] }), 86, 'IndexKeySpecsConflict');
  await assertCommandError(
    t.run({ createIndexes: 'c', indexes: [{ key: { a: 1, b: -1 }, name: 'other', sparse: true, partialFilterExpression: { a: { $gt: 1 } } }] }),
    85,
    'IndexOptionsConflict',
  );
  await assertCommandError(t.run({ createIndexes: 'c', indexes: [{ key: { a: 'bogus' }, name: 'x' }] }), 67, 'CannotCreateIndex');
  await assertCommandError(t.run({ listIndexes: 'missing', cursor: {} }), 26, 'NamespaceNotFound', 'ns does not exist: test.missing');
  t.close();
});

test('unique indexes: 11000 text on insert and update; building over duplicates fails', async () => {
  const t = testEngine();
  await t.run({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'x_1', unique: true }] });
  await t.run({ insert: 'c', documents: [{ _id: 1, x: 1 }, { _id: 2, x: 2 }] });
  const dup = await t.run({ insert: 'c', documents: [{ _id: 3, x: 1 }] });
  assert.deepEqual((dup.writeErrors as Document[])[0], {
    index: 0,
    code: 11000,
    keyPattern: { x: 1 },
    keyValue: { x: 1 },
    errmsg: 'E11000 duplicate key error collection: test.c index: x_1 dup key: { x: 1 }',
  });
  const upd = await t.run({ update: 'c', updates: [{ q: { _id: 2 }, u: { $set: { x: 1 } } }] });
  assert.equal((upd.writeErrors as Document[])[0].code, 11000);
  await t.run({ insert: 'd', documents: [{ y: 'a' }, { y: 'a' }] });
  const e = await assertCommandError(t.run({ createIndexes: 'd', indexes: [{ key: { y: 1 }, name: 'y_1', unique: true }] }), 11000);
  assert.match(e.message, /E11000 duplicate key error collection: test\.d index: y_1 dup key: \{ y: "a" \}$/);
  assert.equal(firstBatch(await t.run({ listIndexes: 'd', cursor: {} })).length, 1);
  t.close();
});

test('dropIndexes: by name, key pattern, array, "*"; 26, 27, _id_ refused; oplog carries the spec', async () => {
  const t = testEngine();
  await t.run({ createIndexes: 'c', indexes: [{ key: { a: 1 }, name: 'a_1' }, { key: { b: 1 }, name: 'b_1' }, { key: { c: 1 }, name: 'c_1' }, { key: { d: 1 }, name: 'd_1' }] });
  t.mark();
  assert.deepEqual(await t.run({ dropIndexes: 'c', index: 'a_1' }), { nIndexesWas: 5 });
  assert.deepEqual(t.since()[0].o, { dropIndexes: 'c', index: 'a_1' });
  assert.deepEqual(t.since()[0].o2, { v: 2, key: { a: 1 }, name: 'a_1' });
  assert.deepEqual(await t.run({ dropIndexes: 'c', index: { b: 1 } }), { nIndexesWas: 4 });
  await assertCommandError(t.run({ dropIndexes: 'c', index: 'nope' }), 27, 'IndexNotFound', 'index not found with name [nope]');
  await assertCommandError(t.run({ dropIndexes: 'c', index: '_id_' }), 72, 'InvalidOptions');
  await assertCommandError(t.run({ dropIndexes: 'missing', index: '*' }), 26, 'NamespaceNotFound');
  assert.deepEqual(await t.run({ dropIndexes: 'c', index: '*' }), { nIndexesWas: 3, msg: 'non-_id indexes dropped for collection' });
  assert.equal(firstBatch(await t.run({ listIndexes: 'c', cursor: {} })).length, 1);
  t.close();
});

test('collMod: index TTL and hidden with old/new values, prepareUnique then unique, pre/post images, 26/27', async () => {
  const t = testEngine();
  await t.run({ createIndexes: 'c', indexes: [{ key: { t: 1 }, name: 't_1', expireAfterSeconds: new Int32(100) }, { key: { u: 1 }, name: 'u_1' }] });
  t.mark();
  const ttl = await t.run({ collMod: 'c', index: { keyPattern: { t: 1 }, expireAfterSeconds: new Int32(200) } });
  assert.deepEqual(ttl, { expireAfterSeconds_old: new Int32(100), expireAfterSeconds_new: new Int32(200) });
  const [entry] = t.since();
  assert.deepEqual(entry.o, { collMod: 'c', index: { name: 't_1', expireAfterSeconds: new Int32(200) } });
  assert.deepEqual((entry.o2 as Document).indexOptions_old, { expireAfterSeconds: new Int32(100) });
  assert.deepEqual(await t.run({ collMod: 'c', index: { name: 'u_1', hidden: true } }), { hidden_old: false, hidden_new: true });
  await assertCommandError(t.run({ find: 'c', hint: 'u_1' }), 2, 'BadValue');
  await t.run({ insert: 'c', documents: [{ _id: 1, u: 1 }] });
  await assertCommandError(t.run({ collMod: 'c', index: { name: 'u_1', unique: true } }), 72, 'InvalidOptions');
  await t.run({ collMod: 'c', index: { name: 'u_1', prepareUnique: true } });
  const dup = await t.run({ insert: 'c', documents: [{ _id: 2, u: 1 }] });
  assert.equal((dup.writeErrors as Document[])[0].code, 11000);
  assert.deepEqual(await t.run({ collMod: 'c', index: { name: 'u_1', unique: true } }), { unique_new: true });
  const spec = firstBatch(await t.run({ listIndexes: 'c', cursor: {} })).find((s) => s.name === 'u_1');
  assert.deepEqual(spec, { v: 2, key: { u: 1 }, name: 'u_1', hidden: true, unique: true });
  await t.run({ collMod: 'c', changeStreamPreAndPostImages: { enabled: true } });
  t.mark();
  await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { $set: { v: 1 } } }] });
  const [upd] = t.since();
  assert.deepEqual(upd.preImage, { _id: 1, u: 1 });
  assert.deepEqual(upd.postImage, { _id: 1, u: 1, v: 1 });
  await assertCommandError(t.run({ collMod: 'missing' }), 26, 'NamespaceNotFound');
  await assertCommandError(t.run({ collMod: 'c', index: { name: 'nope', hidden: true } }), 27, 'IndexNotFound');
  await assertCommandError(t.run({ collMod: 'c', bogus: 1 }), 40415, 'IDLUnknownField');
  t.close();
});

test('listDatabases: admin/config/local present; sizeOnDisk/empty; filter', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{}] });
  const r = await t.run({ listDatabases: 1 }, 'admin');
  const names = (r.databases as Document[]).map((d) => d.name);
  assert.deepEqual(names, ['admin', 'config', 'local', 'test']);
  const test1 = (r.databases as Document[]).find((d) => d.name === 'test')!;
  assert.equal(test1.empty, false);
  assert.ok(r.totalSize !== undefined && r.totalSizeMb !== undefined);
  const filtered = await t.run({ listDatabases: 1, filter: { name: 'test' } }, 'admin');
  assert.equal((filtered.databases as Document[]).length, 1);
  t.close();
});
