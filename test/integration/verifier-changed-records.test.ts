// While the embedded verifier runs, the destination writer records every document it writes in
// the verifier's changed set. A document written again is not recorded again: the entry is
// there, and nothing removes it while events are applied. What was recorded is remembered by the
// writer, and across iterations for the run that owns the store (changed-set-memory.ts); a store
// claimed by another run starts with an empty memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChangeStreamDocument, type CommandStartedEvent, Double, Long, type MongoClient, Timestamp } from 'mongodb';
import { recordedChangesFor } from '../../src/activities/changed-set-memory';
import { DestinationWriter } from '../../src/activities/destination-writer';
import { claimStore } from '../../src/activities/verifier-store';
import { compileNamespaceFilter } from '../../src/sync/namespace-filter';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import { useRecordedDestination } from '../support/shared-clusters';

let source: MongoClient;
let destination: MongoClient;
const commands: CommandStartedEvent[] = [];

useRecordedDestination(commands, (clients) => ({ source, destination } = clients), {
  seed: async () => {
    await destination.db('app').createCollection('items');
  },
});

let time = 1;
function event(operationType: 'insert' | 'update' | 'delete', id: unknown): ChangeStreamDocument {
  const t = time++;
  return {
    _id: { _data: `82${t.toString(16).padStart(16, '0')}` },
    operationType,
    clusterTime: new Timestamp({ t: 1_800_000_000, i: t }),
    ns: { db: 'app', coll: 'items' },
    documentKey: { _id: id },
    ...(operationType === 'insert' ? { fullDocument: { _id: id, v: t } } : {}),
    ...(operationType === 'update' ? { updateDescription: { updatedFields: { v: t }, removedFields: [], truncatedArrays: [] } } : {}),
  } as unknown as ChangeStreamDocument;
}

function newWriter(changesRecorded?: Awaited<ReturnType<typeof recordedChangesFor>>): DestinationWriter {
  return new DestinationWriter({
    ...(changesRecorded ? { changesRecorded } : {}),
    source,
    destination,
    filter: compileNamespaceFilter({ includeNamespaces: [], excludeNamespaces: [] }),
    buildIndexes: 'afterDataCopy',
    copyCompletedAt: null,
    replaying: false,
    recordChanges: true,
  });
}

/** The _ids each insert into the changed set carried, per command, while `run` ran. */
async function recordsDuring(run: () => Promise<unknown>): Promise<unknown[][]> {
  const from = commands.length;
  await run();
  return commands
    .slice(from)
    .filter((c) => c.commandName === 'insert' && c.databaseName === C2C_VERIFIER_DB && c.command.insert === 'changed')
    .map((c) => (c.command.documents as { _id: { id: unknown } }[]).map((d) => d._id.id));
}

const changedIds = async (): Promise<unknown[]> =>
  (await destination.db(C2C_VERIFIER_DB).collection('changed').find({}).sort({ '_id.id': 1 }).toArray()).map((e) => (e._id as { id: unknown }).id);

test('a writer records each document once; numbers equal by value are one document; a new writer records again', async () => {
  const writer = newWriter();
  assert.deepEqual(await recordsDuring(() => writer.apply([event('insert', 1), event('insert', 2)])), [[1, 2]]);
  // 1 as a long and 2 as a double are the documents recorded above; 3 is new
  const second = await recordsDuring(() => writer.apply([event('update', Long.fromNumber(1)), event('update', new Double(2)), event('insert', 3)]));
  assert.deepEqual(second, [[3]]);
  assert.deepEqual(await recordsDuring(() => writer.apply([event('delete', 1)])), []);

  const retry = newWriter();
  const again = await recordsDuring(() => retry.apply([event('update', 1), event('update', 3)]));
  assert.equal(again.flat().length, 2, 'a new writer (a new attempt) does not rely on what an earlier one recorded');
  assert.deepEqual(await changedIds(), [1, 2, 3]);
  const items = await destination.db('app').collection('items').find({}).sort({ _id: 1 }).toArray();
  assert.deepEqual(items.map((d) => d._id), [2, 3], 'the writes themselves are applied');
});

test("the memory lasts across iterations of the run that owns the store, and not past another run's claim", async () => {
  await claimStore(destination, 'sync-a@1.1');
  const first = newWriter(await recordedChangesFor(destination));
  assert.deepEqual(await recordsDuring(() => first.apply([event('insert', 10), event('insert', 11)])), [[10, 11]]);
  // the next iteration of the same run
  const next = newWriter(await recordedChangesFor(destination));
  assert.deepEqual(await recordsDuring(() => next.apply([event('update', 10), event('insert', 12)])), [[12]]);

  // another run claims the store (dropping it): its iterations record everything again
  await claimStore(destination, 'sync-b@2.1');
  const other = newWriter(await recordedChangesFor(destination));
  assert.deepEqual(await recordsDuring(() => other.apply([event('update', 10), event('update', 12)])), [[10, 12]]);
  assert.deepEqual(await changedIds(), [10, 12]);
});
