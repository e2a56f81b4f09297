// Replayed DDL converges: change events from the start point are applied to a destination the
// catalog copy built after later DDL (renames with and without dropTarget, a collection with a
// validator renamed over another, creates and drops), then applied again from the start and
// again from the middle, as a retried attempt replays them from an old heartbeat. The clusters
// end equal. Runs the activities' own code (catalog copy, destination writer) against two
// simulated replica sets, without Temporal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type ChangeStreamDocument, type Db, type Document, MongoClient } from 'mongodb';
import { buildIndexes, copyCatalog } from '../../src/activities/catalog';
import { DestinationWriter, isDdlEvent } from '../../src/activities/destination-writer';
import { TYPED_READ } from '../../src/mongo/bson-fidelity';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { noteClusterTime } from '../../src/mongo/commands';
import { toTimestamp } from '../../src/mongo/cluster-time';
import { buildChangeStreamPipeline } from '../../src/sync/change-stream-filter';
import { C2C_METADATA_DB } from '../../src/sync/namespace-names';
import { compileNamespaceFilter } from '../../src/sync/namespace-filter';
import type { ClusterTime } from '../../src/sync/vocabulary';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';
import { compareClusters } from '../support/compare-clusters';
import { type AnyDocument, seed } from '../support/workload';
import type { CatalogInput } from '../../src/activities/catalog';

let pair: ClusterPair;
let clients: ClusterClients;

useClusterClients((started) => ({ pair, clusters: clients } = started));

const FILTER = { includeNamespaces: [], excludeNamespaces: [] };

/** Every change event from `from` up to the marker insert written last. */
async function readEvents(source: MongoClient, from: ClusterTime): Promise<ChangeStreamDocument[]> {
  await source.db('app').collection<AnyDocument>('zz_end').insertOne({ _id: 'marker' });
  const stream = source.watch<Document, ChangeStreamDocument>(buildChangeStreamPipeline(compileNamespaceFilter(FILTER)), {
    ...TYPED_READ,
    showExpandedEvents: true,
    maxAwaitTimeMS: 100,
    startAtOperationTime: toTimestamp(from),
  });
  const events: ChangeStreamDocument[] = [];
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `the marker event did not arrive; read ${events.length} events`);
      const event = await stream.tryNext();
      if (!event) continue;
      events.push(event);
      if (event.operationType === 'insert' && (event.ns as { coll?: string }).coll === 'zz_end') return events;
    }
  } finally {
    await stream.close();
  }
}

/** Applies events in the batches the change event activity makes: a DDL event ends a batch. */
async function applyAll(events: ChangeStreamDocument[], copyCompletedAt: ClusterTime, replaying: boolean): Promise<void> {
  const writer = new DestinationWriter({
    source: clients.client('cluster0'),
    destination: clients.client('cluster1'),
    filter: compileNamespaceFilter(FILTER),
    buildIndexes: 'afterDataCopy',
    copyCompletedAt,
    replaying,
    heartbeat: () => undefined,
  });
  let batch: ChangeStreamDocument[] = [];
  for (const event of events) {
    batch.push(event);
    if (isDdlEvent(event)) {
      await writer.apply(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await writer.apply(batch);
}

/** The copy as the workflow runs it: the catalog, then each collection's documents by name. */
async function copy(): Promise<ClusterTime> {
  const input: CatalogInput = { source: 'cluster0', destination: 'cluster1', ...FILTER, buildIndexes: 'afterDataCopy' };
  await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, clients, input);
  const source = clients.client('cluster0');
  const destination = clients.client('cluster1');
  for (const info of await source.db('app').listCollections({ type: 'collection' }).toArray()) {
    const docs = await source.db('app').collection(info.name).find({}, TYPED_READ).toArray();
    if (docs.length > 0) {
      await destination
        .db('app')
        .collection(info.name)
        .bulkWrite(docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })), { bypassDocumentValidation: true });
    }
  }
  return noteClusterTime(source, { test: 'copy completed' });
}

/**
 * Seeds the source, notes the start point, runs `beforeCopy`, copies, runs `afterCopy`, then
 * applies the events from the start point three times (first pass, replay from the start,
 * replay from the middle), comparing the clusters after each.
 */
