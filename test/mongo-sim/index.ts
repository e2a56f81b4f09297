// Entry point of the MongoDB simulator: a single-node replica-set primary that the official
// driver reaches with an ordinary connection string. Test support only; src/ never imports it.
import { createEngine } from './engine';
import { startSimulatorServer, type StartupUser } from './server/simulator-server';

export type { StartupUser } from './server/simulator-server';

export interface MongoSimOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** listened on and advertised in hello; the URI uses exactly this string. Default 127.0.0.1 */
  host?: string;
  /** replica set name, default 'rs0' */
  replSet?: string;
  /** require authentication (SCRAM-SHA-256 / SCRAM-SHA-1) */
  auth?: boolean;
  /** users created in admin at startup (root unless roles say otherwise) */
  users?: StartupUser[];
  /** oplog cap, default 192 MB */
  oplogSizeMB?: number;
  /** '6.0' | '7.0' | '8.0' or a full version such as '8.0.13'; default 7.0.x */
  version?: string;
  /** periodic no-op writer interval, default 10000 ms; 0 turns it off */
  periodicNoopIntervalMs?: number;
}

export interface MongoSim {
  /** mongodb://host:port/?replicaSet=NAME, never with credentials */
  uri: string;
  host: string;
  port: number;
  /** closes the listener and every connection, then the engine */
  stop(): Promise<void>;
}

export async function startMongoSim(options: MongoSimOptions = {}): Promise<MongoSim> {
  const server = await startSimulatorServer({ ...options, createEngine });
  return {
    uri: `mongodb://${server.hostAndPort}/?replicaSet=${encodeURIComponent(server.replSet)}`,
    host: server.host,
    port: server.port,
    stop: () => server.stop(),
  };
}
