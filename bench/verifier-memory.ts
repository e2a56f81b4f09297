// The embedded verifier's memory: the peak resident set (VmHWM in /proc/<pid>/status) of a
// `c2c-sync worker` process that runs a whole sync of N documents (copy, change event
// application with updates on the source, commit), once with the verifier off and once with it
// on (first pass, destination follower, commit check), on the same two simulated clusters (they
// run in this process, so their memory is not counted). Production tuning. Linux only.
//   npx tsx bench/verifier-memory.ts [documents=100000] [updates=5000]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { SyncController } from '../src/client/sync-controller';
import { DEFAULT_TUNING } from '../src/sync/state';
import { startClusterPair, type ClusterPair } from '../test/support/cluster-pair';
import { waitForProgress } from '../test/support/sync-harness';
import { createTemporalTestEnv, uniqueTaskQueue } from '../test/support/temporal';
import { killWorker, startWorkerProcess } from '../test/support/worker-process';
import { seedDocuments } from './apply-support';

const documents = Number(process.argv[2] ?? 100_000);
const updates = Number(process.argv[3] ?? 5_000);

function memoryOf(pid: number): { peakMiB: number; nowMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMiB: kib('VmHWM') / 1024, nowMiB: kib('VmRSS') / 1024 };
}

async function dropDestination(pair: ClusterPair): Promise<void> {
  const destination = pair.admin.cluster1;
  await destination.db('admin').command({ setUserWriteBlockMode: 1, global: false });
  const { databases } = await destination.db('admin').command({ listDatabases: 1, nameOnly: true });
  for (const { name } of databases as { name: string }[]) if (!['admin', 'config', 'local'].includes(name)) await destination.db(name).dropDatabase();
}

async function run(env: Awaited<ReturnType<typeof createTemporalTestEnv>>, pair: ClusterPair, verify: boolean) {
  await dropDestination(pair);
  const taskQueue = uniqueTaskQueue(verify ? 'mem-verify' : 'mem-plain');
  const worker: ChildProcess = await startWorkerProcess(env.address, taskQueue, pair.uris);
  const controller = new SyncController({ client: env.client, syncId: taskQueue, taskQueue, tuning: { ...DEFAULT_TUNING } });
  try {
    const started = performance.now();
    await controller.start({ source: 'cluster0', destination: 'cluster1', verification: { enabled: verify } });
    const ready = await waitForProgress(controller, (p) => p.canCommit === true, 1_800_000);
    const readyAt = performance.now();
    // Change event application with writes: the applier, and with the verifier its follower, work.
    const docs = pair.admin.cluster0.db('bench').collection<{ _id: number }>('docs');
    for (let done = 0; done < updates; done += 500) {
      await docs.bulkWrite(
        Array.from({ length: Math.min(500, updates - done) }, (_, k) => ({
          updateOne: { filter: { _id: (done + k) * 7 % documents }, update: { $inc: { v: 1 } } },
        })),
        { ordered: false },
      );
    }
    await waitForProgress(controller, (p) => p.canCommit === true && (p.lagTimeSeconds ?? 0) <= 1, 600_000);
    await controller.commit();
    const committed = await waitForProgress(controller, (p) => p.state === 'COMMITTED' || p.state === 'FAILED', 1_800_000);
    if (committed.state !== 'COMMITTED') throw new Error(`the sync ended ${committed.state}: ${committed.errorDescription}`);
    const memory = memoryOf(worker.pid!);
    await env.client.workflow.getHandle(controller.workflowId).terminate('benchmark done').catch(() => undefined);
    return {
      ...memory,
      toCanCommitSeconds: (readyAt - started) / 1000,
      totalSeconds: (performance.now() - started) / 1000,
      hashed: ready.verification?.source.hashedDocumentCount ?? 0,
    };
  } finally {
    await killWorker(worker);
  }
}

async function main(): Promise<void> {
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  try {
    await seedDocuments(pair.admin.cluster0, 'bench', 'docs', documents);
    const line = (what: string, r: Awaited<ReturnType<typeof run>>): string =>
      `${what.padEnd(14)} worker peak RSS (VmHWM) ${r.peakMiB.toFixed(0).padStart(5)} MiB, RSS at commit ${r.nowMiB.toFixed(0).padStart(5)} MiB; ` +
      `start to canCommit ${r.toCanCommitSeconds.toFixed(1)} s, whole sync ${r.totalSeconds.toFixed(1)} s; documents hashed ${r.hashed}`;
    const off = await run(env, pair, false);
    console.log(line('verifier off', off));
    const on = await run(env, pair, true);
    console.log(line('verifier on', on));
    console.log(`documents: ${documents} of ~300 bytes, ${updates} updates during change event application; verifier costs ${(on.peakMiB - off.peakMiB).toFixed(0)} MiB of peak RSS`);
  } finally {
    await pair.close();
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