async function replayScenario(beforeCopy: (app: Db) => Promise<void>, afterCopy: (app: Db) => Promise<void>): Promise<void> {
  const source = pair.admin.cluster0;
  const app = source.db('app');
  await seed(source, [
    { db: 'app', coll: 'events', documents: 30 },
    { db: 'app', coll: 'archive', documents: 20 },
    { db: 'app', coll: 'older', documents: 15 },
    { db: 'app', coll: 'staging', documents: 10 },
  ]);
  const start = await noteClusterTime(source, { test: 'start point' });
  await beforeCopy(app);
  const copyCompletedAt = await copy();
  await afterCopy(app);

  const events = await readEvents(source, start);
  await applyAll(events, copyCompletedAt, false);
  assert.deepEqual(await compareClusters(source, pair.admin.cluster1, { indexes: false }), [], 'after the first pass');
  await applyAll(events, copyCompletedAt, true);
  assert.deepEqual(await compareClusters(source, pair.admin.cluster1, { indexes: false }), [], 'after a replay from the start');
  await applyAll(events.slice(Math.floor(events.length / 2)), copyCompletedAt, true);
  assert.deepEqual(await compareClusters(source, pair.admin.cluster1, { indexes: false }), [], 'after a replay from the middle');
  const indexes = async (client: MongoClient): Promise<string[]> =>
    (await client.db('app').collection('archive').listIndexes().toArray()).map((spec) => String(spec.name)).sort();
  assert.deepEqual(await indexes(pair.admin.cluster1), await indexes(source));
}

test('a validated collection created and renamed (with and without dropTarget) before the copy read the catalog converges when replayed', async () => {
  await replayScenario(
    async (app) => {
      // A validated collection replaces `events` by a rename with dropTarget (what $out does),
      // and a fresh collection is renamed without dropTarget.
      await app.createCollection('incoming', { validator: { seq: { $exists: true } } });
      await app.collection<AnyDocument>('incoming').insertMany([{ _id: 1, seq: 1 }, { _id: 2, seq: 2 }]);
      await app.collection<AnyDocument>('incoming').updateOne({ _id: 1 }, { $set: { seen: true } });
      await app.collection('incoming').rename('events', { dropTarget: true });
      await app.createCollection('tmp', { validator: { seq: { $exists: true } } });
      await app.collection<AnyDocument>('tmp').insertOne({ _id: 'a', seq: 3 });
      await app.collection('tmp').rename('tmp_renamed');
    },
    async (app) => {
      await app.collection<AnyDocument>('tmp_renamed').insertOne({ _id: 'b', seq: 4 });
      await app.command({ collMod: 'tmp_renamed', validator: { seq: { $type: 'number' } } });
      await app.createCollection('transient');
      await app.collection<AnyDocument>('transient').insertOne({ _id: 1 });
      await app.collection('transient').drop();
    },
  );
});

test('the index build after the copy finds collections by UUID: a collection created or renamed during the copy keeps its options', async () => {
  const source = pair.admin.cluster0;
  const app = source.db('app');
  await seed(source, [
    { db: 'app', coll: 'events', documents: 10 },
    { db: 'app', coll: 'older', documents: 5 },
  ]);
  await app.collection('older').createIndex({ n: 1 }, { name: 'older_n' });
  const start = await noteClusterTime(source, { test: 'start point' });
  await copy();
  // During the copy: a collection with options and an index, and a renamed collection, both at
  // names the destination does not hold yet when the indexes are built.
  await app.createCollection('fresh', { validator: { seq: { $exists: true } }, changeStreamPreAndPostImages: { enabled: true } });
  await app.collection<AnyDocument>('fresh').insertOne({ _id: 1, seq: 1 });
  await app.collection('fresh').createIndex({ seq: 1 }, { name: 'fresh_seq' });
  await app.collection('older').rename('older_renamed');
  const input: CatalogInput = { source: 'cluster0', destination: 'cluster1', ...FILTER, buildIndexes: 'afterDataCopy' };
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, clients, input);
  const copyCompletedAt = await noteClusterTime(source, { test: 'copy completed' });

  const events = await readEvents(source, start);
  await applyAll(events, copyCompletedAt, false);
  assert.deepEqual(await compareClusters(source, pair.admin.cluster1, { indexes: false }), [], 'after the first pass');
  await applyAll(events, copyCompletedAt, true);
  assert.deepEqual(await compareClusters(source, pair.admin.cluster1, { indexes: false }), [], 'after a replay from the start');
  const indexes = async (client: MongoClient, coll: string): Promise<string[]> =>
    (await client.db('app').collection(coll).listIndexes().toArray()).map((spec) => String(spec.name)).sort();
  for (const coll of ['fresh', 'older_renamed']) assert.deepEqual(await indexes(pair.admin.cluster1, coll), await indexes(source, coll), coll);
});

