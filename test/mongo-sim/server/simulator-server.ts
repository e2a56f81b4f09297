// The TCP server of one simulated replica-set member: listens, builds the shared state once the
// port is known, and owns every client connection until stop().
import net from 'node:net';
import { ObjectId } from 'bson';
import type { Engine, EngineOptions } from '../engine/types';
import type { MongoSimOptions } from '../index';
import type { RoleName } from './auth/builtin-roles';
import { UserStore } from './auth/user-store';
import { ClientConnection } from './client-connection';
import { CommandDispatcher } from './command-dispatcher';
import type { ServerConfig, ServerContext } from './context';
import { CursorRegistry } from './cursor-registry';
import { FailPoints } from './fail-points';
import { RetryableWrites } from './retryable-writes';
import { ServerStats } from './server-stats';
import { resolveVersion } from './versions';
import { SCRAM_MECHANISMS } from './auth/scram';

export interface StartupUser {
  user: string;
  password: string;
  /** roles on admin by default: `'root'` or `{role, db}`; defaults to root */
  roles?: (string | RoleName)[];
}

export interface SimulatorServerOptions extends MongoSimOptions {
  createEngine: (options: EngineOptions) => Engine;
}

export interface RunningSimulatorServer {
  host: string;
  port: number;
  hostAndPort: string;
  replSet: string;
  stop(): Promise<void>;
}

/** Protocol version 1 electionId: 7fffffff followed by the term (hello reply of a primary). */
const ELECTION_ID = new ObjectId('7fffffff0000000000000001');

function formatHostAndPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function mongodArgv(config: Omit<ServerConfig, 'argv' | 'version'>): string[] {
  const argv = ['mongod', '--replSet', config.replSet, '--bind_ip', config.host, '--port', String(config.port), '--oplogSize', String(config.oplogSizeMB)];
  if (config.auth) argv.push('--auth');
  return argv;
}

export async function startSimulatorServer(options: SimulatorServerOptions): Promise<RunningSimulatorServer> {
  const version = resolveVersion(options.version);
  const host = options.host ?? '127.0.0.1';
  const replSet = options.replSet ?? 'rs0';
  const oplogSizeMB = options.oplogSizeMB ?? 192;
  const periodicNoopIntervalMs = options.periodicNoopIntervalMs ?? 10_000;
  const auth = options.auth ?? false;

  const users = new UserStore();
  for (const spec of options.users ?? []) {
    const roles = (spec.roles ?? ['root']).map((r) => (typeof r === 'string' ? { role: r, db: 'admin' } : r));
    await users.addUser({ user: spec.user, db: 'admin', password: spec.password, roles, mechanisms: [...SCRAM_MECHANISMS] });
  }

  const connections = new Set<ClientConnection>();
  let onConnection: (socket: net.Socket) => void = (socket) => socket.destroy();
  const listener = net.createServer((socket) => onConnection(socket));
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const port = (listener.address() as net.AddressInfo).port;
  const hostAndPort = formatHostAndPort(host, port);

  let engine: Engine;
  try {
    engine = options.createEngine({
      version: version.version,
      oplogSizeBytes: oplogSizeMB * 1024 * 1024,
      periodicNoopIntervalMs,
      hostAndPort,
    });
  } catch (error) {
    listener.close();
    throw error;
  }

  const base = { host, port, hostAndPort, replSet, auth, oplogSizeMB, periodicNoopIntervalMs };
  const context: ServerContext = {
    config: { ...base, version, argv: mongodArgv(base) },
    engine,
    users,
    failPoints: new FailPoints(),
    retryableWrites: new RetryableWrites(),
    cursors: new CursorRegistry(),
    stats: new ServerStats(),
    electionId: ELECTION_ID,
    election: { time: engine.lastApplied(), date: new Date() },
  };
  const dispatcher = new CommandDispatcher(context);
  let nextConnectionId = 1;
  let stopped = false;
  onConnection = (socket) => {
    if (stopped) {
      socket.destroy();
      return;
    }
    context.stats.connectionsCurrent++;
    context.stats.connectionsTotalCreated++;
    const connection = new ClientConnection(nextConnectionId++, socket, context, dispatcher, (closed) => {
      if (connections.delete(closed)) context.stats.connectionsCurrent--;
    });
    connections.add(connection);
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      stopped = true;
      listener.close(() => resolve());
      for (const connection of [...connections]) connection.close();
      engine.close();
    });
    return stopping;
  };
  return { host, port, hostAndPort, replSet, stop };
}
