// A write-concern error on the destination is a failure of the batch, never a success: the copy
// chunk and the change event application fail (and are retried by Temporal) without moving
// their checkpoint past writes that may roll back. Activities run in Temporal's mock activity
// environment against two simulated replica sets; the destination's failCommand fail point
// adds the writeConcernError.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type Document, MongoClient } from 'mongodb';
import { applyChangeEvents, type ApplyChangeEventsInput } from '../../src/activities/change-events';
import { copyPartitionChunk, type CopyChunkInput } from '../../src/activities/copy-partition';
import { noteClusterTime } from '../../src/mongo/commands';
import type { ClusterConnections } from '../../src/mongo/cluster-clients';
import type { ChangeStreamCheckpoint } from '../../src/sync/state';
import { startMongoSim, type MongoSim } from '../mongo-sim';
import { compareClusters } from '../support/compare-clusters';
import type { AnyDocument } from '../support/workload';

const WRITE_CONCERN_ERROR = { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } };

let sims: MongoSim[] = [];
let source: MongoClient;
let destination: MongoClient;
let clients: ClusterConnections;

before(async () => {
  sims = [await startMongoSim({ periodicNoopIntervalMs: 200 }), await startMongoSim({ periodicNoopIntervalMs: 200 })];
  const options = { writeConcern: { w: 'majority' as const }, readConcern: { level: 'majority' as const } };
  source = new MongoClient(sims[0]!.uri, options);
  destination = new MongoClient(sims[1]!.uri, options);
  clients = { client: (label) => (label === 'cluster0' ? source : destination) };
});

after(async () => {
  await source?.close();
  await destination?.close();
  for (const sim of sims) await sim.stop();
});

beforeEach(async () => {
  await failCommand('off');
  for (const client of [source, destination]) {
    const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
    for (const { name } of databases as { name: string }[]) {
      if (!['admin', 'config', 'local'].includes(name)) await client.db(name).dropDatabase();
    }
  }
});

async function failCommand(mode: unknown, data: Document = {}): Promise<void> {
  await destination.db('admin').command({ configureFailPoint: 'failCommand', mode, data });
}

/** Runs an activity, recording every heartbeat it sends. */
async function runActivity<R>(heartbeatDetails: unknown, run: () => Promise<R>): Promise<{ result?: R; error?: unknown; heartbeats: unknown[] }> {
  const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  try {
    return { result: await env.run(run), heartbeats };
  } catch (error) {
    return { error, heartbeats };
  }
}

describe('copy chunk', () => {
  const input: CopyChunkInput = {
    source: 'cluster0',
    destination: 'cluster1',
    range: { db: 'wc', coll: 'docs', min: null, max: null },
    resumeAfter: null,
    maxDurationMs: 60_000,
    batchSize: 100,
  };

  test('a writeConcernError on an insert batch fails the chunk before resumeAfter passes that batch', async () => {
    await source.db('wc').collection<AnyDocument>('docs').insertMany(Array.from({ length: 450 }, (_v, i) => ({ _id: i, n: i })));
    // the third insert batch (documents 200..299) reports a write-concern failure
    await failCommand({ skip: 2 }, { failCommands: ['insert'], writeConcernError: WRITE_CONCERN_ERROR });
    const failed = await runActivity(undefined, () => copyPartitionChunk(clients, input));
    await failCommand('off');
    assert.ok(failed.error, `the chunk must fail, it returned ${JSON.stringify(failed.result)}`);
    assert.match(String((failed.error as Error).message), /waiting for replication timed out/);
    const last = failed.heartbeats.at(-1) as { resumeAfter: string; documents: number } | undefined;
    assert.equal(last?.resumeAfter, '{"$numberInt":"199"}', 'the checkpoint stays after the last batch whose write concern was met');
    assert.equal(last?.documents, 200);

    // The retry resumes from the last heartbeat and copies the rest.
    const retried = await runActivity(last, () => copyPartitionChunk(clients, input));
    assert.equal(retried.error, undefined);
    assert.equal(retried.result?.done, true);
    assert.equal(retried.result?.documents, 450);
    assert.deepEqual(await compareClusters(source, destination), []);
  });

  test('a command error on an insert batch (no writeErrors either) fails the chunk', async () => {
    await source.db('wc').collection<AnyDocument>('docs').insertMany(Array.from({ length: 50 }, (_v, i) => ({ _id: i, n: i })));
    await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 2 });
    const failed = await runActivity(undefined, () => copyPartitionChunk(clients, input));
    assert.ok(failed.error, `the chunk must fail, it returned ${JSON.stringify(failed.result)}`);
    assert.deepEqual(failed.heartbeats, []);
  });

  test('duplicate keys together with a writeConcernError still fail the chunk', async () => {
    await source.db('wc').collection<AnyDocument>('docs').insertMany(Array.from({ length: 50 }, (_v, i) => ({ _id: i, n: i })));
    await destination.db('wc').collection<AnyDocument>('docs').insertMany(Array.from({ length: 10 }, (_v, i) => ({ _id: i, n: i })));
    await failCommand({ times: 1 }, { failCommands: ['insert'], writeConcernError: WRITE_CONCERN_ERROR });
    const failed = await runActivity(undefined, () => copyPartitionChunk(clients, input));
    assert.ok(failed.error, `the chunk must fail, it returned ${JSON.stringify(failed.result)}`);
    assert.deepEqual(failed.heartbeats, []);
  });
});

describe('change event application', () => {
  test('a writeConcernError on an applied batch fails the activity; the checkpoint does not move past it', async () => {
    await source.db('wc').createCollection('docs');
    await destination.db('wc').createCollection('docs');
    const startAt = await noteClusterTime(source, { test: 'write-concern' });
    const docs = source.db('wc').collection<AnyDocument>('docs');
    await docs.insertMany(Array.from({ length: 20 }, (_v, i) => ({ _id: i, n: i })));
    await docs.updateMany({ _id: { $lt: 10 } }, { $set: { updated: true } });
    await docs.deleteOne({ _id: 19 });
    const checkpoint: ChangeStreamCheckpoint = { resumeToken: null, startAt };
    const input: ApplyChangeEventsInput = {
      source: 'cluster0',
      destination: 'cluster1',
      includeNamespaces: [],
      excludeNamespaces: [],
      buildIndexes: 'afterDataCopy',
      checkpoint,
      stopAt: null,
      maxDurationMs: 3_000,
      maxBatchEvents: 1000,
      copyCompletedAt: null,
      syncId: 'wc-test',
    };

    await failCommand('alwaysOn', { failCommands: ['insert', 'update', 'delete'], writeConcernError: WRITE_CONCERN_ERROR });
    const failed = await runActivity(undefined, () => applyChangeEvents(clients, input));
    await failCommand('off');
    assert.ok(failed.error, `the activity must fail, it returned ${JSON.stringify(failed.result)}`);
    assert.deepEqual(failed.heartbeats, [], 'no checkpoint was reported past the failed batch');

    const retried = await runActivity(undefined, () => applyChangeEvents(clients, input));
    assert.equal(retried.error, undefined, String(retried.error));
    assert.ok(retried.result!.eventsApplied >= 31, `applied ${retried.result!.eventsApplied}`);
    assert.deepEqual(await compareClusters(source, destination), []);
  });
});
