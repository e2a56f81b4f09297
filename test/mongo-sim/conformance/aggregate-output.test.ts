// $out and $merge: what they leave in the target collection, and what the oplog shows of $out
// (a temporary collection renamed over the target).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document, MongoClient, Timestamp } from 'mongodb';
import { failure, startTarget, type Loose, type Target } from './target';

let target: Target;
let client: MongoClient;

before(async () => {
  target = await startTarget();
  client = target.client();
});
after(() => target.close());

async function lastOplogTs(): Promise<Timestamp> {
  const [last] = await client.db('local').collection('oplog.rs').find({}).sort({ $natural: -1 }).limit(1).toArray();
  return last.ts as Timestamp;
}

test('$out replaces the target through tmp.agg_out.<uuid>: create, inserts, then renameCollection with dropTarget; indexes are kept', async () => {
  const db = client.db(target.uniqueDb('out'));
  const source = db.collection<Loose>('src');
  const out = db.collection<Loose>('dst');
  await source.insertMany([{ _id: 1, x: 1 }, { _id: 2, x: 2 }, { _id: 3, x: 3 }]);
  await out.insertOne({ _id: 99, old: true });
  await out.createIndex({ x: 1 }, { name: 'x_1' });
  const oldUuid = ((await db.listCollections({ name: 'dst' }).toArray())[0] as Document).info?.uuid as unknown;
  const from = await lastOplogTs();
  const result = await source.aggregate([{ $match: { x: { $gte: 2 } } }, { $out: 'dst' }]).toArray();
  assert.deepEqual(result, []);
  assert.deepEqual(await out.find({}).sort({ _id: 1 }).toArray(), [{ _id: 2, x: 2 }, { _id: 3, x: 3 }]);
  assert.deepEqual((await out.listIndexes().toArray()).map((i) => i.name), ['_id_', 'x_1']);

  const entries = await client.db('local').collection('oplog.rs').find({ ts: { $gt: from }, op: { $ne: 'n' } }).sort({ $natural: 1 }).toArray();
  const create = entries[0];
  assert.equal(create.op, 'c');
  assert.match(String(create.o.create), /^tmp\.agg_out\./);
  const tempNs = `${db.databaseName}.${String(create.o.create)}`;
  assert.deepEqual(entries.filter((e) => e.op === 'i').map((e) => [e.ns, e.o._id]), [[tempNs, 2], [tempNs, 3]]);
  const rename = entries[entries.length - 1];
  assert.equal(rename.o.renameCollection, tempNs);
  assert.equal(rename.o.to, `${db.databaseName}.dst`);
  assert.deepEqual(rename.o.dropTarget, oldUuid);
  assert.deepEqual((await db.listCollections().toArray()).map((c) => c.name).sort(), ['dst', 'src']);
});

test('$out must be the last stage', async () => {
  const coll = client.db(target.uniqueDb('out')).collection<Loose>('src');
  await coll.insertOne({ _id: 1 });
  const error = await failure(coll.aggregate([{ $out: 'x' }, { $match: {} }]).toArray());
  assert.equal(error.code, 40601);
});

test('$merge: whenMatched merge/replace/keepExisting/fail and whenNotMatched insert/discard/fail', async () => {
  const db = client.db(target.uniqueDb('merge'));
  const source = db.collection<Loose>('src');
  const into = db.collection<Loose>('dst');
  await source.insertMany([{ _id: 1, a: 10 }, { _id: 2, a: 20 }]);
  const reset = async () => {
    await into.deleteMany({});
    await into.insertOne({ _id: 1, a: 1, b: 1 });
  };
  const run = (spec: Document) => source.aggregate([{ $merge: { into: 'dst', ...spec } }]).toArray();

  await reset();
  await run({});
  assert.deepEqual(await into.find({}).sort({ _id: 1 }).toArray(), [{ _id: 1, a: 10, b: 1 }, { _id: 2, a: 20 }]);

  await reset();
  await run({ whenMatched: 'replace', whenNotMatched: 'discard' });
  assert.deepEqual(await into.find({}).toArray(), [{ _id: 1, a: 10 }]);

  await reset();
  await run({ whenMatched: 'keepExisting', whenNotMatched: 'insert' });
  assert.deepEqual(await into.find({}).sort({ _id: 1 }).toArray(), [{ _id: 1, a: 1, b: 1 }, { _id: 2, a: 20 }]);

  await reset();
  assert.equal((await failure(run({ whenMatched: 'fail' }))).code, 11000);

  await reset();
  assert.equal((await failure(run({ whenMatched: 'merge', whenNotMatched: 'fail' }))).code, 13113);

  await reset();
  assert.equal((await failure(run({ on: 'a' }))).code, 51183, 'on fields need a unique index');
});
