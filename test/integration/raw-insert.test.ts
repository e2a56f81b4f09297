// Raw inserts (src/mongo/raw-insert.ts) on a simulated replica set: documents read as BSON are
// written byte for byte, whatever their types and field order; duplicate keys and other
// per-document failures come back as write errors of the reply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, Decimal128, Double, Int32, Long, type MongoClient } from 'mongodb';
import { insertRawDocuments } from '../../src/mongo/raw-insert';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';

let pair: ClusterPair;
let destination: MongoClient;

before(async () => {
  pair = await startClusterPair();
  destination = pair.admin.cluster1;
});

after(async () => {
  await pair?.close();
});

async function readRaw(client: MongoClient, db: string, coll: string): Promise<Buffer[]> {
  const docs: Buffer[] = [];
  for await (const doc of client.db(db).collection(coll).find({}, { raw: true, sort: { _id: 1 } })) docs.push(Buffer.from(doc as unknown as Uint8Array));
  return docs;
}

test('documents are written byte for byte: Int64 beyond 2^53, Decimal128, -0.0, Int32 vs Double, regex flags, field order', async () => {
  const documents = [
    { _id: 1, z: new Long('9007199254740993'), a: Decimal128.fromString('1.10'), m: new Double(-0), i: new Int32(5), d: new Double(5), r: new BSON.BSONRegExp('^a', 'imsx') },
    { _id: new Long('-9223372036854775808'), nested: { b: 1, a: [new Double(0.1), null, 'é'] }, when: new Date(-1) },
    { _id: 'three', bin: new BSON.Binary(Buffer.from([0, 255]), 4), ts: new BSON.Timestamp({ t: 1, i: 2 }) },
  ];
  const bytes = documents.map((doc) => BSON.serialize(doc));
  const reply = await insertRawDocuments(destination.db('raw'), 'fidelity', bytes);
  assert.deepEqual(reply, { n: 3, writeErrors: [] });
  const back = await readRaw(destination, 'raw', 'fidelity');
  const sortedIn = [...bytes].map((b) => Buffer.from(b));
  // the server orders numbers before strings: Long.MIN, 1, 'three'
  assert.deepEqual(back, [sortedIn[1], sortedIn[0], sortedIn[2]]);
});

test('duplicate keys and invalid documents are write errors of the reply, the other documents are written', async () => {
  const db = destination.db('raw');
  await insertRawDocuments(db, 'dups', [BSON.serialize({ _id: 1 })]);
  const reply = await insertRawDocuments(db, 'dups', [BSON.serialize({ _id: 1, again: true }), BSON.serialize({ _id: [1, 2] }), BSON.serialize({ _id: 2 })]);
  assert.equal(reply.n, 1);
  assert.deepEqual(
    reply.writeErrors.map((error) => [error.index, error.code]),
    [
      [0, 11000],
      [1, 53],
    ],
  );
  assert.deepEqual(await db.collection('dups').find({}, { sort: { _id: 1 } }).toArray(), [{ _id: 1 }, { _id: 2 }]);
});
