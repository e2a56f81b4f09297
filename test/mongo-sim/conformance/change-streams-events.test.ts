// Change events through the driver's ChangeStream API: the field set and contents of every event
// type at collection, database and cluster level (change events, invalidate events).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, MongoClient, MongoServerError, Timestamp, type Document } from 'mongodb';
import { simulatorOnly, startSimulator, startTarget, type Target } from './target';
import { rejection, sortedKeys, started, take, tokenTime } from './change-streams-support';

let target: Target;
let client: MongoClient;

before(async () => {
  target = await startTarget();
  client = target.client();
});
after(() => target.close());

const FAST = { maxAwaitTimeMS: 50 };

function isUuid(v: unknown): boolean {
  return v instanceof Binary && v.sub_type === 4;
}

function hexOf(uuid: unknown): string {
  assert.ok(isUuid(uuid), 'a UUID');
  return (uuid as Binary).toString('hex');
}

function assertCommonFields(event: Document): void {
  assert.ok(event.clusterTime instanceof Timestamp, 'clusterTime is a Timestamp');
  assert.ok(event.wallTime instanceof Date, 'wallTime is a Date');
  assert.ok(tokenTime(event._id).equals(event.clusterTime), '_id starts with the clusterTime');
}

test('insert, update, replace and delete on a collection stream', async () => {
  const db = client.db(target.uniqueDb('cs_crud'));
  const coll = db.collection('c');
  await db.createCollection('c');
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.insertOne({ _id: 1, a: { b: 1 }, arr: [1, 2, 3], gone: true } as Document);
  await coll.updateOne({ _id: 1 } as Document, { $set: { 'a.b': 2 }, $unset: { gone: '' }, $push: { arr: 4 } } as Document);
  await coll.replaceOne({ _id: 1 } as Document, { x: 1 });
  await coll.deleteOne({ _id: 1 } as Document);
  const [insert, update, replace, del] = await take(stream, 4);
  await stream.close();
  const ns = { db: db.databaseName, coll: 'c' };

  assert.deepEqual(sortedKeys(insert), ['_id', 'clusterTime', 'documentKey', 'fullDocument', 'ns', 'operationType', 'wallTime']);
  assert.deepEqual(
    { operationType: insert.operationType, ns: insert.ns, documentKey: insert.documentKey, fullDocument: insert.fullDocument },
    { operationType: 'insert', ns, documentKey: { _id: 1 }, fullDocument: { _id: 1, a: { b: 1 }, arr: [1, 2, 3], gone: true } },
  );
  assertCommonFields(insert);

  assert.deepEqual(sortedKeys(update), ['_id', 'clusterTime', 'documentKey', 'ns', 'operationType', 'updateDescription', 'wallTime']);
  assert.equal(update.operationType, 'update');
  assert.deepEqual(update.documentKey, { _id: 1 });
  assert.deepEqual(update.updateDescription, {
    updatedFields: { 'a.b': 2, 'arr.3': 4 },
    removedFields: ['gone'],
    truncatedArrays: [],
  });
  assertCommonFields(update);

  assert.deepEqual(sortedKeys(replace), ['_id', 'clusterTime', 'documentKey', 'fullDocument', 'ns', 'operationType', 'wallTime']);
  assert.deepEqual([replace.operationType, replace.fullDocument, replace.documentKey], ['replace', { _id: 1, x: 1 }, { _id: 1 }]);

  assert.deepEqual(sortedKeys(del), ['_id', 'clusterTime', 'documentKey', 'ns', 'operationType', 'wallTime']);
  assert.deepEqual([del.operationType, del.documentKey, del.ns], ['delete', { _id: 1 }, ns]);

  const times = [insert, update, replace, del].map((e) => e.clusterTime as Timestamp);
  for (let i = 1; i < times.length; i++) assert.ok(times[i].greaterThan(times[i - 1]), 'clusterTime grows');
});

test('a pipeline update that shortens an array reports truncatedArrays', async () => {
  const db = client.db(target.uniqueDb('cs_trunc'));
  const coll = db.collection('c');
  await coll.insertOne({ _id: 1, arr: [1, 2, 3, 4], padding: 'p'.repeat(200) } as Document);
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.updateOne({ _id: 1 } as Document, [{ $set: { arr: { $slice: ['$arr', 2] } } }]);
  const [update] = await take(stream, 1);
  await stream.close();
  assert.equal(update.operationType, 'update');
  assert.deepEqual(update.updateDescription, { updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'arr', newSize: 2 }] });
});

