// The two clusters a worker can reach, by their mongosync labels.
import { MongoClient } from 'mongodb';
import { parseClusterConnectionString } from './connection-string';

import type { ClusterLabel } from '../sync/vocabulary';

export interface ClusterClients {
  client(label: ClusterLabel): MongoClient;
  /** `host:port` as given in the connection string, for directionMapping */
  host(label: ClusterLabel): string;
  close(): Promise<void>;
}

/** What an activity needs of the clusters: a client per label. */
export type ClusterConnections = Pick<ClusterClients, 'client'>;

export interface ClusterUris {
  cluster0: string;
  cluster1: string;
}

/** Opens (lazily, on first use) a client per cluster with majority read and write concern. */
export function createClusterClients(uris: ClusterUris): ClusterClients {
  const parsed = {
    cluster0: parseClusterConnectionString('cluster0', uris.cluster0),
    cluster1: parseClusterConnectionString('cluster1', uris.cluster1),
  };
  const clients = {
    cluster0: new MongoClient(uris.cluster0, clientOptions),
    cluster1: new MongoClient(uris.cluster1, clientOptions),
  };
  return {
    client: (label) => clients[label],
    host: (label) => parsed[label].primaryHost,
    async close() {
      await Promise.all([clients.cluster0.close(), clients.cluster1.close()]);
    },
  };
}

const clientOptions = {
  readConcern: { level: 'majority' as const },
  writeConcern: { w: 'majority' as const },
  readPreference: 'primary' as const,
  serverSelectionTimeoutMS: 15_000,
  appName: 'c2c-sync',
};
