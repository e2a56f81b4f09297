// applyChangeEvents (activity level, simulated replica sets) meeting change events over 16 MB:
// how it reads them, watched through the driver's command monitoring. A 7.0 source gets the
// stream with $changeStreamSplitLargeEvent last and sends the events as fragments, which are
// reassembled; a 6.0.8 source (before the stage existed) answers BSONObjectTooLarge, and the
// activity reads again without the bulky fields and takes the documents from the source.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BSON,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Document,
  MongoClient,
} from 'mongodb';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type ApplyChangeEventsResult, applyChangeEvents } from '../../src/activities/change-events';
import type { ClusterConnections } from '../../src/mongo/cluster-clients';
import { noteClusterTime } from '../../src/mongo/commands';
import { type MongoSim, startMongoSim } from '../mongo-sim';
import { compareClusters } from '../support/compare-clusters';

const MiB = 1024 * 1024;
const LONG_NAMES = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'n'.repeat(1000)}`);

function payloadFor(doc: Document, bytes: number): string {
  return 'p'.repeat(bytes - BSON.calculateObjectSize({ ...doc, payload: '' }));
}

function isChangeStreamAggregate(command: Document): boolean {
  return Array.isArray(command.pipeline) && (command.pipeline as Document[])[0]?.$changeStream !== undefined;
}

for (const version of ['7.0', '6.0.8']) {
  describe(`applyChangeEvents on a ${version} source`, () => {
    let sims: MongoSim[] = [];
    let source: MongoClient;
    let destination: MongoClient;
    const started: CommandStartedEvent[] = [];
    const succeeded: CommandSucceededEvent[] = [];
    const failed: CommandFailedEvent[] = [];

    before(async () => {
      sims = [await startMongoSim({ port: 0, version }), await startMongoSim({ port: 0, version })];
      source = new MongoClient(sims[0]!.uri, { monitorCommands: true });
      destination = new MongoClient(sims[1]!.uri);
      source.on('commandStarted', (event) => started.push(event));
      source.on('commandSucceeded', (event) => succeeded.push(event));
      source.on('commandFailed', (event) => failed.push(event));
    });

    after(async () => {
      await source?.close();
      await destination?.close();
      for (const sim of sims) await sim.stop();
    });

    test('an oversized insert and update are applied, read as the server allows', { timeout: 300_000 }, async () => {
      const growing: Document = { _id: 'g'.repeat(24 * 1024), tag: 'grow', ...Object.fromEntries(LONG_NAMES.map((n) => [n, 1])) };
      for (const client of [source, destination]) await client.db('big').collection<Document>('docs').insertOne({ ...growing });
      const startAt = await noteClusterTime(source, { test: 'start' });

      const docs = source.db('big').collection<Document>('docs');
      const inserted: Document = { _id: 'i'.repeat(20 * 1024) };
      inserted.payload = payloadFor(inserted, 16 * MiB - 100);
      await docs.insertOne(inserted);
      const grown = payloadFor({ _id: growing._id, tag: 'grow' }, 16 * MiB - 100);
      await docs.updateOne({ tag: 'grow' }, { $set: { payload: grown }, $unset: Object.fromEntries(LONG_NAMES.map((n) => [n, ''])) });
      await docs.insertOne({ _id: 'last' } as Document);
      const stopAt = await noteClusterTime(source, { test: 'stop' });

      const clients: ClusterConnections = { client: (label) => (label === 'cluster0' ? source : destination) };
      const result = (await new MockActivityEnvironment().run(applyChangeEvents, clients, {
        source: 'cluster0' as const,
        destination: 'cluster1' as const,
        includeNamespaces: [],
        excludeNamespaces: [],
        buildIndexes: 'afterDataCopy' as const,
        checkpoint: { resumeToken: null, startAt },
        stopAt,
        maxDurationMs: 120_000,
        maxBatchEvents: 100,
        copyCompletedAt: null,
        syncId: 'large-events',
      })) as ApplyChangeEventsResult;
      assert.equal(result.reachedStopAt, true);
      assert.deepEqual(await compareClusters(source, destination, { indexes: false }), []);

      const aggregates = started.filter((e) => e.commandName === 'aggregate' && isChangeStreamAggregate(e.command));
      const tooLarge = failed.filter((e) => Number((e.failure as { code?: unknown }).code) === 10334);
      const fragments = succeeded
        .filter((e) => e.commandName === 'getMore' || e.commandName === 'aggregate')
        .flatMap((e) => (((e.reply as Document).cursor as Document | undefined)?.nextBatch ?? ((e.reply as Document).cursor as Document | undefined)?.firstBatch ?? []) as Document[])
        .filter((event) => event.splitEvent !== undefined);
      const lastStages = aggregates.map((e) => Object.keys((e.command.pipeline as Document[]).at(-1)!)[0]);
      if (version === '7.0') {
        assert.ok(lastStages.every((stage) => stage === '$changeStreamSplitLargeEvent'), JSON.stringify(lastStages));
        assert.equal(tooLarge.length, 0);
        assert.ok(fragments.length >= 4, `two events in at least two fragments each, got ${fragments.length} fragments`);
      } else {
        assert.ok(!lastStages.includes('$changeStreamSplitLargeEvent'), JSON.stringify(lastStages));
        assert.ok(tooLarge.length >= 1, `the server refused an oversized event; failures: ${JSON.stringify(failed.map((e) => [e.commandName, (e.failure as { code?: number }).code]))}, stages ${JSON.stringify(lastStages)}`);
        assert.deepEqual(lastStages.slice(-1), ['$unset'], 'the stream was read again without the bulky fields');
        assert.equal(fragments.length, 0);
      }
    });
  });
}
