// Under a non-simple default collation two _id strings that differ may name one document, so
// the destination writer learns which collections have one (once per namespace, again after
// DDL) and runs the writes of their string keys one after another, in stream order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChangeStreamDocument, type CommandStartedEvent, type MongoClient, Timestamp } from 'mongodb';
import { CollatedNamespaces } from '../../src/activities/collated-namespaces';
import { DestinationWriter } from '../../src/activities/destination-writer';
import { compileNamespaceFilter } from '../../src/sync/namespace-filter';
import { useRecordedDestination } from '../support/shared-clusters';
import type { AnyDocument } from '../support/workload';

let source: MongoClient;
let destination: MongoClient;
const commands: CommandStartedEvent[] = [];

useRecordedDestination(commands, (clients) => ({ source, destination } = clients), {
  seed: async () => {
    const db = destination.db('app');
    await db.createCollection('ci', { collation: { locale: 'en', strength: 2 } });
    await db.createCollection('plain');
    await db.createCollection('binary', { collation: { locale: 'simple' } });
  },
});

const listings = (): number => commands.filter((c) => c.commandName === 'listCollections').length;

test('collections with a non-simple default collation are found once and again after forget()', async () => {
  const collated = new CollatedNamespaces(destination);
  const namespaces = ['ci', 'plain', 'binary', 'missing'].map((coll) => ({ db: 'app', coll }));
  const before = listings();
  assert.deepEqual([...(await collated.among(namespaces))], ['app.ci']);
  assert.equal(listings() - before, 1, 'one listCollections per database');
  assert.deepEqual([...(await collated.among(namespaces))], ['app.ci']);
  assert.equal(listings() - before, 1, 'answered from the cache');
  collated.forget();
  assert.deepEqual([...(await collated.among([{ db: 'app', coll: 'ci' }]))], ['app.ci']);
  assert.equal(listings() - before, 2);
});

let time = 1;
function event(operationType: 'insert' | 'delete', coll: string, id: unknown): ChangeStreamDocument {
  const t = time++;
  return {
    _id: { _data: `82${t.toString(16).padStart(16, '0')}` },
    operationType,
    clusterTime: new Timestamp({ t: 1_800_000_000, i: t }),
    ns: { db: 'app', coll },
    documentKey: { _id: id },
    ...(operationType === 'insert' ? { fullDocument: { _id: id, v: t } } : {}),
  } as unknown as ChangeStreamDocument;
}

/** The write commands the writer sent for `coll`, in the order it sent them. */
async function writesFor(coll: string, events: ChangeStreamDocument[]): Promise<string[]> {
  const writer = new DestinationWriter({
    source,
    destination,
    filter: compileNamespaceFilter({ includeNamespaces: [], excludeNamespaces: [] }),
    buildIndexes: 'afterDataCopy',
    copyCompletedAt: null,
    replaying: false,
  });
  const from = commands.length;
  await writer.apply(events);
  return commands
    .slice(from)
    .filter((c) => ['insert', 'update', 'delete'].includes(c.commandName) && c.command[c.commandName] === coll)
    .map((c) => c.commandName);
}

test('in a collated collection, string keys are written one after another in stream order', async () => {
  await destination.db('app').collection<AnyDocument>('ci').insertOne({ _id: 'A' });
  // 'A' deleted, then 'a' inserted: under the collation both are one document, so the delete
  // must reach the destination before the insert.
  assert.deepEqual(await writesFor('ci', [event('delete', 'ci', 'A'), event('insert', 'ci', 'a')]), ['delete', 'update']);
  // Without a collation they are two documents, written together in one round.
  await destination.db('app').collection<AnyDocument>('plain').insertOne({ _id: 'A' });
  assert.deepEqual(await writesFor('plain', [event('delete', 'plain', 'A'), event('insert', 'plain', 'a')]), ['update', 'delete']);
  // Keys without strings are never equal under a collation: they stay in parallel.
  assert.deepEqual(await writesFor('ci', [event('delete', 'ci', 1), event('insert', 'ci', 2)]), ['update', 'delete']);
});
