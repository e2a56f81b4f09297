// `c2c-sync worker` as its own process, exactly as an operator adds a worker, so that a test can
// kill it with SIGKILL in the middle of an activity.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ClusterLabel } from '../../src/sync/vocabulary';
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
