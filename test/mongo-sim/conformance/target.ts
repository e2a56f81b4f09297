// Where the conformance suite runs: a fresh simulator per test file, or — when TEST_MONGO_URI is
// set — a real MongoDB replica set. The real set must be a single-node replica set without
// authentication, started with enableTestCommands=1 (for configureFailPoint).
// Tests that need simulator-only controls (auth at startup, a tiny oplog, …) are registered only
// when TEST_MONGO_URI is unset, through `simulatorOnly`, and their names say "[simulator only]".
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { MongoClient, type MongoClientOptions, MongoServerError, type ObjectId } from 'mongodb';
import { startMongoSim, type MongoSim, type MongoSimOptions } from '../index';

/** Test documents: numeric, string or ObjectId `_id`, any other fields. */
export interface Loose {
  _id?: number | string | ObjectId;
  [field: string]: unknown;
}

export const REAL_SERVER_URI = process.env.TEST_MONGO_URI;
export const ON_SIMULATOR = REAL_SERVER_URI === undefined;

export interface Target {
  uri: string;
  /** `host:port` of the seed, as hello must report it */
  hostAndPort: string;
  /** set when the target is a simulator started by this file */
  sim?: MongoSim;
  /** a client for this target; closed by close() */
  client(options?: MongoClientOptions): MongoClient;
  /** a database name no other test uses */
  uniqueDb(prefix: string): string;
  close(): Promise<void>;
}

const FAST_FAILURE: MongoClientOptions = { serverSelectionTimeoutMS: 5000 };

function seedOf(uri: string): string {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/,?]+)/.exec(uri);
  if (!match) throw new Error(`cannot read the host of ${uri}`);
  return match[1];
}

/** The target of a test file; simulator options apply only when TEST_MONGO_URI is unset. */
export async function startTarget(simOptions: MongoSimOptions = {}): Promise<Target> {
  const sim = ON_SIMULATOR ? await startMongoSim(simOptions) : undefined;
  const uri = sim?.uri ?? (REAL_SERVER_URI as string);
  const clients: MongoClient[] = [];
  return {
    uri,
    hostAndPort: seedOf(uri),
    sim,
    client(options = {}) {
      const client = new MongoClient(uri, { ...FAST_FAILURE, ...options });
      clients.push(client);
      return client;
    },
    uniqueDb(prefix) {
      return `${prefix}_${randomBytes(4).toString('hex')}`;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close(true).catch(() => undefined)));
      await sim?.stop();
    },
  };
}

/** A simulator of its own for one test, with startup options a real server cannot take. */
export async function startSimulator(options: MongoSimOptions): Promise<MongoSim> {
  return startMongoSim(options);
}

/** Registers a test only when the suite runs on the simulator. */
export function simulatorOnly(name: string, fn: () => Promise<void>): void {
  if (ON_SIMULATOR) test(`[simulator only] ${name}`, fn);
}

/** Turns failCommand off; every test that sets it calls this in a finally block. */
export async function disableFailCommand(client: MongoClient): Promise<void> {
  await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
}

/** The server error a command fails with; fails the test when it succeeds or fails otherwise. */
export async function failure(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof MongoServerError, `expected a server error, got ${String(error)}`);
  return error;
}
