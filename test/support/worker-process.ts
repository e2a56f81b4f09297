// `c2c-sync worker` as its own process, exactly as an operator adds a worker, so that a test can
// kill it with SIGKILL in the middle of an activity.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ClusterLabel } from '../../src/sync/vocabulary';
import { type ServerAndClusters, useServerAndClusters } from './shared-clusters';
import { prebuiltBundleEnv } from './workflow-bundle-cache';

const root = join(__dirname, '..', '..');

export async function startWorkerProcess(temporalAddress: string, taskQueue: string, uris: Record<ClusterLabel, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'c2c-sync.js'), 'worker', '--temporal-address', temporalAddress, '--task-queue', taskQueue], {
    cwd: root,
    env: { ...process.env, C2C_SYNC_FROM_SOURCE: '1', C2C_CLUSTER0: uris.cluster0, C2C_CLUSTER1: uris.cluster1, ...(await prebuiltBundleEnv()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(`worker exited with ${code}: ${output}`);
  });
  return child;
}

/** SIGKILL: the worker gets no chance to finish or report anything. */
export function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export interface WorkerProcessFixture extends ServerAndClusters {
  /** starts `c2c-sync worker` on `taskQueue`; every worker still running is killed after the file */
  worker(taskQueue: string): Promise<ChildProcess>;
}

/**
 * Registers the hooks of a test file whose syncs run in `c2c-sync worker` processes (to kill
 * them with SIGKILL): one Temporal server and one pair of clusters for the file, the clusters
 * emptied before each test, and every worker the file started killed at its end.
 */
export function useWorkerProcesses(): WorkerProcessFixture {
  const workers: ChildProcess[] = [];
  const shared = useServerAndClusters(async () => {
    for (const child of workers.splice(0)) await killWorker(child);
  });
  return {
    get env() {
      return shared.env;
    },
    get pair() {
      return shared.pair;
    },
    async worker(taskQueue) {
      const child = await startWorkerProcess(shared.env.address, taskQueue, shared.pair.uris);
      workers.push(child);
      return child;
    },
  };
}