test('a dropTarget rename replayed after a newer collection took the freed name moves nothing and loses nothing', async () => {
  await replayScenario(
    async (app) => {
      // archive replaces older; staging then takes the name archive. Both existed before the
      // start point: their documents come from the copy only.
      await app.collection('archive').rename('older', { dropTarget: true });
      await app.collection('staging').rename('archive');
      await app.collection('archive').createIndex({ seq: 1 }, { name: 'seq_1' });
    },
    async (app) => {
      await app.collection('older').rename('older_renamed');
      await app.collection('archive').dropIndex('seq_1');
      await app.collection('archive').createIndex({ name: 1 }, { name: 'name_1' });
    },
  );
});

test('batches without DDL read only the bindings of the collections they write, and still route by UUID', async () => {
  const source = pair.admin.cluster0;
  const app = source.db('app');
  const fillers = Array.from({ length: 300 }, (_, i) => ({ db: 'fill', coll: `c${i}`, documents: 1 }));
  await seed(source, [{ db: 'app', coll: 'events', documents: 3 }, ...fillers]);
  const start = await noteClusterTime(source, { test: 'start point' });
  // Before the copy: a write to events, then events renamed away and a new events created.
  await app.collection<AnyDocument>('events').insertOne({ _id: 'before-rename' });
  await app.collection('events').rename('events_renamed');
  await app.collection<AnyDocument>('events').insertOne({ _id: 'new-events' });
  const copyCompletedAt = await copy();
  const events = await readEvents(source, start);
  const crudOnly = events.filter((event) => !isDdlEvent(event) && (event as { ns?: { coll?: string } }).ns?.coll === 'events');
  assert.equal(crudOnly.length, 2, 'the insert before the rename and the one into the new events');

  const destination = new MongoClient(pair.uris.cluster1, { monitorCommands: true });
  let bindingsRead = 0;
  destination.on('commandSucceeded', (event) => {
    const cursor = (event.reply as { cursor?: { ns?: string; firstBatch?: unknown[]; nextBatch?: unknown[] } }).cursor;
    if (cursor?.ns === `${C2C_METADATA_DB}.bindings`) bindingsRead += (cursor.firstBatch ?? cursor.nextBatch ?? []).length;
  });
  try {
    const writer = new DestinationWriter({
      source: clients.client('cluster0'),
      destination,
      filter: compileNamespaceFilter(FILTER),
      buildIndexes: 'afterDataCopy',
      copyCompletedAt,
      replaying: true,
      heartbeat: () => undefined,
    });
    // One batch each, as the stream delivers them (the DDL events between them end a batch).
    for (const event of crudOnly) await writer.apply([event]);
  } finally {
    await destination.close();
  }
  const bindings = await pair.admin.cluster1.db(C2C_METADATA_DB).collection('bindings').countDocuments();
  assert.ok(bindings > 300, `every collection is bound (${bindings})`);
  assert.ok(bindingsRead <= 4, `read ${bindingsRead} of ${bindings} bindings`);
  const ids = async (client: MongoClient, coll: string): Promise<string[]> =>
    (await client.db('app').collection(coll).find({}, { projection: { _id: 1 } }).toArray()).map((doc) => JSON.stringify(doc._id)).sort();
  for (const coll of ['events_renamed', 'events']) assert.deepEqual(await ids(pair.admin.cluster1, coll), await ids(source, coll), coll);
});
