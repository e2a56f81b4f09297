// The event buffer at activity level (simulated replica sets): bufferChangeEvents stores the
// source's change events at consecutive seqs, a retried attempt that resumes from its heartbeat
// (or a zombie that starts from an older checkpoint) rewrites the same events at the same seqs,
// an event too large to store whole is stored without its bulky fields, and applyChangeEvents
// applies the buffer up to the end the workflow recorded, then the live stream, then drops it.
// Batches, from the stream and from the buffer, are bounded by bytes as well as count.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, type Document, MongoClient } from 'mongodb';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type ApplyChangeEventsResult, applyChangeEvents, type ApplyChangeEventsInput } from '../../src/activities/change-events';
import {
  bufferChangeEvents,
  bufferCollection,
  bufferedEvent,
  readBufferedBatch,
  type BufferChangeEventsInput,
  type BufferChangeEventsResult,
} from '../../src/activities/event-buffer';
import { SourceEventReader } from '../../src/activities/source-events';
import type { ClusterConnections } from '../../src/mongo/cluster-clients';
import { noteClusterTime } from '../../src/mongo/commands';
import { compileNamespaceFilter } from '../../src/sync/namespace-filter';
import type { EventBufferCheckpoint } from '../../src/sync/state';
import { type MongoSim, startMongoSim } from '../mongo-sim';
import { compareClusters } from '../support/compare-clusters';

const MiB = 1024 * 1024;
let sims: MongoSim[] = [];
let source: MongoClient;
let destination: MongoClient;
let clients: ClusterConnections;

before(async () => {
  sims = [await startMongoSim({ port: 0 }), await startMongoSim({ port: 0 })];
  source = new MongoClient(sims[0]!.uri);
  destination = new MongoClient(sims[1]!.uri);
  clients = { client: (label) => (label === 'cluster0' ? source : destination) };
});

beforeEach(async () => {
  for (const client of [source, destination]) {
    const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
    for (const { name } of databases as { name: string }[]) {
      if (!['admin', 'config', 'local'].includes(name)) await client.db(name).dropDatabase();
    }
  }
});

after(async () => {
  await source?.close();
  await destination?.close();
  for (const sim of sims) await sim.stop();
});

function bufferInput(checkpoint: EventBufferCheckpoint, overrides: Partial<BufferChangeEventsInput> = {}): BufferChangeEventsInput {
  return {
    source: 'cluster0',
    destination: 'cluster1',
    includeNamespaces: [],
    excludeNamespaces: [],
    checkpoint,
    maxDurationMs: 1_500,
    maxBatchEvents: 7,
    maxBatchBytes: 16 * MiB,
    syncId: 'event-buffer-test',
    ...overrides,
  };
}

/** Runs one buffer attempt; returns its result and every heartbeat it sent. */
async function runBuffer(input: BufferChangeEventsInput, attempt = 1, heartbeatDetails?: EventBufferCheckpoint) {
  const env = new MockActivityEnvironment({ attempt, heartbeatDetails });
  const beats: EventBufferCheckpoint[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details as EventBufferCheckpoint));
  const result = (await env.run(bufferChangeEvents, clients, input)) as BufferChangeEventsResult;
  return { result, beats };
}

/** seq → the event's resume token, for every stored entry. */
async function storedTokens(): Promise<Map<number, string>> {
  const entries = await bufferCollection(destination).find({}, { sort: { _id: 1 } }).toArray();
  return new Map(entries.map((entry) => [entry._id, (bufferedEvent(entry)._id as { _data: string })._data]));
}

/** `count` CRUD events on app.items, which must exist (else its create event comes first). */
async function writeEvents(count: number, firstId = 0): Promise<void> {
  const items = source.db('app').collection<{ _id: number | string; [key: string]: unknown }>('items');
  for (let i = firstId; i < firstId + count; i += 1) {
    if (i % 3 === 0) await items.insertOne({ _id: i, n: i });
    else await items.updateOne({ _id: i - (i % 3) }, { $inc: { n: 1 } } as Document);
  }
}