test('disambiguatedPaths with showExpandedEvents only', async () => {
  const db = client.db(target.uniqueDb('cs_paths'));
  const coll = db.collection('c');
  await coll.insertOne({ _id: 1, a: { '1': 1 }, arr: [{ '1': 1 }] } as Document);
  const plain = coll.watch<Document, Document>([], FAST);
  const expanded = coll.watch<Document, Document>([], { ...FAST, showExpandedEvents: true });
  await started(plain);
  await started(expanded);
  await coll.updateOne({ _id: 1 } as Document, { $set: { 'a.1': 2 } });
  await coll.updateOne({ _id: 1 } as Document, { $set: { 'arr.0.1': 2 } });
  const plainEvents = await take(plain, 2);
  const expandedEvents = await take(expanded, 2);
  await plain.close();
  await expanded.close();
  for (const e of plainEvents) assert.equal((e.updateDescription as Document).disambiguatedPaths, undefined);
  assert.deepEqual((expandedEvents[0].updateDescription as Document).disambiguatedPaths, { 'a.1': ['a', '1'] });
  assert.deepEqual((expandedEvents[1].updateDescription as Document).disambiguatedPaths, { 'arr.0.1': ['arr', 0, '1'] });
  assert.ok(isUuid(expandedEvents[0].collectionUUID));
  assert.equal(plainEvents[0].collectionUUID, undefined);
});

test('drop on a collection stream: drop, then invalidate, then the stream is closed', async () => {
  const db = client.db(target.uniqueDb('cs_drop'));
  const coll = db.collection('c');
  await coll.insertOne({ _id: 1 } as Document);
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.drop();
  const [drop, invalidate] = await take(stream, 2);
  assert.deepEqual(sortedKeys(drop), ['_id', 'clusterTime', 'ns', 'operationType', 'wallTime']);
  assert.deepEqual([drop.operationType, drop.ns], ['drop', { db: db.databaseName, coll: 'c' }]);
  assert.deepEqual(sortedKeys(invalidate), ['_id', 'clusterTime', 'operationType', 'wallTime']);
  assert.equal(invalidate.operationType, 'invalidate');
  assert.ok((invalidate.clusterTime as Timestamp).equals(drop.clusterTime as Timestamp));
  assert.ok((invalidate._id as { _data: string })._data > (drop._id as { _data: string })._data);
  assert.equal(stream.closed, true);
});

test('rename on a collection stream: rename with `to`, then invalidate', async () => {
  const db = client.db(target.uniqueDb('cs_rename'));
  const coll = db.collection('a');
  await coll.insertOne({ _id: 1 } as Document);
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.rename('b');
  const [rename, invalidate] = await take(stream, 2);
  assert.deepEqual(sortedKeys(rename), ['_id', 'clusterTime', 'ns', 'operationType', 'to', 'wallTime']);
  assert.deepEqual([rename.operationType, rename.ns, rename.to], ['rename', { db: db.databaseName, coll: 'a' }, { db: db.databaseName, coll: 'b' }]);
  assert.equal(invalidate.operationType, 'invalidate');
});

test('dropDatabase on a database stream: a drop per collection, dropDatabase, invalidate', async () => {
  const db = client.db(target.uniqueDb('cs_dropdb'));
  await db.collection('x').insertOne({ _id: 1 } as Document);
  await db.collection('y').insertOne({ _id: 1 } as Document);
  const stream = db.watch<Document, Document>([], FAST);
  await started(stream);
  await db.dropDatabase();
  const events = await take(stream, 4);
  assert.deepEqual(events.map((e) => e.operationType), ['drop', 'drop', 'dropDatabase', 'invalidate']);
  assert.deepEqual(events.slice(0, 2).map((e) => (e.ns as Document).coll).sort(), ['x', 'y']);
  assert.deepEqual(sortedKeys(events[2]), ['_id', 'clusterTime', 'ns', 'operationType', 'wallTime']);
  assert.deepEqual(events[2].ns, { db: db.databaseName });
  assert.equal(stream.closed, true);
});

test('a database stream sees every collection of its database, and no other database', async () => {
  const db = client.db(target.uniqueDb('cs_dblevel'));
  const other = client.db(target.uniqueDb('cs_dblevel_other'));
  const stream = db.watch<Document, Document>([], FAST);
  await started(stream);
  await other.collection('c').insertOne({ _id: 'other' } as Document);
  await db.collection('c1').insertOne({ _id: 1 } as Document);
  await db.collection('c2').insertOne({ _id: 2 } as Document);
  const events = await take(stream, 2);
  await stream.close();
  assert.deepEqual(events.map((e) => [(e.ns as Document).coll, (e.documentKey as Document)._id]), [['c1', 1], ['c2', 2]]);
});

