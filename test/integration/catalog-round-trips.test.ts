// What the catalog copy and the after-copy index build cost per collection, in commands sent to
// each cluster: at tens of thousands of small collections every round trip per collection is
// seconds of the sync, so the budget is held here (the relaxed indexes must still all be built).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type CommandStartedEvent, type Document, MongoClient } from 'mongodb';
import { buildIndexes, type CatalogInput, copyCatalog, finalizeDestination } from '../../src/activities/catalog';
import type { ClusterConnections } from '../../src/mongo/cluster-clients';
import type { ClusterLabel } from '../../src/sync/vocabulary';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';

/** Clients that count the commands they send, by cluster and command name. */
class CountingClients implements ClusterConnections {
  private readonly counts: Record<ClusterLabel, Map<string, number>> = { cluster0: new Map(), cluster1: new Map() };
  private readonly clients: Record<ClusterLabel, MongoClient>;

  constructor(uris: Record<ClusterLabel, string>) {
    const options = { readConcern: { level: 'majority' as const }, writeConcern: { w: 'majority' as const }, monitorCommands: true };
    this.clients = { cluster0: new MongoClient(uris.cluster0, options), cluster1: new MongoClient(uris.cluster1, options) };
    for (const label of ['cluster0', 'cluster1'] as const) {
      this.clients[label].on('commandStarted', (event: CommandStartedEvent) => {
        this.counts[label].set(event.commandName, this.count(label, event.commandName) + 1);
      });
    }
  }

  client(label: ClusterLabel): MongoClient {
    return this.clients[label];
  }

  count(label: ClusterLabel, command: string): number {
    return this.counts[label].get(command) ?? 0;
  }

  reset(): void {
    this.counts.cluster0.clear();
    this.counts.cluster1.clear();
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.clients).map((client) => client.close()));
  }
}

let pair: ClusterPair;
let counting: CountingClients;

before(async () => {
  pair = await startClusterPair();
  counting = new CountingClients(pair.uris);
});

after(async () => {
  await counting?.close();
  await pair?.close();
});

beforeEach(async () => {
  await pair.reset();
  counting.reset();
});

const INPUT: CatalogInput = { source: 'cluster0', destination: 'cluster1', includeNamespaces: [], excludeNamespaces: [], buildIndexes: 'afterDataCopy' };
const INDEXED = 30;
const PLAIN = 10;

async function seed(): Promise<void> {
  const db = pair.admin.cluster0.db('tenants');
  for (let i = 0; i < INDEXED + PLAIN; i++) {
    const coll = db.collection<{ _id: number; email: string; at: number }>(`t${String(i).padStart(2, '0')}`);
    await coll.insertMany([0, 1, 2].map((n) => ({ _id: n, email: `${i}-${n}@x`, at: n })));
    if (i < INDEXED) {
      await coll.createIndex({ email: 1 }, { name: 'email_unique', unique: true });
      await coll.createIndex({ at: -1 }, { name: 'at_-1', expireAfterSeconds: 3600 });
    }
  }
}

const names = (specs: Document[]): string[] => specs.map((spec) => String(spec.name)).sort();

test('the catalog copy costs a create on the destination and a size on the source per collection', async () => {
  await seed();
  await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, counting, INPUT);
  const collections = INDEXED + PLAIN;
  assert.equal(counting.count('cluster1', 'create'), collections);
  assert.equal(counting.count('cluster0', 'aggregate'), collections, 'one $collStats per collection');
  assert.equal(counting.count('cluster0', 'listIndexes'), 0, 'indexes are built after the copy');
});

test('buildIndexes costs one listIndexes on the source and one createIndexes on the destination per indexed collection', async () => {
  await seed();
  await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, counting, INPUT);
  counting.reset();
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, counting, INPUT);
  assert.equal(counting.count('cluster1', 'listIndexes'), 0, 'nothing to ask the destination: the catalog copy created its collections');
  assert.equal(counting.count('cluster1', 'createIndexes'), INDEXED, "one command builds all of a collection's indexes");
  assert.ok(counting.count('cluster0', 'listIndexes') <= INDEXED + PLAIN);
  for (const coll of ['t00', `t${INDEXED - 1}`]) {
    const built = await pair.admin.cluster1.db('tenants').collection(coll).listIndexes().toArray();
    assert.deepEqual(names(built), ['_id_', 'at_-1', 'email_unique']);
    const email = built.find((spec) => spec.name === 'email_unique')!;
    assert.equal(email.unique, undefined, 'built relaxed: uniqueness is restored at commit');
  }
  assert.deepEqual(names(await pair.admin.cluster1.db('tenants').collection(`t${INDEXED}`).listIndexes().toArray()), ['_id_']);
});

test('buildIndexes run again (a retry from scratch) leaves the indexes as they are', async () => {
  await seed();
  await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, counting, INPUT);
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, counting, INPUT);
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, counting, INPUT);
  const built = await pair.admin.cluster1.db('tenants').collection('t05').listIndexes().toArray();
  assert.deepEqual(names(built), ['_id_', 'at_-1', 'email_unique']);
});

test('the commit-time finalize costs a listIndexes on each side per collection, and a listCollections per page', async () => {
  await seed();
  await new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, counting, INPUT);
  await new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, counting, INPUT);
  const collections = INDEXED + PLAIN;
  for (const stage of ['beforeCanWrite', 'afterCanWrite'] as const) {
    counting.reset();
    await new MockActivityEnvironment({ attempt: 1 }).run(finalizeDestination, counting, { ...INPUT, stage });
    assert.equal(counting.count('cluster1', 'listCollections'), 1, `${stage}: the destination's entries of a page in one query`);
    assert.equal(counting.count('cluster0', 'listIndexes'), collections, stage);
    // After the last stage's steps (unique and TTL restored on the indexed collections), their
    // indexes are listed again to check them; the others' first listing is the check.
    const relisted = stage === 'afterCanWrite' ? INDEXED : 0;
    assert.equal(counting.count('cluster1', 'listIndexes'), collections + relisted, `${stage}: listed again only after a step changed them`);
  }
  // The relaxations are undone: the unique index is unique again, the TTL index expires again.
  const built = await pair.admin.cluster1.db('tenants').collection('t03').listIndexes().toArray();
  assert.equal(built.find((spec) => spec.name === 'email_unique')!.unique, true);
  assert.equal(built.find((spec) => spec.name === 'at_-1')!.expireAfterSeconds, 3600);
});