test('a retried buffer attempt resumes from its heartbeat and writes the same events at the same seqs', async () => {
  await source.db('app').createCollection('items');
  const startAt = await noteClusterTime(source, { test: 'start' });
  await writeEvents(40);
  const first = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }));
  assert.equal(first.result.checkpoint.nextSeq, 40);
  const whole = await storedTokens();
  assert.deepEqual([...whole.keys()], Array.from({ length: 40 }, (_, i) => i), 'consecutive seqs from 0');
  assert.equal(new Set(whole.values()).size, 40, 'each event once');
  const midway = first.beats.find((beat) => beat.nextSeq >= 14 && beat.nextSeq < 40);
  assert.ok(midway, `a heartbeat in the middle: ${JSON.stringify(first.beats.map((b) => b.nextSeq))}`);

  // The attempt died after that heartbeat, having written a few entries past it (or none).
  await bufferCollection(destination).deleteMany({ _id: { $gte: midway.nextSeq + 2 } });
  const retried = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }), 2, midway);
  assert.equal(retried.result.eventsBuffered, 40 - midway.nextSeq, 'the retry reads only the events after its heartbeat');
  assert.deepEqual(retried.result.checkpoint.nextSeq, 40);
  assert.deepEqual(await storedTokens(), whole, 'same events at the same seqs: no gap, no duplicate');

  // A zombie from the very first checkpoint rewrites the same entries too, and events written
  // since get the seqs after them.
  await writeEvents(3, 99);
  const zombie = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }));
  assert.equal(zombie.result.checkpoint.nextSeq, 43);
  const after = await storedTokens();
  assert.deepEqual([...after.entries()].slice(0, 40), [...whole.entries()]);
  assert.equal(after.size, 43);
  assert.ok(zombie.beats.length >= 2, 'heartbeats after written batches');
});

test('an idle buffer reader heartbeats and its position follows the source clock', async () => {
  const startAt = await noteClusterTime(source, { test: 'start' });
  const { result, beats } = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }, { maxDurationMs: 2_500 }));
  assert.equal(result.checkpoint.nextSeq, 0);
  assert.ok(beats.length >= 1);
  assert.ok(result.bufferedThrough && result.bufferedThrough.t >= startAt.t);
  assert.ok(result.checkpoint.resumeToken, 'the high-water token becomes the position');
});

function applyInput(checkpoint: ApplyChangeEventsInput['checkpoint'], stopAt: ApplyChangeEventsInput['stopAt']): ApplyChangeEventsInput {
  return {
    source: 'cluster0',
    destination: 'cluster1',
    includeNamespaces: [],
    excludeNamespaces: [],
    buildIndexes: 'afterDataCopy',
    checkpoint,
    stopAt,
    maxDurationMs: 60_000,
    maxBatchEvents: 5,
    maxBatchBytes: 4 * 1024,
    copyCompletedAt: null,
    syncId: 'event-buffer-test',
  };
}

