// State shared by the server layer: per simulated server, and per client connection.
import type { Document, ObjectId, Timestamp } from 'bson';
import type { Engine } from '../engine/types';
import type { ConnectionAuth } from './auth/connection-auth';
import type { UserStore } from './auth/user-store';
import type { CursorRegistry } from './cursor-registry';
import type { FailPoints } from './fail-points';
import type { RetryableWrites } from './retryable-writes';
import type { ServerStats } from './server-stats';
import type { VersionProfile } from './versions';

export interface ServerConfig {
  /** advertised host, exactly as the connection string uses it */
  host: string;
  port: number;
  /** `host:port` for hello.hosts/primary/me */
  hostAndPort: string;
  replSet: string;
  auth: boolean;
  oplogSizeMB: number;
  periodicNoopIntervalMs: number;
  version: VersionProfile;
  /** the mongod-style command line reported by getCmdLineOpts */
  argv: string[];
}

export interface ServerContext {
  readonly config: ServerConfig;
  readonly engine: Engine;
  readonly users: UserStore;
  readonly failPoints: FailPoints;
  readonly retryableWrites: RetryableWrites;
  readonly cursors: CursorRegistry;
  readonly stats: ServerStats;
  /** constant while the simulated primary does not change (hello reply of a primary, what makes a driver see a primary) */
  readonly electionId: ObjectId;
  /** when the simulated election happened: the logical time and date the server started */
  readonly election: { time: Timestamp; date: Date };
}

export interface ConnectionState {
  readonly id: number;
  /** `ip:port` of the client */
  readonly remoteAddress: string;
  readonly auth: ConnectionAuth;
  /** aborted when the client connection closes */
  readonly signal: AbortSignal;
  /** `client` document of the first hello */
  clientMetadata?: Document;
  /** `client.application.name` of the first hello, matched by failCommand's appName */
  appName?: string;
  /** whether a hello has been answered on this connection */
  helloSeen: boolean;
}

export interface CommandCall {
  readonly name: string;
  readonly cmd: Document;
  readonly db: string;
  readonly conn: ConnectionState;
  readonly server: ServerContext;
  /** the request came as OP_QUERY (legacy handshake) */
  readonly legacyOpQuery: boolean;
}

/** A server-layer command: resolves to the reply body without ok/$clusterTime/operationTime. */
export type CommandHandler = (call: CommandCall) => Promise<Document> | Document;
