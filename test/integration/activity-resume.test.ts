// Activities resume from their last heartbeat when Temporal retries them (attempt > 1): a
// retried copy chunk continues after the last _id it recorded and copies nothing twice.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { copyPartitionChunk, encodeId, type CopyChunkInput, type CopyChunkResult } from '../../src/activities/copy-partition';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

beforeEach(async () => {
  await pair.admin.cluster0
    .db('app')
    .collection<{ _id: number; n: number }>('items')
    .insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, n: i })));
});

const CHUNK: CopyChunkInput = {
  source: 'cluster0',
  destination: 'cluster1',
  range: { db: 'app', coll: 'items', min: null, max: null },
  resumeAfter: null,
  maxDurationMs: 60_000,
  batchSize: 7,
};

const destinationIds = async (): Promise<number[]> =>
  (await pair.admin.cluster1.db('app').collection<{ _id: number }>('items').find({}, { sort: { _id: 1 } }).toArray()).map((doc) => doc._id);

test('a retried chunk resumes after the _id of its last heartbeat', async () => {
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { resumeAfter: encodeId(19), done: false, documents: 20, bytes: 700 } });
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  const result = (await env.run(copyPartitionChunk, clusters, CHUNK)) as CopyChunkResult;
  assert.deepEqual(await destinationIds(), Array.from({ length: 30 }, (_, i) => 20 + i), 'only the documents after the heartbeat are copied');
  assert.equal(result.done, true);
  assert.equal(result.documents, 50, 'the counters carry on from the heartbeat');
  assert.equal(result.resumeAfter, encodeId(49));
  assert.ok(beats.length >= 2, 'the retried attempt heartbeats its own progress');
});

test('a retried chunk whose last heartbeat said done copies nothing and reports the heartbeat', async () => {
  const heartbeat = { resumeAfter: encodeId(49), done: true, documents: 50, bytes: 1750 };
  const env = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: heartbeat });
  assert.deepEqual(await env.run(copyPartitionChunk, clusters, CHUNK), heartbeat);
  assert.deepEqual(await destinationIds(), []);
});

test('a first attempt starts from the resume point the workflow recorded', async () => {
  const env = new MockActivityEnvironment({ attempt: 1 });
  const result = (await env.run(copyPartitionChunk, clusters, { ...CHUNK, resumeAfter: encodeId(39) })) as CopyChunkResult;
  assert.deepEqual(await destinationIds(), Array.from({ length: 10 }, (_, i) => 40 + i));
  assert.equal(result.documents, 10);
});