test('a cluster stream sees every database but admin, config and local', async () => {
  const dbA = client.db(target.uniqueDb('cs_cluster_a'));
  const dbB = client.db(target.uniqueDb('cs_cluster_b'));
  const adminColl = target.uniqueDb('cs_cluster_admin');
  const stream = client.watch<Document, Document>([{ $match: { $or: [{ 'ns.db': { $in: [dbA.databaseName, dbB.databaseName] } }, { 'ns.coll': adminColl }] } }], FAST);
  await started(stream);
  await client.db('admin').collection(adminColl).insertOne({ _id: 'admin' } as Document);
  await dbA.collection('c').insertOne({ _id: 'a' } as Document);
  await dbB.collection('c').insertOne({ _id: 'b' } as Document);
  await dbA.dropDatabase();
  const events = await take(stream, 4);
  assert.equal(stream.closed, false, 'a cluster stream is never invalidated');
  await stream.close();
  await client.db('admin').collection(adminColl).drop();
  assert.deepEqual(
    events.map((e) => [e.operationType, (e.ns as Document).db]),
    [
      ['insert', dbA.databaseName],
      ['insert', dbB.databaseName],
      ['drop', dbA.databaseName],
      ['dropDatabase', dbA.databaseName],
    ],
  );
});

test('without showExpandedEvents, DDL other than drop/rename/dropDatabase is not reported', async () => {
  const db = client.db(target.uniqueDb('cs_classic'));
  const stream = db.watch<Document, Document>([], FAST);
  await started(stream);
  await db.createCollection('c');
  await db.collection('c').createIndex({ x: 1 });
  await db.command({ collMod: 'c', validator: {} });
  await db.collection('c').dropIndex('x_1');
  await db.createCollection('v', { viewOn: 'c', pipeline: [] });
  await db.collection('c').insertOne({ _id: 'last' } as Document);
  const [event] = await take(stream, 1);
  await stream.close();
  assert.deepEqual([event.operationType, event.documentKey], ['insert', { _id: 'last' }]);
});

test('expanded events: create, createIndexes, modify, dropIndexes, rename with dropTarget', async () => {
  const db = client.db(target.uniqueDb('cs_expanded'));
  const stream = db.watch<Document, Document>([], { ...FAST, showExpandedEvents: true });
  await started(stream);
  await db.createCollection('c');
  const coll = db.collection('c');
  await coll.insertOne({ _id: 1, t: new Date() } as Document);
  await coll.createIndex({ t: 1 }, { name: 't_1', expireAfterSeconds: 100 });
  await db.command({ collMod: 'c', index: { name: 't_1', expireAfterSeconds: 200 } });
  await coll.dropIndex('t_1');
  await db.createCollection('target');
  await coll.rename('target', { dropTarget: true });
  const events = await take(stream, 7);
  await stream.close();
  const [create, insert, createIndexes, modify, dropIndexes, createTarget, rename] = events;
  const ns = { db: db.databaseName, coll: 'c' };

  assert.deepEqual(sortedKeys(create), ['_id', 'clusterTime', 'collectionUUID', 'ns', 'operationDescription', 'operationType', 'wallTime']);
  assert.deepEqual([create.operationType, create.ns], ['create', ns]);
  assert.deepEqual(create.operationDescription, { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } });
  const uuid = create.collectionUUID as Binary;
  assert.ok(isUuid(uuid));

  assert.equal(insert.operationType, 'insert');
  assert.equal(hexOf(insert.collectionUUID), hexOf(uuid));

  assert.deepEqual(sortedKeys(createIndexes), ['_id', 'clusterTime', 'collectionUUID', 'ns', 'operationDescription', 'operationType', 'wallTime']);
  assert.deepEqual([createIndexes.operationType, createIndexes.ns], ['createIndexes', ns]);
  assert.deepEqual(createIndexes.operationDescription, { indexes: [{ v: 2, key: { t: 1 }, name: 't_1', expireAfterSeconds: 100 }] });

  assert.deepEqual(sortedKeys(modify), ['_id', 'clusterTime', 'collectionUUID', 'ns', 'operationDescription', 'operationType', 'stateBeforeChange', 'wallTime']);
  assert.equal(modify.operationType, 'modify');
  assert.deepEqual(modify.operationDescription, { index: { name: 't_1', expireAfterSeconds: 200 } });
  assert.deepEqual((modify.stateBeforeChange as Document).indexOptions, { expireAfterSeconds: 100 });
  assert.equal(typeof (modify.stateBeforeChange as Document).collectionOptions, 'object');

  assert.deepEqual([dropIndexes.operationType, dropIndexes.operationDescription], [
    'dropIndexes',
    { indexes: [{ v: 2, key: { t: 1 }, name: 't_1', expireAfterSeconds: 200 }] },
  ]);

  assert.deepEqual([createTarget.operationType, (createTarget.ns as Document).coll], ['create', 'target']);
  const targetUuid = createTarget.collectionUUID as Binary;

  assert.deepEqual(sortedKeys(rename), ['_id', 'clusterTime', 'collectionUUID', 'ns', 'operationDescription', 'operationType', 'to', 'wallTime']);
  assert.deepEqual([rename.operationType, rename.ns, rename.to], ['rename', ns, { db: db.databaseName, coll: 'target' }]);
  const description = rename.operationDescription as Document;
  assert.deepEqual(sortedKeys(description), ['dropTarget', 'to']);
  assert.deepEqual(description.to, { db: db.databaseName, coll: 'target' });
  assert.equal(hexOf(description.dropTarget), hexOf(targetUuid));
});

