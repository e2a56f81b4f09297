// The embedded verifier's follower of the destination's change stream, activity by activity (on
// simulated replica sets, or real ones with TEST_CLUSTER0_URI/TEST_CLUSTER1_URI): which events it
// records, resuming from its stored position, drops and renames compared whole at commit, a
// position the destination's oplog no longer holds, and what it may leave out: a document the
// changed set is known to hold (the applier recorded it), never one of a store made again.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { type ChangeStreamDocument, type CommandStartedEvent, type Document, MongoClient, Timestamp } from 'mongodb';
import { recordedChangesFor } from '../../src/activities/changed-set-memory';
import { DestinationWriter } from '../../src/activities/destination-writer';
import { verifyAtCommit } from '../../src/activities/verify';
import { claimStore, type DocumentKey } from '../../src/activities/verifier-store';
import {
  beginDestinationEvents,
  changedNamespaces,
  followDestinationEvents,
  type FollowDestinationEventsInput,
  type FollowDestinationEventsResult,
} from '../../src/activities/verify-destination-events';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { compileNamespaceFilter } from '../../src/sync/namespace-filter';
import { C2C_METADATA_DB, C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

const INPUT: FollowDestinationEventsInput = {
  source: 'cluster0',
  destination: 'cluster1',
  includeNamespaces: [],
  excludeNamespaces: [{ database: 'skip' }],
  maxDurationMs: 500,
  batchSize: 50,
  syncId: 'follower-test',
};

const BEGIN = { destination: 'cluster1', syncId: 'follower-test' } as const;
type NumberedDocument = { _id: number } & Document;

const destination = () => pair.admin.cluster1;
const changed = () => destination().db(C2C_VERIFIER_DB).collection<{ _id: DocumentKey }>('changed');

async function changedIds(): Promise<string[]> {
  const entries = await changed().find({}).toArray();
  return entries.map((entry) => `${entry._id.db}.${entry._id.coll}:${String(entry._id.id)}`).sort();
}

async function drain(): Promise<FollowDestinationEventsResult> {
  return (await new MockActivityEnvironment().run(followDestinationEvents, clusters, { ...INPUT, drain: true })) as FollowDestinationEventsResult;
}

beforeEach(async () => {
  await destination().db(C2C_VERIFIER_DB).dropDatabase();
  await claimStore(destination(), 'follower-test');
});

test('document events on synced namespaces are recorded; metadata databases, excluded namespaces and index or option changes are not', async () => {
  const items = destination().db('app').collection<NumberedDocument>('items');
  await items.insertMany([{ _id: 2 }, { _id: 3 }]);
  await new MockActivityEnvironment().run(beginDestinationEvents, clusters, BEGIN);

  await items.insertOne({ _id: 1 });
  await items.updateOne({ _id: 2 }, { $set: { v: 1 } });
  await items.deleteOne({ _id: 3 });
  await destination().db('skip').collection<NumberedDocument>('things').insertOne({ _id: 9 });
  await destination().db(C2C_METADATA_DB).collection<NumberedDocument>('state').insertOne({ _id: 9 });
  await items.createIndex({ v: 1 });
  await destination().db('app').command({ collMod: 'items', validator: { v: { $exists: true } }, validationLevel: 'off' });

  const result = await drain();
  assert.deepEqual(await changedIds(), ['app.items:1', 'app.items:2', 'app.items:3']);
  assert.equal(result.documentEvents, 3);
  assert.equal(result.namespaceEvents, 0);
  assert.equal(await changedNamespaces(destination()).countDocuments(), 0);
  assert.equal(result.drained, true);
});

test('a call resumes from the position the previous one stored: events before it are not read again', async () => {
  const items = destination().db('app').collection<NumberedDocument>('items');
  await new MockActivityEnvironment().run(beginDestinationEvents, clusters, BEGIN);
  await items.insertMany([{ _id: 1 }, { _id: 2 }]);
  const first = await drain();
  assert.equal(first.documentEvents, 2);
  await changed().deleteMany({});

  await items.insertOne({ _id: 10 });
  // a bounded call (not a drain) ends on its time budget and stores its position
  const bounded = (await new MockActivityEnvironment().run(followDestinationEvents, clusters, INPUT)) as FollowDestinationEventsResult;
  assert.equal(bounded.drained, false);
  assert.deepEqual(await changedIds(), ['app.items:10']);
  const second = await drain();
  assert.equal(second.documentEvents, 0, 'nothing new after the bounded call');
  assert.deepEqual(await changedIds(), ['app.items:10']);
});

test('a drop and a rename on the destination record their namespaces; the drain compares them whole', async () => {
  for (const client of [pair.admin.cluster0, destination()]) {
    await client.db('app').collection<NumberedDocument>('gone').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    await client.db('app').collection<NumberedDocument>('moved').insertMany([{ _id: 1 }, { _id: 2 }]);
  }
  await new MockActivityEnvironment().run(beginDestinationEvents, clusters, BEGIN);
  await destination().db('app').collection('gone').drop();
  await destination().db('app').collection('moved').rename('moved2');

  const result = await drain();
  assert.equal(result.namespaceEvents, 3, 'the drop, and both names of the rename');
  // gone: 3 missing; moved: 2 missing; moved2 (not on the source): 2 extra
  assert.equal(result.mismatchCount, 7);
  const recorded = await destination().db(C2C_VERIFIER_DB).collection<{ _id: DocumentKey; kind: string }>('mismatches').find({}).toArray();
  const summary = recorded.map((m) => `${m._id.coll}:${String(m._id.id)}:${m.kind}`).sort();
  assert.deepEqual(summary, [
    'gone:1:missingOnDestination',
    'gone:2:missingOnDestination',
    'gone:3:missingOnDestination',
    'moved2:1:extraOnDestination',
    'moved2:2:extraOnDestination',
    'moved:1:missingOnDestination',
    'moved:2:missingOnDestination',
  ]);
  assert.equal(await changedNamespaces(destination()).countDocuments(), 0, 'compared namespaces are forgotten');
});

test('a stored position older than the destination oplog fails with a non-retryable ChangeStreamHistoryLost', async () => {
  await destination()
    .db(C2C_VERIFIER_DB)
    .collection<{ _id: string } & Document>('streamPosition')
    .insertOne({ _id: 'destinationEvents', resumeToken: null, startAt: { t: 1, i: 1 } });
  await assert.rejects(new MockActivityEnvironment().run(followDestinationEvents, clusters, INPUT), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, 'ChangeStreamHistoryLost');
    assert.equal(error.nonRetryable, true);
    assert.match(error.message, /destination's oplog no longer holds/);
    return true;
  });
});