test('the applier applies the buffer up to its end, then the live stream, then drops the buffer', async () => {
  for (const client of [source, destination]) await client.db('app').createCollection('items');
  const startAt = await noteClusterTime(source, { test: 'start' });
  await writeEvents(30);
  await source.db('app').createCollection('made');
  await source.db('app').collection<{ _id: number | string; [key: string]: unknown }>('made').insertOne({ _id: 'during the copy', pad: 'x'.repeat(3000) });
  const buffered = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }));
  const end = buffered.result.checkpoint.nextSeq;
  assert.equal(end, 32);
  // A zombie wrote past the end: a nonsense entry there must never be applied.
  const bogus = await bufferCollection(destination).findOne({ _id: 0 });
  await bufferCollection(destination).insertOne({ ...bogus!, _id: end });
  // After the buffer's position, the live stream.
  await source.db('app').collection<{ _id: number | string; [key: string]: unknown }>('items').deleteOne({ _id: 3 });
  await source.db('app').collection<{ _id: number | string; [key: string]: unknown }>('live').insertOne({ _id: 1 });
  const stopAt = await noteClusterTime(source, { test: 'stop' });

  const { resumeToken, startAt: bufferStart } = buffered.result.checkpoint;
  // First up to the tenth buffered event (a commit point inside the buffer stops there).
  const tenth = (await bufferCollection(destination).findOne({ _id: 9 }))!.clusterTime;
  const partial = (await new MockActivityEnvironment().run(
    applyChangeEvents,
    clients,
    applyInput({ resumeToken, startAt: bufferStart, buffer: { nextSeq: 0, end } }, { t: tenth.t, i: tenth.i }),
  )) as ApplyChangeEventsResult;
  assert.equal(partial.reachedStopAt, true);
  assert.deepEqual(partial.checkpoint.buffer, { nextSeq: 10, end });
  assert.equal(partial.eventsApplied, 10);

  // The next iteration starts at a recorded position: the entries before it are freed.
  const env = new MockActivityEnvironment({ attempt: 1 });
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  const result = (await env.run(applyChangeEvents, clients, applyInput(partial.checkpoint, stopAt))) as ApplyChangeEventsResult;
  assert.equal(await bufferCollection(destination).countDocuments({ _id: { $lt: 10 } }), 0, 'applied entries are deleted');
  assert.equal(result.reachedStopAt, true);
  assert.equal(result.eventsApplied, end - 10 + 3, 'the rest of the buffer and the live events (a delete, a create, an insert); not the entry past the end');
  assert.deepEqual(result.checkpoint.buffer, { nextSeq: end, end }, 'drained; the next iteration drops it');
  assert.ok(beats.length >= Math.ceil((end - 10) / 5), 'a heartbeat per applied batch');
  assert.deepEqual(await compareClusters(source, destination, { indexes: false }), []);

  const next = (await new MockActivityEnvironment({ attempt: 1 }).run(
    applyChangeEvents,
    clients,
    { ...applyInput(result.checkpoint, null), maxDurationMs: 300 },
  )) as ApplyChangeEventsResult;
  assert.equal(next.checkpoint.buffer, undefined, 'the drained buffer is dropped');
  const buffers = await destination.db('__c2c_sync').listCollections({ name: 'eventBuffer' }).toArray();
  assert.deepEqual(buffers, []);
});

test('an event too large to store whole is buffered without its bulky fields and applied from the source', { timeout: 300_000 }, async () => {
  const docs = source.db('big').collection<{ _id: number | string; [key: string]: unknown }>('docs');
  await docs.insertOne({ _id: 'small', n: 1 });
  await destination.db('big').collection<{ _id: number | string; [key: string]: unknown }>('docs').insertOne({ _id: 'small', n: 1 });
  const startAt = await noteClusterTime(source, { test: 'start' });
  const huge: { _id: string; payload?: string } = { _id: 'huge' };
  huge.payload = 'p'.repeat(16 * MiB - 100 - BSON.calculateObjectSize({ ...huge, payload: '' }));
  await docs.insertOne(huge);
  await docs.updateOne({ _id: 'small' }, { $set: { n: 2 } });
  const buffered = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }, { maxDurationMs: 5_000 }));
  assert.equal(buffered.result.checkpoint.nextSeq, 2);
  const entries = await bufferCollection(destination).find({}, { sort: { _id: 1 } }).toArray();
  const [stored, update] = entries.map((entry) => bufferedEvent(entry) as unknown as Document);
  assert.equal(stored!.operationType, 'insert');
  assert.equal('fullDocument' in stored!, false, 'the oversized insert is stored without its document');
  assert.deepEqual((stored!.documentKey as Document)._id, 'huge');
  assert.ok('updateDescription' in update!, 'a small event is stored whole');

  const stopAt = await noteClusterTime(source, { test: 'stop' });
  const { resumeToken, startAt: bufferStart } = buffered.result.checkpoint;
  const result = (await new MockActivityEnvironment().run(
    applyChangeEvents,
    clients,
    applyInput({ resumeToken, startAt: bufferStart, buffer: { nextSeq: 0, end: 2 } }, stopAt),
  )) as ApplyChangeEventsResult;
  assert.equal(result.reachedStopAt, true);
  assert.deepEqual(await compareClusters(source, destination, { indexes: false }), []);
});

