// Two replica sets for sync tests: simulated ones by default, or real ones when
// TEST_CLUSTER0_URI and TEST_CLUSTER1_URI are set (disposable clusters, with a user that has the
// root role in the URIs: the tests drop every user database on them).
import { MongoClient, MongoServerError } from 'mongodb';
import { startMongoSim, type MongoSim } from '../mongo-sim';
import type { ClusterLabel } from '../../src/sync/vocabulary';

export const APP_USER = { user: 'c2c_test_app', password: 'app-secret-1' };
const SYNC_USER = { user: 'c2c', password: 'sync-secret-1' };

export interface ClusterPair {
  /** connection strings c2c-sync uses (with credentials) */
  uris: Record<ClusterLabel, string>;
  /** root clients, for seeding and checking */
  admin: Record<ClusterLabel, MongoClient>;
  /** clients of a user that may write but not bypass user write blocking */
  app: Record<ClusterLabel, MongoClient>;
  simulated: boolean;
  sims: Partial<Record<ClusterLabel, MongoSim>>;
  /** drops every user database and lifts write blocking on both clusters */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function withCredentials(uri: string, user: { user: string; password: string }): string {
  const url = new URL(uri);
  url.username = encodeURIComponent(user.user);
  url.password = encodeURIComponent(user.password);
  if (!url.searchParams.has('authSource')) url.searchParams.set('authSource', 'admin');
  return url.toString();
}

async function ensureAppUser(admin: MongoClient): Promise<void> {
  try {
    await admin.db('admin').command({
      createUser: APP_USER.user,
      pwd: APP_USER.password,
      roles: [{ role: 'readWriteAnyDatabase', db: 'admin' }],
    });
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === 51003)) throw error;
  }
}

/** `version`: the simulated servers' version ('6.0', '7.0', '8.0' or a full 'X.Y.Z'). */
export async function startClusterPair(options: { oplogSizeMB?: number; version?: string } = {}): Promise<ClusterPair> {
  const real0 = process.env.TEST_CLUSTER0_URI;
  const real1 = process.env.TEST_CLUSTER1_URI;
  const sims: Partial<Record<ClusterLabel, MongoSim>> = {};
  let uris: Record<ClusterLabel, string>;
  if (real0 && real1) {
    uris = { cluster0: real0, cluster1: real1 };
  } else {
    for (const label of ['cluster0', 'cluster1'] as const) {
      sims[label] = await startMongoSim({
        auth: true,
        users: [SYNC_USER],
        oplogSizeMB: options.oplogSizeMB,
        version: options.version,
        periodicNoopIntervalMs: 1000,
      });
    }
    uris = { cluster0: withCredentials(sims.cluster0!.uri, SYNC_USER), cluster1: withCredentials(sims.cluster1!.uri, SYNC_USER) };
  }
  const admin = { cluster0: new MongoClient(uris.cluster0), cluster1: new MongoClient(uris.cluster1) };
  for (const client of Object.values(admin)) await ensureAppUser(client);
  const app = {
    cluster0: new MongoClient(withCredentials(uris.cluster0, APP_USER)),
    cluster1: new MongoClient(withCredentials(uris.cluster1, APP_USER)),
  };
  const pair: ClusterPair = {
    uris,
    admin,
    app,
    simulated: !(real0 && real1),
    sims,
    async reset() {
      for (const client of Object.values(admin)) {
        await client.db('admin').command({ setUserWriteBlockMode: 1, global: false });
        const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
        for (const { name } of databases as { name: string }[]) {
          if (!['admin', 'config', 'local'].includes(name)) await client.db(name).dropDatabase();
        }
      }
    },
    async close() {
      await Promise.all([...Object.values(admin), ...Object.values(app)].map((client) => client.close()));
      await Promise.all(Object.values(sims).map((sim) => sim.stop()));
    },
  };
  await pair.reset();
  return pair;
}
