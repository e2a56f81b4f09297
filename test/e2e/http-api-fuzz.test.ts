// The body fuzz end to end (test/support/api-fuzz.ts; the exhaustive part is
// test/unit/api/body-fuzz.test.ts): a sample of invalid bodies for every endpoint, over real
// HTTP, to the API of a sync on a real Temporal dev server with simulated clusters. Every one
// is refused with a 4xx envelope showing no credential; afterwards no workflow exists, the sync
// is IDLE and neither cluster holds anything new. Then a valid /start does start the sync, so
// the setup was able to. The seed is printed; FUZZ_SEED=<seed> reproduces a run.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MongoClient } from 'mongodb';
import { createApiServer } from '../../src/api/server';
import { errorEnvelopeSchema } from '../../src/api/schemas';
import { rememberCredentialsOf } from '../../src/mongo/redact';
import { FUZZ_SECRET, FUZZ_SECRET_URI, sampleInvalidBodies } from '../support/api-fuzz';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { startSyncHarness, type SyncHarness, waitForProgress } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';
import { seed as seedData } from '../support/workload';

/** The sync user's password in the simulated clusters' URIs (test/support/cluster-pair.ts). */
const SYNC_PASSWORD = 'sync-secret-1';
const PER_ENDPOINT = 20;

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await pair.reset();
});
after(async () => {
  await pair?.close();
  await env?.teardown();
});

/** Every database, collection, document count and index of a cluster but its local and config databases. */
async function snapshot(client: MongoClient): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  for (const { name } of databases as { name: string }[]) {
    if (name === 'local' || name === 'config') continue;
    for (const info of await client.db(name).listCollections({}, { nameOnly: true }).toArray()) {
      const coll = client.db(name).collection(info.name);
      const indexes = info.type === 'view' ? [] : (await coll.indexes()).map((index) => index.name);
      out[`${name}.${info.name}`] = { count: info.type === 'view' ? null : await coll.countDocuments(), indexes };
    }
  }
  return out;
}

describe('fuzzed request bodies, end to end', () => {
  test('a sample of invalid bodies for every endpoint: all refused, no workflow, sync IDLE, both clusters unchanged', async () => {
    const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
    console.log(`http-api fuzz seed ${seed} (FUZZ_SEED=${seed} reproduces it)`);
    await seedData(pair.admin.cluster0, [{ db: 'shop', coll: 'orders', documents: 300, indexes: [{ key: { seq: 1 }, unique: true }] }]);
    rememberCredentialsOf(FUZZ_SECRET_URI);
    const h: SyncHarness = await startSyncHarness(env, pair);
    cleanups.push(() => h.close());
    const app = await createApiServer({ sync: h.controller, version: 'e2e-fuzz' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close());
    const baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    const before0 = await snapshot(pair.admin.cluster0);
    const before1 = await snapshot(pair.admin.cluster1);
    const samples = sampleInvalidBodies(seed, PER_ENDPOINT);
    for (const { endpoint, body } of samples) {
      const response = await fetch(`${baseUrl}/api/v1/${endpoint}`, { method: 'POST', body: body.payload, headers: { 'content-type': 'application/json' } });
      const text = await response.text();
      const context = `seed ${seed}: /${endpoint} with ${body.why}: ${response.status} ${text.slice(0, 300)}`;
      assert.ok(response.status >= 400 && response.status < 500, context);
      // a command refused as InvalidState (409) would mean the body got past validation
      assert.ok(errorEnvelopeSchema.safeParse(JSON.parse(text)).success, context);
      assert.ok(['InvalidRequest', 'InvalidStartRequest', 'UnsupportedStartOption', 'PayloadTooLarge'].includes((JSON.parse(text) as { error: string }).error), context);
      for (const secret of [FUZZ_SECRET, encodeURIComponent(FUZZ_SECRET), SYNC_PASSWORD]) assert.ok(!text.includes(secret), `a credential was echoed: ${context}`);
    }

    const progress = (await (await fetch(`${baseUrl}/api/v1/progress`)).json()) as { progress: { state: string } };
    assert.equal(progress.progress.state, 'IDLE', `seed ${seed}`);
    await assert.rejects(env.client.workflow.getHandle(h.controller.workflowId).describe(), WorkflowNotFoundError, `seed ${seed}: a sync workflow exists`);
    assert.deepEqual(await snapshot(pair.admin.cluster0), before0, `seed ${seed}: the source changed`);
    assert.deepEqual(await snapshot(pair.admin.cluster1), before1, `seed ${seed}: the destination changed`);

    // the same API starts a sync from a valid body: the refusals above were not for want of a working setup
    const started = await fetch(`${baseUrl}/api/v1/start`, { method: 'POST', body: '{"source":"cluster0","destination":"cluster1"}' });
    assert.equal(started.status, 200, await started.text());
    await waitForProgress(h.controller, (p) => p.state === 'RUNNING', 60_000);
  });
});
