// copyPartitionChunk (activity level, simulated replica sets) over documents near 16 MiB and one
// of exactly 16 MiB (the server's maximum, which the driver refuses to insert whole): the copy
// bounds its batches by bytes and writes the largest document in pieces; the copy is exact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, type Document, MongoClient } from 'mongodb';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type CopyChunkResult, copyPartitionChunk } from '../../src/activities/copy-partition';
import type { ClusterConnections } from '../../src/mongo/cluster-clients';
import { type MongoSim, startMongoSim } from '../mongo-sim';
import { compareClusters } from '../support/compare-clusters';

const MiB = 1024 * 1024;
let sims: MongoSim[] = [];
let source: MongoClient;
let destination: MongoClient;

before(async () => {
  sims = [await startMongoSim({ port: 0 }), await startMongoSim({ port: 0 })];
  source = new MongoClient(sims[0]!.uri);
  destination = new MongoClient(sims[1]!.uri);
});

after(async () => {
  await source?.close();
  await destination?.close();
  for (const sim of sims) await sim.stop();
});

test('documents near and at 16 MiB are copied exactly, in batches bounded by bytes', { timeout: 300_000 }, async () => {
  const docs = source.db('big').collection<Document>('docs');
  for (let i = 0; i < 4; i++) {
    const doc: Document = { _id: i, n: i };
    doc.payload = 'x'.repeat(16 * MiB - 200 - BSON.calculateObjectSize({ ...doc, payload: '' }));
    await docs.insertOne(doc);
  }
  // Grown by an update to exactly the server's maximum, which no insert statement can carry.
  const tail = 'y'.repeat(16 * MiB - BSON.calculateObjectSize({ ...(await docs.findOne({ _id: 2 } as Document))!, tail: '' }));
  await docs.updateOne({ _id: 2 } as Document, { $set: { tail } });
  assert.equal(BSON.calculateObjectSize((await docs.findOne({ _id: 2 } as Document))!), 16 * MiB);
  await docs.insertOne({ _id: 9, small: true } as Document);

  const clients: ClusterConnections = { client: (label) => (label === 'cluster0' ? source : destination) };
  const result = (await new MockActivityEnvironment().run(copyPartitionChunk, clients, {
    source: 'cluster0' as const,
    destination: 'cluster1' as const,
    range: { db: 'big', coll: 'docs', min: null, max: null },
    resumeAfter: null,
    maxDurationMs: 120_000,
    batchSize: 1000,
  })) as CopyChunkResult;
  assert.equal(result.done, true);
  assert.equal(result.documents, 5);
  assert.deepEqual(await compareClusters(source, destination, { indexes: false }), []);
});
