// The two replica sets of a scale run: real ones from TEST_CLUSTER0_URI/TEST_CLUSTER1_URI, or two
// simulators, each in its own process so that neither competes with the harness (seeding,
// writer, sampling) for one event loop, and their memory stays out of the harness's.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { ClusterLabel } from '../../../src/sync/vocabulary';

const root = join(__dirname, '..', '..', '..');
const SYNC_USER = { user: 'c2c', password: 'scale-secret-1' };
const SYSTEM_DATABASES = new Set(['admin', 'config', 'local']);

export interface ScaleClusters {
  /** connection strings with credentials, as c2c-sync is given them */
  uris: Record<ClusterLabel, string>;
  admin: Record<ClusterLabel, MongoClient>;
  simulated: boolean;
  /** simulator process ids (for their memory), empty for real clusters */
  pids: Partial<Record<ClusterLabel, number>>;
  close(): Promise<void>;
}

function withCredentials(uri: string): string {
  const url = new URL(uri);
  url.username = encodeURIComponent(SYNC_USER.user);
  url.password = encodeURIComponent(SYNC_USER.password);
  url.searchParams.set('authSource', 'admin');
  return url.toString();
}

/** Starts `mongo-sim` as a process and resolves with its connection string once it listens. */
function startSimProcess(oplogSizeMB: number | undefined): Promise<{ child: ChildProcess; uri: string }> {
  const args = ['--import', 'tsx', join(root, 'test', 'mongo-sim', 'cli.ts'), '--auth', '--user', `${SYNC_USER.user}:${SYNC_USER.password}`];
  args.push('--periodicNoopIntervalMs', '1000');
  if (oplogSizeMB !== undefined) args.push('--oplogSizeMB', String(oplogSizeMB));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('mongodb://'));
      if (line) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ child, uri: line.trim() });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mongo-sim exited with ${code} before listening: ${stderr}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Drops every user database and lifts user write blocking (real clusters are disposable). */
async function reset(client: MongoClient): Promise<void> {
  await client.db('admin').command({ setUserWriteBlockMode: 1, global: false });
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  for (const { name } of databases as { name: string }[]) {
    if (!SYSTEM_DATABASES.has(name)) await client.db(name).dropDatabase();
  }
}

export async function startScaleClusters(options: { sourceOplogMB?: number }): Promise<ScaleClusters> {
  const real0 = process.env.TEST_CLUSTER0_URI;
  const real1 = process.env.TEST_CLUSTER1_URI;
  const children: ChildProcess[] = [];
  let uris: Record<ClusterLabel, string>;
  const pids: Partial<Record<ClusterLabel, number>> = {};
  if (real0 && real1) {
    if (options.sourceOplogMB !== undefined) {
      throw new Error('--source-oplog-mb applies to simulated clusters only; size a real oplog with replSetResizeOplog');
    }
    uris = { cluster0: real0, cluster1: real1 };
  } else {
    try {
      const source = await startSimProcess(options.sourceOplogMB);
      children.push(source.child);
      const destination = await startSimProcess(undefined);
      children.push(destination.child);
      pids.cluster0 = source.child.pid;
      pids.cluster1 = destination.child.pid;
      uris = { cluster0: withCredentials(source.uri), cluster1: withCredentials(destination.uri) };
    } catch (error) {
      await Promise.all(children.map(stopProcess));
      throw error;
    }
  }
  const admin = { cluster0: new MongoClient(uris.cluster0), cluster1: new MongoClient(uris.cluster1) };
  await reset(admin.cluster0);
  await reset(admin.cluster1);
  return {
    uris,
    admin,
    simulated: !(real0 && real1),
    pids,
    async close() {
      await Promise.all(Object.values(admin).map((client) => client.close()));
      await Promise.all(children.map(stopProcess));
    },
  };
}
