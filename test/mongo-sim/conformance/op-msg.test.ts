// OP_MSG moreToCome through the driver: unacknowledged (w:0) writes get no reply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, type Target, type Loose } from './target';


let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

test('a w:0 insert is unacknowledged and the next command on the connection still gets its own reply', async () => {
  const client = target.client({ maxPoolSize: 1 });
  const coll = client.db(target.uniqueDb('w0')).collection<Loose>('c');
  const result = await coll.insertOne({ _id: 1 }, { writeConcern: { w: 0 } });
  assert.equal(result.acknowledged, false);
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 1 }]);
  assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
});

test('several w:0 writes in a row are applied in order', async () => {
  const client = target.client({ maxPoolSize: 1 });
  const coll = client.db(target.uniqueDb('w0')).collection<Loose>('c');
  const w0 = { writeConcern: { w: 0 } };
  await coll.insertMany([{ _id: 1, v: 0 }, { _id: 2, v: 0 }], w0);
  await coll.updateOne({ _id: 1 }, { $set: { v: 1 } }, w0);
  await coll.deleteOne({ _id: 2 }, w0);
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 1, v: 1 }]);
});

test('a failing w:0 write is silent and does not disturb later replies', async () => {
  const client = target.client({ maxPoolSize: 1 });
  const coll = client.db(target.uniqueDb('w0')).collection<Loose>('c');
  await coll.insertOne({ _id: 1 });
  const result = await coll.insertOne({ _id: 1 }, { writeConcern: { w: 0 } });
  assert.equal(result.acknowledged, false);
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 1 }]);
});

test('endSessions at client close is unacknowledged and leaves the server healthy', async () => {
  const first = target.client();
  await first.db('admin').command({ ping: 1 });
  await first.close();
  const second = target.client();
  assert.equal((await second.db('admin').command({ ping: 1 })).ok, 1);
});
