// The hooks every multi-test sync file shares: one Temporal server and one pair of clusters for
// the file, what the previous test left running released before each test (and after the file),
// and the clusters emptied before each test.
import { after, before, beforeEach } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from './cluster-pair';
import { createTemporalTestEnv } from './temporal';

export interface ServerAndClusters {
  /** the Temporal server every test of the file shares */
  readonly env: TestWorkflowEnvironment;
  /** the clusters every test of the file shares, emptied before each test */
  readonly pair: ClusterPair;
}

/** `release` stops what a test started (harnesses, worker processes) before the next one runs. */
export function useServerAndClusters(release: () => Promise<void>): ServerAndClusters {
  let env: TestWorkflowEnvironment | undefined;
  let pair: ClusterPair | undefined;
  before(async () => {
    env = await createTemporalTestEnv();
    pair = await startClusterPair();
  });
  after(async () => {
    await release();
    await pair?.close();
    await env?.teardown();
  });
  beforeEach(async () => {
    await release();
    await pair!.reset();
  });
  return {
    get env() {
      return env!;
    },
    get pair() {
      return pair!;
    },
  };
}
