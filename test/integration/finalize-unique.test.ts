// finalizeDestination restores unique indexes at commit. When the destination holds documents
// that share a key, retrying cannot help: the activity fails non-retryably, naming the index and
// a duplicate key, instead of being retried forever after canWrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { finalizeDestination, type FinalizeInput } from '../../src/activities/catalog';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

test('a unique index that meets duplicates at commit fails with UniqueIndexConversionFailed naming the index and the key', async () => {
  const source = pair.admin.cluster0.db('shop').collection<{ _id: number; email: string }>('users');
  await source.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
  await source.insertMany([
    { _id: 1, email: 'a@example.com' },
    { _id: 2, email: 'b@example.com' },
  ]);
  // The destination's copy of the index is relaxed (not unique) and the documents diverged.
  const destination = pair.admin.cluster1.db('shop').collection<{ _id: number; email: string }>('users');
  await destination.createIndex({ email: 1 }, { name: 'email_1' });
  await destination.insertMany([
    { _id: 1, email: 'a@example.com' },
    { _id: 2, email: 'b@example.com' },
    { _id: 3, email: 'b@example.com' },
  ]);

  const input: Omit<FinalizeInput, 'stage'> = {
    source: 'cluster0',
    destination: 'cluster1',
    includeNamespaces: [],
    excludeNamespaces: [],
    buildIndexes: 'afterDataCopy',
  };
  const env = new MockActivityEnvironment();
  // A server accepts prepareUnique over existing duplicates and refuses the unique conversion
  // after canWrite; either stage may be the one that meets them.
  const run = async () => {
    await env.run(finalizeDestination, clusters, { ...input, stage: 'beforeCanWrite' as const });
    await env.run(finalizeDestination, clusters, { ...input, stage: 'afterCanWrite' as const });
  };
  await assert.rejects(run(), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, 'UniqueIndexConversionFailed');
    assert.equal(error.nonRetryable, true);
    assert.match(error.message, /unique index 'email_1' \{"email":1\} on shop\.users: 2 documents share the key \{"email":"b@example\.com"\}/);
    assert.match(error.message, /_id 2 and 3/);
    return true;
  });
});
