// The start point and the copy's reads (activity level, on simulated replica sets): the start
// point is noted with majority write concern, and every read of the copy asks for
// majority-committed data at or after it (readConcern {level: 'majority', afterClusterTime}), so
// a write just before the start point is in the copy even when the majority lags.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CommandStartedEvent, type Document, MongoClient, Timestamp } from 'mongodb';
import { MockActivityEnvironment } from '@temporalio/testing';
import { noteTime } from '../../src/activities/cluster-control';
import { type CopyChunkResult, copyPartitionChunk } from '../../src/activities/copy-partition';
import { planPartitions, type PlanPartitionsResult } from '../../src/activities/plan-partitions';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import type { ClusterTime } from '../../src/sync/vocabulary';
import { type MongoSim, startMongoSim } from '../mongo-sim';

let sims: MongoSim[] = [];
let source: MongoClient;
let destination: MongoClient;
const started: CommandStartedEvent[] = [];

before(async () => {
  sims = [await startMongoSim({ port: 0 }), await startMongoSim({ port: 0 })];
  source = new MongoClient(sims[0]!.uri, { monitorCommands: true });
  destination = new MongoClient(sims[1]!.uri);
  source.on('commandStarted', (event) => started.push(event));
});

after(async () => {
  await source?.close();
  await destination?.close();
  for (const sim of sims) await sim.stop();
});

const clusters = {
  client: (label: string) => (label === 'cluster0' ? source : destination),
  host: () => 'unused',
  close: async () => undefined,
} as unknown as ClusterClients;

function commands(name: string, from: number): Document[] {
  return started.slice(from).filter((event) => event.commandName === name).map((event) => event.command);
}

function assertReadsAtOrAfter(command: Document, startPoint: { t: number; i: number }): void {
  const readConcern = command.readConcern as Document | undefined;
  assert.equal(readConcern?.level, 'majority', JSON.stringify(command));
  const after = readConcern?.afterClusterTime;
  assert.ok(after instanceof Timestamp, `no afterClusterTime in ${JSON.stringify(command)}`);
  assert.ok(after.greaterThanOrEqual(new Timestamp(startPoint)), `afterClusterTime ${after.toString()} is before the start point`);
}

test('the start point is noted with majority write concern, and the copy reads majority data at or after it', async () => {
  const docs: Document[] = Array.from({ length: 300 }, (_, i) => ({ _id: i, pad: 'x'.repeat(200) }));
  await source.db('app').collection<Document>('c').insertMany(docs);
  const env = new MockActivityEnvironment();

  let mark = started.length;
  const startPoint = (await env.run(noteTime, clusters, { cluster: 'cluster0' as const, reason: 'start point', syncId: 'read-test' })) as ClusterTime;
  const [note] = commands('appendOplogNote', mark);
  assert.ok(note, 'appendOplogNote was sent');
  assert.equal((note.writeConcern as Document | undefined)?.w, 'majority', JSON.stringify(note));

  mark = started.length;
  const plan: PlanPartitionsResult = await env.run(planPartitions, clusters, {
    source: 'cluster0' as const,
    db: 'app',
    coll: 'c',
    targetPartitionBytes: 16 * 1024,
    maxPartitions: 8,
    startPoint,
  });
  assert.ok(plan.ranges.length > 1, 'the collection is split, so its _ids were sampled');
  const samples = commands('aggregate', mark).filter((command) => JSON.stringify(command.pipeline).includes('$sample'));
  assert.equal(samples.length, 1);
  assertReadsAtOrAfter(samples[0]!, startPoint);

  mark = started.length;
  let copied = 0;
  for (const range of plan.ranges) {
    const result: CopyChunkResult = await env.run(copyPartitionChunk, clusters, {
      source: 'cluster0' as const,
      destination: 'cluster1' as const,
      range,
      resumeAfter: null,
      maxDurationMs: 60_000,
      batchSize: 40,
      startPoint,
    });
    assert.equal(result.done, true);
    copied += result.documents;
  }
  assert.equal(copied, docs.length);
  const finds = commands('find', mark);
  assert.ok(finds.length >= plan.ranges.length);
  for (const find of finds) assertReadsAtOrAfter(find, startPoint);
  assert.equal(await destination.db('app').collection('c').countDocuments(), docs.length);
});