test('batches are bounded by bytes as well as count, from the stream and from the buffer', async () => {
  await source.db('app').createCollection('blobs');
  const startAt = await noteClusterTime(source, { test: 'start' });
  const blobs = source.db('app').collection<{ _id: number; pad: string }>('blobs');
  for (let i = 0; i < 12; i += 1) await blobs.insertOne({ _id: i, pad: 'b'.repeat(10_000) });
  const maxBytes = 25_000;
  const reader = new SourceEventReader(source, compileNamespaceFilter({ includeNamespaces: [], excludeNamespaces: [] }), { resumeToken: null, startAt }, { maxEvents: 100, maxBytes });
  await reader.open(async () => startAt);
  const batches: number[][] = [];
  try {
    while (batches.flat().length < 12) {
      const batch = await reader.next();
      if (batch.sizes.length > 0) batches.push(batch.sizes);
    }
  } finally {
    await reader.close();
  }
  for (const sizes of batches) {
    const beforeLast = sizes.slice(0, -1).reduce((sum, size) => sum + size, 0);
    assert.ok(beforeLast < maxBytes, `a batch ends with the event that reaches the bound: ${JSON.stringify(sizes)}`);
  }
  assert.ok(batches.length >= 4, `12 events of 10 KB in batches of at most 25 KB: ${JSON.stringify(batches)}`);

  // The same events from the buffer, in batches with the same bound.
  const buffered = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }, { maxBatchBytes: maxBytes }));
  assert.equal(buffered.result.checkpoint.nextSeq, 12);
  let seq = 0;
  const fromBuffer: number[] = [];
  while (seq < 12) {
    const batch = await readBufferedBatch(destination, seq, 12, { maxEvents: 100, maxBytes });
    fromBuffer.push(batch.events.length);
    seq = batch.nextSeq;
  }
  assert.ok(fromBuffer.every((count) => count <= 3), JSON.stringify(fromBuffer));
  assert.equal(fromBuffer.reduce((sum, count) => sum + count, 0), 12);
});

test('an iteration whose budget is spent before its first batch still applies one batch, from the buffer and from the stream', async () => {
  for (const client of [source, destination]) await client.db('app').createCollection('items');
  const startAt = await noteClusterTime(source, { test: 'start' });
  await writeEvents(12);
  const stopAt = await noteClusterTime(source, { test: 'stop' });
  const buffered = await runBuffer(bufferInput({ resumeToken: null, startAt, nextSeq: 0 }));
  const end = buffered.result.checkpoint.nextSeq;
  assert.equal(end, 12);
  const { resumeToken, startAt: bufferStart } = buffered.result.checkpoint;

  // A budget of 0 ms is spent before anything is read, as on a server too slow to open quickly.
  const fromBuffer = (await new MockActivityEnvironment().run(
    applyChangeEvents,
    clients,
    { ...applyInput({ resumeToken, startAt: bufferStart, buffer: { nextSeq: 0, end } }, null), maxDurationMs: 0 },
  )) as ApplyChangeEventsResult;
  assert.equal(fromBuffer.eventsApplied, 5, 'one buffered batch');
  assert.deepEqual(fromBuffer.checkpoint.buffer, { nextSeq: 5, end });

  const drained = (await new MockActivityEnvironment().run(applyChangeEvents, clients, applyInput(fromBuffer.checkpoint, stopAt))) as ApplyChangeEventsResult;
  assert.deepEqual(drained.checkpoint.buffer, { nextSeq: end, end });
  const dropped = (await new MockActivityEnvironment().run(applyChangeEvents, clients, { ...applyInput(drained.checkpoint, null), maxDurationMs: 300 })) as ApplyChangeEventsResult;
  assert.equal(dropped.checkpoint.buffer, undefined);

  // From the live stream: the first batch may come back empty from the server, so allow a few
  // iterations; before, an iteration past its budget never opened the stream at all.
  await writeEvents(6, 12);
  let checkpoint = dropped.checkpoint;
  let applied = 0;
  for (let iteration = 0; iteration < 3 && applied === 0; iteration += 1) {
    const live = (await new MockActivityEnvironment().run(applyChangeEvents, clients, { ...applyInput(checkpoint, null), maxDurationMs: 0 })) as ApplyChangeEventsResult;
    applied += live.eventsApplied;
    checkpoint = live.checkpoint;
  }
  assert.ok(applied > 0, 'stream events applied by iterations whose budget was spent');
});
