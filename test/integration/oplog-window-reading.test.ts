// How much source oplog a sync has left (activity level, simulated or real replica sets): the
// oldest entry, and on an oplog that is not full yet the time it takes to fill, read with the
// sync user's rights (find and $collStats on local.oplog.rs, as mongosync asks for).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { readOplogWindow } from '../../src/activities/source-events';
import { noteClusterTime } from '../../src/mongo/commands';
import { oplogFreeSeconds } from '../../src/sync/oplog-window';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';

let pairs: ClusterPair[] = [];
let clients: MongoClient[] = [];

before(() => {
  pairs = [];
  clients = [];
});

after(async () => {
  for (const client of clients) await client.close();
  for (const pair of pairs) await pair.close();
});

async function syncClient(pair: ClusterPair): Promise<MongoClient> {
  const client = new MongoClient(pair.uris.cluster0);
  clients.push(client);
  return client;
}

test('an oplog that is far from full is given the time it takes to fill, not only the age of its oldest entry', async () => {
  const pair = await startClusterPair();
  pairs.push(pair);
  await pair.reset();
  await pair.app.cluster0.db('app').collection('items').insertMany(Array.from({ length: 200 }, (_, i) => ({ n: i, pad: 'x'.repeat(500) })));
  const source = await syncClient(pair);
  const now = await noteClusterTime(source, { test: 'oplog window' });
  const reading = await readOplogWindow(source);
  assert.ok(reading.sourceOplogOldest, 'the oldest entry is read');
  assert.ok(reading.sourceOplogOldest.t <= now.t);
  assert.equal(typeof reading.sourceOplogFreeSeconds, 'number');
  assert.ok(reading.sourceOplogFreeSeconds! >= 0);
  if (pair.simulated) {
    // A new simulated replica set: well under 1 MB of a 192 MB oplog is written, so at the rate
    // it was written it takes hundreds of times its present age to fill.
    const age = Math.max(1, now.t - reading.sourceOplogOldest.t);
    assert.ok(reading.sourceOplogFreeSeconds! >= 100 * age, `fill time ${reading.sourceOplogFreeSeconds} s, age ${age} s`);
  }
});

test('a full oplog adds no fill time', async () => {
  // On real replica sets the oplog's size is not ours to set: the reading is checked against
  // their own $collStats instead.
  const pair = await startClusterPair({ oplogSizeMB: 1 });
  pairs.push(pair);
  await pair.reset();
  const items = pair.app.cluster0.db('app').collection('items');
  for (let round = 0; round < 4; round++) {
    await items.insertMany(Array.from({ length: 100 }, (_, i) => ({ n: round * 100 + i, pad: 'x'.repeat(5000) })));
  }
  const source = await syncClient(pair);
  const now = await noteClusterTime(source, { test: 'oplog window' });
  const reading = await readOplogWindow(source);
  assert.ok(reading.sourceOplogOldest);
  if (pair.simulated) {
    assert.equal(reading.sourceOplogFreeSeconds, 0);
    return;
  }
  const [stats] = await source.db('local').collection('oplog.rs').aggregate([{ $collStats: { storageStats: {} } }]).toArray();
  const expected = oplogFreeSeconds({
    usedBytes: Number(stats!.storageStats.size),
    maxBytes: Number(stats!.storageStats.maxSize),
    oldest: reading.sourceOplogOldest,
    newest: now,
  });
  assert.ok(expected !== null && Math.abs(reading.sourceOplogFreeSeconds! - expected) <= Math.max(60, expected * 0.05));
});
