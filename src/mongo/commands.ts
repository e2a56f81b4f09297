// Small server-command helpers used by the activities.
import { type Document, type MongoClient, Timestamp } from 'mongodb';
import { toClusterTime } from './cluster-time';
import type { ClusterTime } from '../sync/vocabulary';

/**
 * Writes a no-op to the cluster's oplog and returns its time: "now" on that cluster. The note is
 * majority-committed when this returns, and with it every write before it, so majority reads
 * after that time see them all (none can still roll back).
 */
export async function noteClusterTime(client: MongoClient, data: Document): Promise<ClusterTime> {
  const reply = await client.db('admin').command({ appendOplogNote: 1, data, writeConcern: { w: 'majority' } });
  const operationTime: unknown = reply.operationTime;
  if (!(operationTime instanceof Timestamp)) {
    throw new Error('appendOplogNote reply carried no operationTime');
  }
  return toClusterTime(operationTime);
}

export async function setUserWriteBlockMode(client: MongoClient, blocked: boolean): Promise<void> {
  await client.db('admin').command({ setUserWriteBlockMode: 1, global: blocked });
}

/** true when user writes are blocked (serverStatus().repl.userWriteBlockMode is 2). */
export async function userWritesBlocked(client: MongoClient): Promise<boolean> {
  const status = await client.db('admin').command({ serverStatus: 1 });
  return Number((status.repl as Document | undefined)?.userWriteBlockMode) === 2;
}

export interface ServerVersion {
  version: string;
  major: number;
  minor: number;
  patch: number;
}

export async function serverVersion(client: MongoClient): Promise<ServerVersion> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const version = String(info.version);
  const [major, minor, patch] = version.split('.').map((part) => Number.parseInt(part, 10));
  return { version, major: major || 0, minor: minor || 0, patch: patch || 0 };
}

/** Databases other than admin, config and local. */
export async function listNonSystemDatabases(client: MongoClient): Promise<string[]> {
  const reply = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  const databases = (reply.databases as { name: string }[] | undefined) ?? [];
  return databases.map((db) => db.name).filter((name) => !['admin', 'config', 'local'].includes(name));
}
