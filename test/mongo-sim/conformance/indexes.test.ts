// createIndexes, listIndexes and dropIndexes end to end (catalog commands, DDL commands).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Db } from 'mongodb';
import { startTarget, type Loose, type Target, failure } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

function freshDb(): Db {
  return target.client().db(target.uniqueDb('idx'));
}

test('createIndexes reports counts and creates the collection implicitly', async () => {
  const db = freshDb();
  const reply = await db.command({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'x_1' }] });
  assert.equal(reply.numIndexesBefore, 1);
  assert.equal(reply.numIndexesAfter, 2);
  assert.equal(reply.createdCollectionAutomatically, true);
  const again = await db.command({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'x_1' }] });
  assert.equal(again.numIndexesBefore, 2);
  assert.equal(again.numIndexesAfter, 2);
  assert.equal(again.note, 'all indexes already exist');
});

test('listIndexes shows v 2 specs; a missing collection is 26 "ns does not exist"', async () => {
  const db = freshDb();
  await db.collection('c').createIndex({ x: 1 }, { unique: true });
  const specs = (await db.command({ listIndexes: 'c', cursor: {} })).cursor.firstBatch;
  assert.deepEqual(specs, [
    { v: 2, key: { _id: 1 }, name: '_id_' },
    { v: 2, key: { x: 1 }, name: 'x_1', unique: true },
  ]);
  const error = await failure(db.command({ listIndexes: 'missing', cursor: {} }));
  assert.equal(error.code, 26);
  assert.equal(error.message, `ns does not exist: ${db.databaseName}.missing`);
});

test('same name with another key is 86; same key with another name is 85', async () => {
  const db = freshDb();
  await db.collection('c').createIndex({ x: 1 }, { name: 'x_1' });
  const keyConflict = await failure(db.command({ createIndexes: 'c', indexes: [{ key: { y: 1 }, name: 'x_1' }] }));
  assert.equal(keyConflict.code, 86);
  assert.equal(keyConflict.codeName, 'IndexKeySpecsConflict');
  const optionsConflict = await failure(db.command({ createIndexes: 'c', indexes: [{ key: { x: 1 }, name: 'other' }] }));
  assert.equal(optionsConflict.code, 85);
  assert.equal(optionsConflict.codeName, 'IndexOptionsConflict');
});

test('a unique index turns duplicates into 11000 naming the index', async () => {
  const db = freshDb();
  await db.collection('c').createIndex({ email: 1 }, { unique: true });
  await db.collection<Loose>('c').insertOne({ email: 'a@x' });
  const error = await failure(db.collection<Loose>('c').insertOne({ email: 'a@x' }));
  assert.equal(error.code, 11000);
  assert.match(error.message, /index: email_1 dup key: \{ email: "a@x" \}/);
  assert.deepEqual(error.keyPattern, { email: 1 });
});

test('dropIndexes: nIndexesWas, 27 for a missing index, 26 for a missing collection', async () => {
  const db = freshDb();
  await db.collection('c').createIndex({ x: 1 });
  await db.collection('c').createIndex({ y: 1 });
  const reply = await db.command({ dropIndexes: 'c', index: 'x_1' });
  assert.equal(reply.nIndexesWas, 3);
  const missing = await failure(db.command({ dropIndexes: 'c', index: 'x_1' }));
  assert.equal(missing.code, 27);
  assert.equal(missing.codeName, 'IndexNotFound');
  assert.equal(missing.message, 'index not found with name [x_1]');
  assert.equal((await failure(db.command({ dropIndexes: 'nope', index: 'x_1' }))).code, 26);
  const all = await db.command({ dropIndexes: 'c', index: '*' });
  assert.equal(all.nIndexesWas, 2);
  assert.deepEqual((await db.collection('c').listIndexes().toArray()).map((i) => i.name), ['_id_']);
});
