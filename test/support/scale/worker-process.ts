// The sync's worker as its own process (`c2c-sync worker`, exactly as an operator adds one), so
// that its memory is its own: VmRSS is sampled from /proc/<pid>/status while it runs, and VmHWM
// (the kernel's peak of the resident set) is read before it stops.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLabel } from '../../../src/sync/vocabulary';

const root = join(__dirname, '..', '..', '..');

export interface MemoryReading {
  rssBytes: number;
  /** peak resident set since the process started */
  hwmBytes: number;
}

/** VmRSS and VmHWM of a live process, or null when /proc has no such process. */
export function readProcessMemory(pid: number): MemoryReading | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

export interface WorkerProcess {
  pid: number;
  logFile: string;
  /** resident set once the worker reported it was running (after bundling the workflow code) */
  readyMemory: MemoryReading;
  /** the largest VmRSS sampled since ready, and the last VmHWM read */
  memory(): { peakSampledRssBytes: number; hwmBytes: number; lastRssBytes: number };
  /** how the process ended when it ended before stop(), else null: a crash is never taken for a stall */
  unexpectedExit(): string | null;
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  temporalAddress: string;
  taskQueue: string;
  uris: Record<ClusterLabel, string>;
  maxConcurrentActivities: number;
  logFile: string;
  sampleIntervalMs?: number;
  readyTimeoutMs?: number;
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'c2c-sync.js'),
      'worker',
      '--temporal-address',
      options.temporalAddress,
      '--task-queue',
      options.taskQueue,
      '--max-concurrent-activities',
      String(options.maxConcurrentActivities),
    ],
    {
      cwd: root,
      // From the TypeScript sources, so that the run measures this checkout and not a stale dist/.
      env: { ...process.env, C2C_SYNC_FROM_SOURCE: '1', C2C_CLUSTER0: options.uris.cluster0, C2C_CLUSTER1: options.uris.cluster1 },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(options.logFile);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let stopping = false;
  let unexpectedExit: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) unexpectedExit = `the worker process exited (${code ?? signal}); see ${options.logFile}`;
      resolve();
    }),
  );

  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the worker did not report running within ${options.readyTimeoutMs ?? 180_000} ms; see ${options.logFile}`)), options.readyTimeoutMs ?? 180_000);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-2000);
      if (seen.includes('worker is running')) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code ?? signal}) before it was running; see ${options.logFile}`));
    });
  });

  const pid = child.pid!;
  const readyMemory = readProcessMemory(pid) ?? { rssBytes: 0, hwmBytes: 0 };
  let peakSampledRssBytes = readyMemory.rssBytes;
  let hwmBytes = readyMemory.hwmBytes;
  let lastRssBytes = readyMemory.rssBytes;
  const sample = (): void => {
    const reading = readProcessMemory(pid);
    if (!reading) return;
    lastRssBytes = reading.rssBytes;
    peakSampledRssBytes = Math.max(peakSampledRssBytes, reading.rssBytes);
    hwmBytes = Math.max(hwmBytes, reading.hwmBytes);
  };
  const sampler = setInterval(sample, options.sampleIntervalMs ?? 500);
  sampler.unref();

  return {
    pid,
    logFile: options.logFile,
    readyMemory,
    memory() {
      sample();
      return { peakSampledRssBytes, hwmBytes, lastRssBytes };
    },
    unexpectedExit: () => unexpectedExit,
    async stop() {
      sample();
      clearInterval(sampler);
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
      log.end();
    },
  };
}
