// Through the real driver and the simulator's wire layer: stored documents come back as the same
// BSON bytes, numeric types survive updates, and partitioned _id range reads cover a collection.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
  serialize,
  type Document,
} from 'bson';
import { startMongoSim, type MongoSim } from '../index';

let sim: MongoSim;
let client: MongoClient;

before(async () => {
  sim = await startMongoSim({ periodicNoopIntervalMs: 0 });
  client = new MongoClient(sim.uri, { promoteValues: false, bsonRegExp: true, serverSelectionTimeoutMS: 5000 });
  await client.connect();
});

after(async () => {
  await client.close();
  await sim.stop();
});

test('every BSON type and the field order round-trip byte for byte', async () => {
  const doc: Document = {
    _id: new ObjectId(),
    z: new Double(1),
    a: new Int32(1),
    l: Long.fromNumber(1),
    dec: Decimal128.fromString('1.10'),
    s: 'text',
    b: false,
    n: null,
    d: new Date(1_700_000_000_123),
    ts: new Timestamp({ t: 1_700_000_000, i: 9 }),
    re: new BSONRegExp('^a b', 'ix'),
    bin: new Binary(Buffer.from([1, 2, 3]), 128),
    uuid: new UUID(),
    min: new MinKey(),
    max: new MaxKey(),
    nested: { y: [new Double(2.5), { x: new Int32(-1) }, []], empty: {} },
  };
  const coll = client.db('roundtrip').collection('c');
  await coll.insertOne(doc);
  const back = await coll.findOne({ _id: doc._id });
  assert.ok(back);
  assert.deepEqual(Buffer.from(serialize(back)), Buffer.from(serialize(doc)));
});

test('updates keep the numeric types of untouched and incremented fields', async () => {
  const coll = client.db('roundtrip').collection<{ _id: Int32; [field: string]: unknown }>('types');
  await coll.insertOne({ _id: new Int32(1), d: new Double(2), i: new Int32(3), keep: new Double(4) });
  const db = client.db('roundtrip');
  await db.command({ update: 'types', updates: [{ q: { _id: new Int32(1) }, u: { $inc: { d: new Int32(1), i: new Int32(1) }, $set: { added: Long.fromNumber(5) } } }] });
  const back = (await coll.findOne({ _id: new Int32(1) })) as Document;
  assert.deepEqual(back, { _id: new Int32(1), d: new Double(3), i: new Int32(4), keep: new Double(4), added: Long.fromNumber(5) });
});

test('partitioned _id range reads sorted by _id cover the collection exactly once', async () => {
  const coll = client.db('roundtrip').collection('parts');
  const docs = Array.from({ length: 1000 }, (_, i) => ({ _id: new ObjectId(), i: new Int32(i) }));
  await coll.insertMany(docs);
  const ids = docs.map((d) => d._id).sort((a, b) => a.toHexString().localeCompare(b.toHexString()));
  const bounds = [ids[0], ids[250], ids[500], ids[750]];
  let seen = 0;
  let last: ObjectId | undefined;
  for (let p = 0; p < bounds.length; p++) {
    const filter = p + 1 < bounds.length ? { _id: { $gte: bounds[p], $lt: bounds[p + 1] } } : { _id: { $gte: bounds[p] } };
    for await (const d of coll.find(filter).sort({ _id: 1 }).hint({ _id: 1 }).batchSize(97)) {
      const id = d._id as unknown as ObjectId;
      if (last) assert.ok(id.toHexString() > last.toHexString());
      last = id;
      seen++;
    }
  }
  assert.equal(seen, 1000);
});
