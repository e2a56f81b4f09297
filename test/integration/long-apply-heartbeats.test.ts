// Long steps of change event application heartbeat and resume: the recopy of a renamed
// collection (heartbeats while the destination is slow, and a retried attempt resumes after the
// last _id it recorded instead of copying everything again), and a batch that changes one
// document thousands of times (applied one write per round: it heartbeats between rounds).
// A failCommand fail point with blockConnection makes the destination slow.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import type { Document } from 'mongodb';
import { type ApplyChangeEventsResult, applyChangeEvents } from '../../src/activities/change-events';
import { encodeId } from '../../src/activities/copy-partition';
import { DestinationDdl, uuidKey } from '../../src/activities/destination-ddl';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { noteClusterTime } from '../../src/mongo/commands';
import { C2C_METADATA_DB } from '../../src/sync/namespace-names';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';
import { compareClusters } from '../support/compare-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

beforeEach(async () => {
  await pair.admin.cluster1.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  await pair.admin.cluster1.db(C2C_METADATA_DB).dropDatabase();
});

/** `times` of the next `command`s the destination receives wait `ms` before they run. */
async function slowDown(command: string, times: number, ms: number): Promise<void> {
  await pair.admin.cluster1.db('admin').command({
    configureFailPoint: 'failCommand',
    mode: { times },
    data: { failCommands: [command], blockConnection: true, blockTimeMS: ms },
  });
}

function longestGap(beats: number[], start: number, end: number): number {
  const times = [start, ...beats, end];
  return Math.max(...times.slice(1).map((time, i) => time - times[i]!));
}

const RECOPIED = 3000;

async function renamedCollection(): Promise<{ uuid: string; ddl: DestinationDdl }> {
  const docs = Array.from({ length: RECOPIED }, (_, i) => ({ _id: i, v: i }));
  await pair.admin.cluster0.db('app').collection('renamed').insertMany(docs as Document[]);
  const info = await pair.admin.cluster0.db('app').listCollections({ name: 'renamed' }).next();
  const uuid = uuidKey((info as Document).info.uuid)!;
  const ddl = new DestinationDdl({
    source: clusters.client('cluster0'),
    destination: clusters.client('cluster1'),
    buildIndexes: 'afterDataCopy',
    heartbeat: () => Context.current().heartbeat('checkpoint'),
  });
  return { uuid, ddl };
}

const destinationIds = async (coll: string): Promise<number[]> =>
  (await pair.admin.cluster1.db('app').collection<{ _id: number }>(coll).find({}, { sort: { _id: 1 } }).toArray()).map((doc) => doc._id);

test('the recopy of a renamed collection heartbeats while the destination is slow to write', async () => {
  const { uuid, ddl } = await renamedCollection();
  const blockMs = 5000;
  await slowDown('update', 2, blockMs);
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 4000 });
  const beats: number[] = [];
  env.on('heartbeat', () => beats.push(Date.now()));
  const start = Date.now();
  await env.run(() => ddl.recopy(uuid, { db: 'app', coll: 'renamed' }));
  const end = Date.now();
  assert.ok(end - start >= 2 * blockMs, 'the destination was slowed down');
  const gap = longestGap(beats, start, end);
  assert.ok(gap < 4000, `no gap between heartbeats reaches the heartbeat timeout (longest: ${gap} ms; beats at ${beats.map((t) => t - start).join(',')} of ${end - start})`);
  assert.equal((await destinationIds('renamed')).length, RECOPIED);
});

test('a retried recopy resumes after the last _id the earlier attempt recorded', async () => {
  const { uuid, ddl } = await renamedCollection();
  // The earlier attempt wrote _ids up to 1999 and recorded it before it was killed.
  await pair.admin.cluster1.db(C2C_METADATA_DB).collection('recopies').insertOne({ _id: uuid, db: 'app', coll: 'renamed', after: encodeId(1999) } as Document);
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatTimeoutMs: 2000 });
  await env.run(() => ddl.recopy(uuid, { db: 'app', coll: 'renamed' }));
  assert.deepEqual(await destinationIds('renamed'), Array.from({ length: RECOPIED - 2000 }, (_, i) => 2000 + i), 'only the _ids after the recorded one are copied');
  assert.equal(await pair.admin.cluster1.db(C2C_METADATA_DB).collection('recopies').countDocuments(), 0, 'a finished recopy forgets its position');
});

test('a batch changing one document a thousand times heartbeats between its writes', async () => {
  const hot = pair.admin.cluster0.db('app').collection('hot');
  await hot.insertOne({ _id: 1, a: 0, b: 0 } as Document);
  await pair.admin.cluster1.db('app').collection('hot').insertOne({ _id: 1, a: 0, b: 0 } as Document);
  const startAt = await noteClusterTime(clusters.client('cluster0'), { test: 'hot start' });
  // Alternate fields, so that no two consecutive updates merge: one write per event.
  for (let i = 1; i <= 1000; i++) await hot.updateOne({ _id: 1 } as Document, { $set: i % 2 === 0 ? { a: i } : { b: i } });
  const stopAt = await noteClusterTime(clusters.client('cluster0'), { test: 'hot stop' });
  await slowDown('update', 1000, 8);
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 3000 });
  const beats: number[] = [];
  env.on('heartbeat', () => beats.push(Date.now()));
  const start = Date.now();
  const result = (await env.run(applyChangeEvents, clusters, {
    source: 'cluster0' as const,
    destination: 'cluster1' as const,
    includeNamespaces: [],
    excludeNamespaces: [],
    buildIndexes: 'afterDataCopy' as const,
    checkpoint: { resumeToken: null, startAt },
    stopAt,
    maxDurationMs: 600_000,
    maxBatchEvents: 2000,
    copyCompletedAt: null,
    syncId: 'hot-document',
  })) as ApplyChangeEventsResult;
  const end = Date.now();
  assert.equal(result.reachedStopAt, true);
  assert.ok(result.eventsApplied >= 1000);
  assert.ok(end - start >= 8000, 'the destination was slowed down');
  // Reading the batch comes first (its own loop, not measured here); applying its thousand
  // writes takes at least 8 s, with heartbeats all along.
  assert.ok(beats.length >= 5, `heartbeats while the batch is applied: ${beats.length}`);
  const gap = longestGap(beats.slice(1), beats[0]!, end);
  assert.ok(gap < 3000, `no gap between heartbeats reaches the heartbeat timeout (longest: ${gap} ms; beats at ${beats.map((t) => t - start).join(',')} of ${end - start})`);
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1, { indexes: false }), []);
});
