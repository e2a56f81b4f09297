// Randomized convergence, end to end: a real Temporal dev server, two replica sets (simulated,
// or real ones from TEST_CLUSTER0_URI/TEST_CLUSTER1_URI), the sync run by a `c2c-sync worker`
// process, a seeded workload of every operation kind and `_id` type during the copy and during
// change event application, worker kills and destination fail points at random moments. After
// commit the destination must equal the source byte for byte. Every operation kind and fault is
// enabled here; SEED=<n> (and OPS/IDS/FAULTS, see test/support/convergence/config.ts) reproduce a
// printed run, `npm run soak -- --seeds N` runs many.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { convergenceOptions } from '../support/convergence/cli-options';
import { type ConvergenceConfig, FULL_CONFIG } from '../support/convergence/config';
import { formatResult, runConvergence } from '../support/convergence/run';
import { createTemporalTestEnv } from '../support/temporal';

const CI_SEEDS = [1, 2];
/** Every kind and fault, with less data than the soak, to keep the file within a few minutes. */
const CI_CONFIG: ConvergenceConfig = { ...FULL_CONFIG, seedCollections: 3, seedDocuments: 500, applyPhaseOperations: 150 };
const { seeds, config } = convergenceOptions([], process.env, CI_SEEDS, CI_CONFIG);

let env: TestWorkflowEnvironment;
let pair: ClusterPair;

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

after(async () => {
  await pair?.close();
  await env?.teardown();
});

for (const seed of seeds) {
  test(`the destination converges to the source byte for byte (SEED=${seed})`, async () => {
    const result = await runConvergence({ env, pair }, seed, config);
    assert.ok(result.passed, formatResult(result));
  });
}
