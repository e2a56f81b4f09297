// buildIndexes and finalizeDestination heartbeat while one long server command (an index build,
// a unique conversion) runs, and a retried attempt resumes after the last collection its
// heartbeat recorded instead of starting over. (The unique index is built relaxed during the
// sync; the finalize before canWrite prepares it for the unique conversion.) A failCommand fail point with blockConnection
// makes the destination take its time over the command.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Document } from 'mongodb';
import { buildIndexes, type CatalogInput, copyCatalog, finalizeDestination, type FinalizeInput } from '../../src/activities/catalog';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import type { IndexBuildProgress } from '../../src/sync/state';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clients: ClusterClients;

useClusterClients((started) => ({ pair, clusters: clients } = started));

const COLLECTIONS = ['a', 'b', 'c'];

beforeEach(async () => {
  await pair.admin.cluster1.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  for (const coll of COLLECTIONS) {
    const docs = Array.from({ length: 20 }, (_, n) => ({ _id: n, email: `${coll}${n}@x` }));
    await pair.admin.cluster0.db('shop').collection(coll).insertMany(docs as Document[]);
    await pair.admin.cluster0.db('shop').collection(coll).createIndex({ email: 1 }, { name: 'email_unique', unique: true });
  }
  await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, clients, INPUT);
  for (const coll of COLLECTIONS) {
    await pair.admin.cluster1.db('shop').collection(coll).insertMany(await pair.admin.cluster0.db('shop').collection(coll).find().toArray());
  }
});

const INPUT: CatalogInput = { source: 'cluster0', destination: 'cluster1', includeNamespaces: [], excludeNamespaces: [], buildIndexes: 'afterDataCopy' };
const BEFORE_CAN_WRITE: FinalizeInput = { ...INPUT, stage: 'beforeCanWrite' };
const HEARTBEAT_TIMEOUT_MS = 1000;
const BLOCK_MS = 2500;

/** The next `command` the destination receives takes BLOCK_MS before it runs. */
async function slowDown(command: string): Promise<void> {
  await pair.admin.cluster1.db('admin').command({
    configureFailPoint: 'failCommand',
    mode: { times: 1 },
    data: { failCommands: [command], blockConnection: true, blockTimeMS: BLOCK_MS },
  });
}

async function indexOf(coll: string): Promise<Document | undefined> {
  return (await pair.admin.cluster1.db('shop').collection(coll).listIndexes().toArray()).find((spec) => spec.name === 'email_unique');
}

function recordBeats<T>(env: MockActivityEnvironment): { details: T; at: number }[] {
  const beats: { details: T; at: number }[] = [];
  env.on('heartbeat', (details: T) => beats.push({ details, at: Date.now() }));
  return beats;
}

/** The longest time without a heartbeat between `start` and `end`. */
function longestGap(beats: { at: number }[], start: number, end: number): number {
  const times = [start, ...beats.map((beat) => beat.at), end];
  return Math.max(...times.slice(1).map((time, i) => time - times[i]!));
}

test('buildIndexes heartbeats while an index build runs', async () => {
  await slowDown('createIndexes');
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const beats = recordBeats<{ progress: IndexBuildProgress }>(env);
  const start = Date.now();
  const progress = (await env.run(buildIndexes, clients, INPUT)) as IndexBuildProgress | null;
  const end = Date.now();
  assert.ok(end - start >= BLOCK_MS, 'the build was slowed down');
  assert.equal(progress?.collectionsFinished, 3);
  const gap = longestGap(beats, start, end);
  assert.ok(gap < HEARTBEAT_TIMEOUT_MS, `no gap between heartbeats reaches the heartbeat timeout (longest: ${gap} ms)`);
});

test('a retried buildIndexes resumes after the last collection its heartbeat recorded', async () => {
  const heartbeat = {
    after: { db: 'shop', coll: 'b' },
    // the catalog is read a page at a time, so the total counts the collections reached so far
    progress: { indexesBuilt: 2, totalIndexesToBuild: 2, collectionsFinished: 2, collectionsTotal: 2 },
  };
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeat, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const progress = await env.run(buildIndexes, clients, INPUT);
  assert.equal(await indexOf('a'), undefined, 'a was done by the earlier attempt: not asked again');
  assert.equal(await indexOf('b'), undefined);
  assert.ok(await indexOf('c'), 'c is built');
  assert.deepEqual(progress, { indexesBuilt: 3, totalIndexesToBuild: 3, collectionsFinished: 3, collectionsTotal: 3 });
});

test('a retried buildIndexes counts each collection once, whatever total the heartbeat recorded', async () => {
  // An attempt lists a whole page before building it, so its heartbeat's total can count
  // collections it had not finished: the retry counts those again when it lists them.
  const heartbeat = {
    after: { db: 'shop', coll: 'b' },
    progress: { indexesBuilt: 2, totalIndexesToBuild: 2, collectionsFinished: 2, collectionsTotal: 3 },
  };
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeat, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const progress = await env.run(buildIndexes, clients, INPUT);
  assert.ok(await indexOf('c'), 'c is built');
  assert.deepEqual(progress, { indexesBuilt: 3, totalIndexesToBuild: 3, collectionsFinished: 3, collectionsTotal: 3 });
});

test('finalizeDestination heartbeats while a unique conversion runs', async () => {
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, clients, INPUT);
  assert.notEqual((await indexOf('a'))?.unique, true, 'the sync built the index relaxed');
  await slowDown('collMod');
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const beats = recordBeats<unknown>(env);
  const start = Date.now();
  const applied = (await env.run(finalizeDestination, clients, BEFORE_CAN_WRITE)) as number;
  const end = Date.now();
  assert.ok(end - start >= BLOCK_MS, 'the conversion was slowed down');
  assert.ok(applied >= 3);
  for (const coll of COLLECTIONS) assert.equal((await indexOf(coll))?.prepareUnique, true);
  const gap = longestGap(beats, start, end);
  assert.ok(gap < HEARTBEAT_TIMEOUT_MS, `no gap between heartbeats reaches the heartbeat timeout (longest: ${gap} ms)`);
});

test('a retried finalizeDestination resumes after the last collection its heartbeat recorded', async () => {
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, clients, INPUT);
  const heartbeat = { after: { db: 'shop', coll: 'a' }, applied: 1, differences: [] };
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeat, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const applied = (await env.run(finalizeDestination, clients, BEFORE_CAN_WRITE)) as number;
  assert.notEqual((await indexOf('a'))?.prepareUnique, true, 'a was done by the earlier attempt: not looked at again');
  assert.equal((await indexOf('b'))?.prepareUnique, true);
  assert.equal((await indexOf('c'))?.prepareUnique, true);
  assert.ok(applied >= 3, 'the count carries on from the heartbeat');
});

test('a cancelled buildIndexes stops at once instead of waiting for the build it started', async () => {
  await slowDown('createIndexes');
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  env.once('heartbeat', () => setTimeout(() => env.cancel('TIMED_OUT'), 100));
  const start = Date.now();
  await assert.rejects(env.run(buildIndexes, clients, INPUT), (error: Error) => error.name === 'CancelledFailure');
  const took = Date.now() - start;
  assert.ok(took < BLOCK_MS, `the attempt ended ${took} ms after it started, before the ${BLOCK_MS} ms build`);
  // The build itself goes on on the server; a later attempt finds it done.
  await pair.admin.cluster1.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
});
