// appendOplogNote, local.oplog.rs, dbHash and $collStats end to end (administrative commands, logical time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, MongoServerError, Timestamp, UUID } from 'mongodb';
import { startTarget, type Loose, type Target } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

test('appendOplogNote writes a no-op and returns its time as operationTime', async () => {
  const admin = target.client().db('admin');
  const first = await admin.command({ appendOplogNote: 1, data: { note: 'one' } });
  const second = await admin.command({ appendOplogNote: 1, data: { note: 'two' } });
  assert.ok(second.operationTime instanceof Timestamp);
  assert.ok((second.operationTime as Timestamp).greaterThan(first.operationTime as Timestamp));
  const [entry] = await target.client().db('local').collection('oplog.rs').find({ ts: second.operationTime }).toArray();
  assert.equal(entry.op, 'n');
  assert.equal(entry.ns, '');
  assert.deepEqual(entry.o, { note: 'two' });
});

test('appendOplogNote with a past maxClusterTime is 209 StaleClusterTime carrying operationTime', async () => {
  const admin = target.client().db('admin');
  const { operationTime } = await admin.command({ appendOplogNote: 1, data: {} });
  const error = await admin.command({ appendOplogNote: 1, data: {}, maxClusterTime: operationTime }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof MongoServerError);
  assert.equal(error.code, 209);
  assert.equal(error.codeName, 'StaleClusterTime');
  assert.ok(error.errorResponse.operationTime instanceof Timestamp);
});

test('appendOplogNote without data fails, and outside admin is 13', async () => {
  await assert.rejects(target.client().db('admin').command({ appendOplogNote: 1 }), (e: unknown) => e instanceof MongoServerError && [4, 14, 40414].includes(Number(e.code)));
  await assert.rejects(target.client().db('test').command({ appendOplogNote: 1, data: {} }), { code: 13 });
});

test('local.oplog.rs shows an insert as {op: i, ns, ui, o, ts, t, v, wall}, newest first with $natural: -1', async () => {
  const client = target.client();
  const dbName = target.uniqueDb('ops');
  await client.db(dbName).collection<Loose>('c').insertOne({ _id: 42, a: 1 });
  const [entry] = await client.db('local').collection('oplog.rs').find({ ns: `${dbName}.c`, op: 'i' }).sort({ $natural: -1 }).limit(1).toArray();
  assert.equal(entry.op, 'i');
  assert.equal(entry.ns, `${dbName}.c`);
  assert.ok(entry.ui instanceof UUID);
  assert.deepEqual(entry.o, { _id: 42, a: 1 });
  assert.ok(entry.ts instanceof Timestamp);
  assert.ok(entry.t instanceof Long || typeof entry.t === 'number');
  assert.ok(entry.wall instanceof Date);
});

test('dbHash reports an md5 per collection and an overall md5', async () => {
  const db = target.client().db(target.uniqueDb('hash'));
  await db.collection<Loose>('c').insertOne({ _id: 1 });
  const reply = await db.command({ dbHash: 1 });
  assert.equal(typeof reply.host, 'string');
  assert.match(reply.collections.c, /^[0-9a-f]{32}$/);
  assert.match(reply.md5, /^[0-9a-f]{32}$/);
  assert.ok(reply.uuids.c instanceof UUID);
  const other = await db.command({ dbHash: 1, collections: ['c', 'missing'] });
  assert.deepEqual(Object.keys(other.collections), ['c']);
});

test('$collStats storageStats reports count, size and the index sizes', async () => {
  const db = target.client().db(target.uniqueDb('stats'));
  await db.collection<Loose>('c').insertMany([{ a: 1 }, { a: 2 }]);
  const [stats] = await db.collection('c').aggregate([{ $collStats: { storageStats: {} } }]).toArray();
  assert.equal(stats.ns, `${db.databaseName}.c`);
  assert.equal(stats.storageStats.count, 2);
  assert.ok(stats.storageStats.size > 0);
  assert.ok(stats.storageStats.avgObjSize > 0);
  assert.equal(typeof stats.storageStats.indexSizes._id_, 'number');
  assert.equal(stats.storageStats.nindexes, 1);
});
