// The commit-time resync replaces every recorded document with the source's version and
// deletes the ones the source no longer has, telling them apart exactly as the server does,
// with snowflake-style Int64 _ids that share one double.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Int32, Long, MongoClient } from 'mongodb';
import { recordForResync, resyncRecorded } from '../../src/activities/resync-set';
import { startMongoSim, type MongoSim } from '../mongo-sim';
import { compareClusters } from '../support/compare-clusters';

let sims: MongoSim[] = [];
let source: MongoClient;
let destination: MongoClient;

before(async () => {
  sims = [await startMongoSim(), await startMongoSim()];
  source = new MongoClient(sims[0]!.uri);
  destination = new MongoClient(sims[1]!.uri);
});

after(async () => {
  await source?.close();
  await destination?.close();
  for (const sim of sims) await sim.stop();
});

test('recorded Int64 ids above 2^53 are resynced one by one: deleted ones go, kept ones stay', async () => {
  const first = 2n ** 60n;
  const ids = Array.from({ length: 300 }, (_v, i) => Long.fromBigInt(first + BigInt(i)));
  // The destination still has every document; the source deleted every other one and changed the rest.
  await destination.db('snow').collection('flakes').insertMany(ids.map((id) => ({ _id: id, v: 0 })) as never[]);
  await source.db('snow').collection('flakes').insertMany(ids.filter((_id, i) => i % 2 === 1).map((id) => ({ _id: id, v: 1 })) as never[]);
  await recordForResync(destination, { db: 'snow', coll: 'flakes' }, ids);

  const done = await resyncRecorded(source, destination);
  assert.equal(done, 300);
  assert.deepEqual(await compareClusters(source, destination), []);
});

test("a document whose _id is the same number in another BSON type on the source is rewritten with the source's type", async () => {
  // deleted on the source and inserted again as Double 7.0 and Long 8 where the destination still holds Int32 7 and 8
  await destination.db('alias').collection('ids').insertMany([{ _id: new Int32(7), v: 0 }, { _id: new Int32(8), v: 0 }] as never[]);
  await source.db('alias').collection('ids').insertMany([{ _id: new Double(7), v: 1 }, { _id: Long.fromNumber(8), v: 1 }] as never[]);
  await recordForResync(destination, { db: 'alias', coll: 'ids' }, [new Int32(7), new Int32(8)]);

  assert.equal(await resyncRecorded(source, destination), 2);
  assert.deepEqual(await compareClusters(source, destination), []);
});