let time = 1;
/** A source change event of app.items, as the applier receives it. */
function sourceEvent(operationType: 'insert' | 'update', id: number, v: number): ChangeStreamDocument {
  const t = time++;
  return {
    _id: { _data: `82${t.toString(16).padStart(16, '0')}` },
    operationType,
    clusterTime: new Timestamp({ t: 1_800_000_000, i: t }),
    ns: { db: 'app', coll: 'items' },
    documentKey: { _id: id },
    ...(operationType === 'insert' ? { fullDocument: { _id: id, v } } : {}),
    ...(operationType === 'update' ? { updateDescription: { updatedFields: { v }, removedFields: [], truncatedArrays: [] } } : {}),
  } as unknown as ChangeStreamDocument;
}

/** The applier's writer of this iteration, recording in the changed set with the worker's memory of it. */
async function applier(): Promise<DestinationWriter> {
  return new DestinationWriter({
    changesRecorded: await recordedChangesFor(destination()),
    source: pair.admin.cluster0,
    destination: destination(),
    filter: compileNamespaceFilter({ includeNamespaces: [], excludeNamespaces: [] }),
    buildIndexes: 'afterDataCopy',
    copyCompletedAt: null,
    replaying: false,
    recordChanges: true,
  });
}

/** The follower's drain with its destination client observed: returns the _ids (as strings) of its inserts into the changed set. */
async function drainObserved(): Promise<{ result: FollowDestinationEventsResult; inserted: string[] }> {
  const observed = new MongoClient(pair.uris.cluster1, { monitorCommands: true });
  const commands: CommandStartedEvent[] = [];
  observed.on('commandStarted', (event) => commands.push(event));
  try {
    const connections = { client: (label: 'cluster0' | 'cluster1') => (label === 'cluster1' ? observed : clusters.client(label)) };
    const result = (await new MockActivityEnvironment().run(followDestinationEvents, connections, { ...INPUT, drain: true })) as FollowDestinationEventsResult;
    const inserted = commands
      .filter((c) => c.commandName === 'insert' && c.databaseName === C2C_VERIFIER_DB && c.command.insert === 'changed')
      .flatMap((c) => (c.command.documents as { _id: { id: unknown } }[]).map((d) => String(d._id.id)));
    return { result, inserted };
  } finally {
    await observed.close();
  }
}

