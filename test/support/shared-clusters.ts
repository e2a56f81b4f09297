// The hooks every multi-test sync file shares: one Temporal server and one pair of clusters for
// the file, what the previous test left running released before each test (and after the file),
// and the clusters emptied before each test. Files that run activities without Temporal share
// `useClusterClients`: the pair and the ClusterClients the activities are given.
import { after, before, beforeEach } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { type ClusterClients, createClusterClients } from '../../src/mongo/cluster-clients';
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

export interface ClusterClientsFixture {
  /** the clusters every test of the file shares: simulated, or the real ones of TEST_CLUSTER0_URI and TEST_CLUSTER1_URI */
  pair: ClusterPair;
  /** the clients c2c-sync's activities use on them */
  clusters: ClusterClients;
}

/** What a file may add to `useClusterClients`. */
export interface ClusterClientsOptions {
  /**
   * What the tests of the file share, written once the clusters run (a root-level `before` of the
   * file would run alongside the start, not after it). A file that seeds is not emptied between
   * tests.
   */
  seed?: () => Promise<void>;
}

/**
 * One pair of clusters and its ClusterClients for the file: started before the first test, closed
 * after the last, and emptied before each test unless the file seeds them. `started` receives
 * them once they run, for the file to keep in its own variables.
 */
export function useClusterClients(started: (fixture: ClusterClientsFixture) => void, options: ClusterClientsOptions = {}): void {
  let pair: ClusterPair | undefined;
  let clusters: ClusterClients | undefined;
  before(async () => {
    pair = await startClusterPair();
    clusters = createClusterClients(pair.uris);
    started({ pair, clusters });
    await options.seed?.();
  });
  after(async () => {
    await clusters?.close();
    await pair?.close();
  });
  if (!options.seed) {
    beforeEach(async () => {
      await pair!.reset();
    });
  }
}

/**
 * For tests of what the destination writer sends: `useClusterClients`, with the activities'
 * client of the source and a client of the destination that adds every command it sends to
 * `commands`.
 */
export function useRecordedDestination(
  commands: CommandStartedEvent[],
  started: (clients: { source: MongoClient; destination: MongoClient }) => void,
  options: ClusterClientsOptions = {},
): void {
  let destination: MongoClient | undefined;
  // registered first, so it runs first: the client closes before its cluster stops
  after(async () => {
    await destination?.close();
  });
  useClusterClients(({ pair, clusters }) => {
    destination = new MongoClient(pair.uris.cluster1, { monitorCommands: true });
    destination.on('commandStarted', (event) => commands.push(event));
    started({ source: clusters.client('cluster0'), destination });
  }, options);
}
