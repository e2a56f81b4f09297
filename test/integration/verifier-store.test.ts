// The embedded verifier's batched point reads (rawDocuments) against simulated clusters: one read
// per namespace finds, for each key, exactly the document a read by that _id finds (numbers
// across BSON types, strings under the collection's collation), as raw bytes, or null; and the
// applier's record of the documents it wrote (recordChanged) holds each once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, Double, Int32, Long, type MongoClient } from 'mongodb';
import { changed, type DocumentKey, rawDocuments, recordChanged } from '../../src/activities/verifier-store';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';

let pair: ClusterPair;
let client: MongoClient;

before(async () => {
  pair = await startClusterPair();
  client = pair.admin.cluster0;
});

after(async () => {
  await pair?.close();
});

/** What a read by this one _id returns, raw (the reference rawDocuments must agree with). */
async function readOne(key: DocumentKey): Promise<Uint8Array | null> {
  const [found] = await client.db(key.db).collection(key.coll).find({ _id: key.id } as never, { raw: true, limit: 1 }).toArray();
  return (found as unknown as Uint8Array | undefined) ?? null;
}

const decoded = (bytes: Uint8Array | null) => (bytes === null ? null : BSON.deserialize(bytes, { promoteValues: false }));

test('rawDocuments finds what a read by each _id finds, across namespaces, types and collations', async () => {
  const app = client.db('app');
  await app.collection('numbers').insertMany([
    { _id: new Int32(1) as never, v: 'int' },
    { _id: Long.fromNumber(2) as never, v: 'long' },
    { _id: new Double(3.5) as never, v: 'double' },
    { _id: 'text' as never, v: 'string' },
    { _id: { a: 1, b: 2 } as never, v: 'object' },
  ]);
  await app.createCollection('folded', { collation: { locale: 'en', strength: 2 } });
  await app.collection('folded').insertMany([{ _id: 'Alpha' as never, v: 1 }, { _id: 'beta' as never, v: 2 }]);
  await client.db('other').collection('plain').insertOne({ _id: 7 as never, v: 'other db' });

  const keys: DocumentKey[] = [
    { db: 'app', coll: 'numbers', id: new Double(1) }, // the Int32 1 document
    { db: 'app', coll: 'numbers', id: new Int32(2) }, // the Int64 2 document
    { db: 'app', coll: 'numbers', id: new Double(3.5) },
    { db: 'app', coll: 'numbers', id: 'text' },
    { db: 'app', coll: 'numbers', id: { a: 1, b: 2 } },
    { db: 'app', coll: 'numbers', id: { b: 2, a: 1 } }, // field order counts: no document
    { db: 'app', coll: 'numbers', id: new Int32(9) }, // absent
    { db: 'app', coll: 'folded', id: 'ALPHA' }, // equal to 'Alpha' under the collation
    { db: 'app', coll: 'folded', id: 'beta' },
    { db: 'app', coll: 'folded', id: 'gamma' },
    { db: 'app', coll: 'missing', id: 1 }, // no such collection
    { db: 'other', coll: 'plain', id: new Int32(7) },
    { db: 'app', coll: 'numbers', id: new Int32(1) }, // the same document twice in one batch
  ];
  const batched = await rawDocuments(client, keys);
  assert.equal(batched.length, keys.length);
  for (const [i, key] of keys.entries()) {
    assert.deepEqual(decoded(batched[i]!), decoded(await readOne(key)), `key ${i}: ${JSON.stringify(key)}`);
  }
  assert.deepEqual(
    batched.map((bytes) => (decoded(bytes) as { v?: unknown } | null)?.v ?? null),
    ['int', 'long', 'double', 'string', 'object', null, null, 1, 2, null, null, 'other db', 'int'].map((v) => (typeof v === 'number' ? new Int32(v) : v)),
  );
});

test('recordChanged records each written document once, however often it is recorded', async () => {
  const destination = pair.admin.cluster1;
  const ns = { db: 'app', coll: 'items' };
  await recordChanged(destination, ns, [1, 2]);
  await recordChanged(destination, ns, [2, 3]); // 2 again: a duplicate is no error
  await recordChanged(destination, ns, [new Int32(3), 'x']);
  const entries = await changed(destination).find({}, { sort: { _id: 1 } }).toArray();
  assert.deepEqual(
    entries.map((entry) => entry._id.id),
    [1, 2, 3, 'x'],
  );
});