test('a document the applier recorded is not recorded again, and a later write to it on the destination still fails the commit check', async () => {
  await destination().db('app').createCollection('items');
  await new MockActivityEnvironment().run(beginDestinationEvents, clusters, BEGIN);
  // the source holds what the applier applies
  await pair.admin.cluster0.db('app').collection<NumberedDocument>('items').insertMany([{ _id: 1, v: 2 }, { _id: 2, v: 1 }]);
  await (await applier()).apply([sourceEvent('insert', 1, 1), sourceEvent('insert', 2, 1), sourceEvent('update', 1, 2)]);
  assert.deepEqual(await changedIds(), ['app.items:1', 'app.items:2'], 'the applier recorded both');
  // someone else writes document 1 on the destination after the applier did
  await destination().db('app').collection<NumberedDocument>('items').updateOne({ _id: 1 }, { $set: { v: 99 } });

  const { result, inserted } = await drainObserved();
  assert.equal(result.documentEvents, 4, 'the applier’s three writes and the other one');
  assert.deepEqual(inserted, [], 'every _id was known to be in the changed set');
  assert.deepEqual(await changedIds(), ['app.items:1', 'app.items:2']);
  const check = (await new MockActivityEnvironment().run(verifyAtCommit, clusters, { source: 'cluster0' as const, destination: 'cluster1' as const })) as Awaited<ReturnType<typeof verifyAtCommit>>;
  assert.equal(check.mismatchCount, 1, JSON.stringify(check));
  assert.deepEqual(check.mismatches, [{ ns: 'app.items', id: '{"$numberInt":"1"}', kind: 'different' }]);
});

test('what a worker knows of a store does not outlive it: a store made again, even for the same run, is recorded into again', async () => {
  const items = destination().db('app').collection<NumberedDocument>('items');
  await new MockActivityEnvironment().run(beginDestinationEvents, clusters, BEGIN);
  await items.insertMany([{ _id: 1 }, { _id: 2 }]);
  assert.deepEqual((await drainObserved()).inserted, ['1', '2']);
  await items.updateMany({}, { $set: { v: 1 } });
  assert.deepEqual((await drainObserved()).inserted, [], 'known to be recorded');

  // the store is dropped and claimed again by the same run key (each claim has its own id)
  await destination().db(C2C_VERIFIER_DB).dropDatabase();
  await claimStore(destination(), 'follower-test');
  await new MockActivityEnvironment().run(beginDestinationEvents, clusters, BEGIN);
  await items.updateOne({ _id: 1 }, { $set: { v: 2 } });
  const again = await drainObserved();
  assert.deepEqual(again.inserted, ['1']);
  assert.deepEqual(await changedIds(), ['app.items:1']);
});
