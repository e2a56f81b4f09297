// Catalog and DDL commands end to end (catalog commands): reply shapes, 7.0 idempotence, error codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { UUID, type Db } from 'mongodb';
import { startTarget, type Loose, type Target, failure } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

function freshDb(): Db {
  return target.client().db(target.uniqueDb('cat'));
}

async function serverSeries(): Promise<string> {
  const info = await target.client().db('admin').command({ buildInfo: 1 });
  return (info.version as string).split('.').slice(0, 2).join('.');
}

test('listCollections items: name, type, options, info {readOnly, uuid}, idIndex', async () => {
  const db = freshDb();
  await db.createCollection('c', { validator: { a: { $exists: true } } });
  const [item] = (await db.command({ listCollections: 1, filter: { name: 'c' }, cursor: {} })).cursor.firstBatch;
  assert.equal(item.name, 'c');
  assert.equal(item.type, 'collection');
  assert.deepEqual(item.options, { validator: { a: { $exists: true } } });
  assert.equal(item.info.readOnly, false);
  assert.ok(item.info.uuid instanceof UUID);
  assert.deepEqual(item.idIndex, { v: 2, key: { _id: 1 }, name: '_id_' });
});

test('listCollections nameOnly items are {name, type}; views are type view with viewOn/pipeline', async () => {
  const db = freshDb();
  await db.createCollection('base');
  await db.createCollection('v', { viewOn: 'base', pipeline: [{ $match: { a: 1 } }] });
  const names = (await db.command({ listCollections: 1, nameOnly: true, cursor: {} })).cursor.firstBatch;
  for (const item of names) assert.deepEqual(Object.keys(item).sort(), ['name', 'type']);
  const [view] = (await db.command({ listCollections: 1, filter: { name: 'v' }, cursor: {} })).cursor.firstBatch;
  assert.equal(view.type, 'view');
  assert.deepEqual(view.options, { viewOn: 'base', pipeline: [{ $match: { a: 1 } }] });
  assert.equal(view.info.readOnly, true);
  assert.ok(names.some((n: { name: string }) => n.name === 'system.views'));
});

test('listCollections rejects unknown fields with 40415 and returns nothing for a missing database', async () => {
  const db = freshDb();
  const error = await failure(db.command({ listCollections: 1, bogusField: 1 }));
  assert.equal(error.code, 40415);
  assert.equal(error.codeName, 'IDLUnknownField');
  assert.deepEqual((await db.command({ listCollections: 1, cursor: {} })).cursor.firstBatch, []);
});

test('create with identical options succeeds again since 7.0; different options are 48', async () => {
  const db = freshDb();
  await db.command({ create: 'c', capped: true, size: 4096 });
  if ((await serverSeries()) !== '6.0') assert.equal((await db.command({ create: 'c', capped: true, size: 4096 })).ok, 1);
  const error = await failure(db.command({ create: 'c' }));
  assert.equal(error.code, 48);
  assert.equal(error.codeName, 'NamespaceExists');
});

test('an invalid collection name is 73 InvalidNamespace', async () => {
  assert.equal((await failure(freshDb().command({ create: 'bad$name' }))).code, 73);
});

test('drop of a missing collection succeeds since 7.0; drop reports nIndexesWas and ns', async () => {
  const db = freshDb();
  if ((await serverSeries()) !== '6.0') assert.equal((await db.command({ drop: 'missing' })).ok, 1);
  await db.collection<Loose>('c').insertOne({ a: 1 });
  await db.collection('c').createIndex({ a: 1 });
  const reply = await db.command({ drop: 'c' });
  assert.equal(reply.nIndexesWas, 2);
  assert.equal(reply.ns, `${db.databaseName}.c`);
});

test('dropDatabase reports the dropped name', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertOne({ a: 1 });
  const reply = await db.command({ dropDatabase: 1 });
  assert.equal(reply.dropped, db.databaseName);
  assert.deepEqual(await db.listCollections().toArray(), []);
});

test('renameCollection: admin only, missing source 26, existing target 48, onto itself 20', async () => {
  const db = freshDb();
  const admin = target.client().db('admin');
  const ns = (c: string) => `${db.databaseName}.${c}`;
  await db.collection<Loose>('a').insertOne({ _id: 1 });
  await db.collection<Loose>('b').insertOne({ _id: 2 });
  const notAdmin = await failure(db.command({ renameCollection: ns('a'), to: ns('x') }));
  assert.equal(notAdmin.code, 13);
  assert.equal(notAdmin.message, 'renameCollection may only be run against the admin database.');
  assert.equal((await failure(admin.command({ renameCollection: ns('nope'), to: ns('x'), dropTarget: false }))).code, 26);
  const exists = await failure(admin.command({ renameCollection: ns('a'), to: ns('b'), dropTarget: false }));
  assert.equal(exists.code, 48);
  const itself = await failure(admin.command({ renameCollection: ns('a'), to: ns('a'), dropTarget: false }));
  assert.equal(itself.code, 20);
  await admin.command({ renameCollection: ns('a'), to: ns('b'), dropTarget: true });
  assert.deepEqual(await db.collection<Loose>('b').find({}).toArray(), [{ _id: 1 }]);
});

test('the driver rename() and drop() helpers work', async () => {
  const db = freshDb();
  await db.collection<Loose>('a').insertOne({ _id: 1 });
  await db.collection('a').rename('z');
  assert.deepEqual(await db.collection<Loose>('z').find({}).toArray(), [{ _id: 1 }]);
  assert.equal(await db.collection('z').drop(), true);
});

test('collMod of a missing collection is 26; of a missing index is 27', async () => {
  const db = freshDb();
  assert.equal((await failure(db.command({ collMod: 'missing', validator: {} }))).code, 26);
  await db.createCollection('c');
  const error = await failure(db.command({ collMod: 'c', index: { name: 'nope_1', hidden: true } }));
  assert.equal(error.code, 27);
});

test('listDatabases lists name, sizeOnDisk and empty, or names only', async () => {
  const db = freshDb();
  await db.collection<Loose>('c').insertOne({ a: 1 });
  const admin = target.client().db('admin');
  const full = await admin.command({ listDatabases: 1 });
  const mine = full.databases.find((d: { name: string }) => d.name === db.databaseName);
  assert.ok(mine);
  assert.equal(typeof mine.sizeOnDisk, 'number');
  assert.equal(mine.empty, false);
  assert.equal(typeof full.totalSize, 'number');
  assert.equal(typeof full.totalSizeMb, 'number');
  const names = await admin.command({ listDatabases: 1, nameOnly: true });
  for (const d of names.databases) assert.deepEqual(Object.keys(d), ['name']);
  assert.ok(names.databases.some((d: { name: string }) => d.name === 'admin'));
});

test('listDatabases outside admin is 13 Unauthorized', async () => {
  assert.equal((await failure(freshDb().command({ listDatabases: 1 }))).code, 13);
});