test('expanded events: views are reported as create, modify and drop, without collectionUUID', async () => {
  const db = client.db(target.uniqueDb('cs_view'));
  const stream = db.watch<Document, Document>([], { ...FAST, showExpandedEvents: true });
  await started(stream);
  await db.createCollection('v', { viewOn: 'c', pipeline: [{ $match: { a: 1 } }] });
  await db.command({ collMod: 'v', viewOn: 'c', pipeline: [{ $match: { a: 2 } }] });
  await db.collection('v').drop();
  const [create, modify, drop] = await take(stream, 3);
  await stream.close();
  const ns = { db: db.databaseName, coll: 'v' };
  assert.deepEqual(sortedKeys(create), ['_id', 'clusterTime', 'ns', 'operationDescription', 'operationType', 'wallTime']);
  assert.deepEqual([create.operationType, create.ns], ['create', ns]);
  assert.deepEqual(create.operationDescription, { viewOn: 'c', pipeline: [{ $match: { a: 1 } }] });
  assert.deepEqual(sortedKeys(modify), ['_id', 'clusterTime', 'ns', 'operationDescription', 'operationType', 'wallTime']);
  assert.deepEqual([modify.operationType, modify.ns], ['modify', ns]);
  assert.deepEqual(modify.operationDescription, { viewOn: 'c', pipeline: [{ $match: { a: 2 } }] });
  assert.deepEqual(sortedKeys(drop), ['_id', 'clusterTime', 'ns', 'operationType', 'wallTime']);
  assert.deepEqual([drop.operationType, drop.ns], ['drop', ns]);
});

test('inserting into a missing collection reports create before insert on an expanded stream', async () => {
  const db = client.db(target.uniqueDb('cs_implicit'));
  const stream = db.collection('c').watch<Document, Document>([], { ...FAST, showExpandedEvents: true });
  await started(stream);
  await db.collection('c').insertOne({ _id: 1 } as Document);
  const events = await take(stream, 2);
  await stream.close();
  assert.deepEqual(events.map((e) => e.operationType), ['create', 'insert']);
});

test('the user pipeline filters and reshapes events', async () => {
  const db = client.db(target.uniqueDb('cs_pipeline'));
  const coll = db.collection('c');
  const stream = coll.watch<Document, Document>(
    [{ $match: { operationType: { $in: ['update', 'delete'] } } }, { $addFields: { tag: 'seen' } }, { $project: { wallTime: 0 } }],
    FAST,
  );
  await started(stream);
  await coll.insertOne({ _id: 1 } as Document);
  await coll.updateOne({ _id: 1 } as Document, { $set: { a: 1 } });
  await coll.deleteOne({ _id: 1 } as Document);
  const events = await take(stream, 2);
  await stream.close();
  assert.deepEqual(events.map((e) => [e.operationType, e.tag, e.wallTime]), [
    ['update', 'seen', undefined],
    ['delete', 'seen', undefined],
  ]);
});

simulatorOnly('a 6.0 server sends no disambiguatedPaths, and before 6.0.9 does not know $changeStreamSplitLargeEvent', async () => {
  const sim = await startSimulator({ version: '6.0.8' });
  const old = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const coll = old.db('v60').collection('c');
    await coll.insertOne({ _id: 1, a: { '1': 1 } } as Document);
    const stream = coll.watch<Document, Document>([], { ...FAST, showExpandedEvents: true });
    await started(stream);
    await coll.updateOne({ _id: 1 } as Document, { $set: { 'a.1': 2 } });
    const [update] = await take(stream, 1);
    await stream.close();
    assert.deepEqual(update.updateDescription, { updatedFields: { 'a.1': 2 }, removedFields: [], truncatedArrays: [] });
    assert.ok(isUuid(update.collectionUUID));
    const split = coll.watch<Document, Document>([{ $changeStreamSplitLargeEvent: {} }], FAST);
    const err = await rejection(split.tryNext());
    assert.ok(err instanceof MongoServerError, String(err));
    assert.equal(err.code, 40324);
    await split.close();
  } finally {
    await old.close();
    await sim.stop();
  }
});
