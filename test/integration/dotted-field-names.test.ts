// A 6.0 source reports update paths without disambiguatedPaths: "stats.example.com" may be a
// top-level field with dots in its name or nested fields. Change event application must take
// such documents from the source instead of guessing. Runs the applyChangeEvents activity (in
// Temporal's mock activity environment) from a simulated 6.0 source to a simulated destination.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type Document, MongoClient } from 'mongodb';
import { applyChangeEvents, type ApplyChangeEventsResult } from '../../src/activities/change-events';
import { noteClusterTime } from '../../src/mongo/commands';
import type { ClusterConnections } from '../../src/mongo/cluster-clients';
import { startMongoSim, type MongoSim } from '../mongo-sim';
import { compareClusters } from '../support/compare-clusters';
import type { AnyDocument } from '../support/workload';

let sims: MongoSim[] = [];
let source: MongoClient;
let destination: MongoClient;

before(async () => {
  sims = [await startMongoSim({ version: '6.0', periodicNoopIntervalMs: 200 }), await startMongoSim({ periodicNoopIntervalMs: 200 })];
  const options = { writeConcern: { w: 'majority' as const }, readConcern: { level: 'majority' as const } };
  source = new MongoClient(sims[0]!.uri, options);
  destination = new MongoClient(sims[1]!.uri, options);
});

after(async () => {
  await source?.close();
  await destination?.close();
  for (const sim of sims) await sim.stop();
});

test('updates of dotted field names on a 6.0 source reach the destination as on the source', async () => {
  const initial: AnyDocument[] = [
    { _id: 1, stats: { example: { com: 1 } }, 'stats.example.com': 1, visits: 0 },
    { _id: 2, stats: { example: { com: 1 } }, 'stats.example.com': 1 },
    { _id: 3, 'a.b': { c: 1 }, a: { b: { c: 1 } }, list: [{ '0': 'field' }, 'x'] },
  ];
  for (const client of [source, destination]) await client.db('web').collection<AnyDocument>('hits').insertMany(initial);
  const startAt = await noteClusterTime(source, { test: 'dotted field names' });

  const hits = source.db('web').collection<AnyDocument>('hits');
  const stream = hits.watch([], { showExpandedEvents: true });
  await stream.tryNext(); // opens the stream before the writes
  // the top-level field "stats.example.com", not stats.example.com
  await hits.updateOne({ _id: 1 }, [{ $replaceWith: { $setField: { field: 'stats.example.com', input: '$$ROOT', value: 2 } } }, { $set: { visits: 1 } }]);
  // the nested field stats.example.com
  await hits.updateOne({ _id: 2 }, { $set: { 'stats.example.com': 3 } });
  // removing the top-level dotted field
  await hits.updateOne({ _id: 2 }, [{ $replaceWith: { $unsetField: { field: 'stats.example.com', input: '$$ROOT' } } }]);
  await hits.updateOne({ _id: 3 }, [{ $replaceWith: { $setField: { field: 'a.b', input: '$$ROOT', value: { c: 2 } } } }]);
  await hits.updateOne({ _id: 3 }, { $set: { 'list.0.0': 'changed' } });
  const stopAt = await noteClusterTime(source, { test: 'dotted field names, end' });

  const updates: Document[] = [];
  while (updates.length < 5) {
    const event = await stream.tryNext();
    if (event?.operationType === 'update') updates.push(event);
  }
  await stream.close();
  for (const event of updates) {
    assert.equal('disambiguatedPaths' in event.updateDescription, false, `a 6.0 server resolves no path: ${JSON.stringify(event.updateDescription)}`);
  }
  assert.ok(updates.some((event) => 'stats.example.com' in event.updateDescription.updatedFields));

  const clients: ClusterConnections = { client: (label) => (label === 'cluster0' ? source : destination) };
  const env = new MockActivityEnvironment();
  const result: ApplyChangeEventsResult = await env.run(() =>
    applyChangeEvents(clients, {
      source: 'cluster0',
      destination: 'cluster1',
      includeNamespaces: [],
      excludeNamespaces: [],
      buildIndexes: 'afterDataCopy',
      checkpoint: { resumeToken: null, startAt },
      stopAt,
      maxDurationMs: 20_000,
      maxBatchEvents: 100,
      copyCompletedAt: null,
      syncId: 'dotted-fields',
    }),
  );
  assert.equal(result.reachedStopAt, true);
  assert.deepEqual(await compareClusters(source, destination), []);
});
