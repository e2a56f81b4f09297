// Commit with write blocking: from the /commit request to COMMITTED with canWrite, for c2c-sync
// and for a hand-written commit around the raw change-stream applier of bench/apply-support.ts,
// measured in the same run on the same two simulated clusters.
//
// Both start from an applier that is caught up after a burst of writes (size / 30 updates,
// 1,000 for 30,000), with light writes (about 20/s) still going until the source is blocked.
//   - raw: block user writes on the source (setUserWriteBlockMode), take the source's time as
//     the commit point, wait until the applier's stream is past it, unblock the destination.
//   - c2c-sync (enableUserWriteBlocking, production tuning, no embedded verifier): the
//     controller's commit (what POST /commit calls), then /progress polled every 5 ms until
//     state COMMITTED with canWrite true.
// Each is measured `rounds` times (a new sync each time for c2c-sync); prints every time and the
// median.
//   npx tsx bench/commit-time.ts [size=30000] [rounds=3]
import { performance } from 'node:perf_hooks';
import type { MongoClient } from 'mongodb';
import { startClusterPair, type ClusterPair } from '../test/support/cluster-pair';
import { createTemporalTestEnv } from '../test/support/temporal';
import { type BenchDocument, percentile, profiled, RawApplier, seedDocuments, sourceTime, startApplyingSync, whenTrue } from './apply-support';

const size = Number(process.argv[2] ?? 30_000);
const rounds = Number(process.argv[3] ?? 3);
const DOCUMENTS = 1000;
const burst = Math.max(100, Math.floor(size / 30));

async function setBlock(client: MongoClient, blocked: boolean): Promise<void> {
  await client.db('admin').command({ setUserWriteBlockMode: 1, global: blocked });
}

/** Light writes on the app user's client until the source blocks them. */
function lightWrites(pair: ClusterPair): { stop(): Promise<void> } {
  const docs = pair.app.cluster0.db('bench').collection<BenchDocument>('docs');
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      try {
        await docs.updateOne({ _id: n % DOCUMENTS }, { $inc: { v: 1 } });
      } catch {
        return; // blocked
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function writeBurst(source: MongoClient): Promise<void> {
  await source
    .db('bench')
    .collection<BenchDocument>('docs')
    .bulkWrite(
      Array.from({ length: burst }, (_, k) => ({ updateOne: { filter: { _id: k % DOCUMENTS }, update: { $inc: { v: 1 } } } })),
      { ordered: false },
    );
}

async function rawCommit(pair: ClusterPair): Promise<number> {
  const source = pair.admin.cluster0;
  const destination = pair.admin.cluster1;
  await seedDocuments(destination, 'bench', 'docs', DOCUMENTS);
  const raw = new RawApplier(source, destination).start(await sourceTime(source));
  await setBlock(destination, true);
  await writeBurst(source);
  const caughtUp = await sourceTime(source);
  await whenTrue(async () => raw.appliedThrough !== null && raw.appliedThrough.greaterThanOrEqual(caughtUp));
  const writes = lightWrites(pair);
  const started = performance.now();
  await setBlock(source, true);
  const commitPoint = await sourceTime(source);
  await whenTrue(async () => raw.appliedThrough !== null && raw.appliedThrough.greaterThanOrEqual(commitPoint));
  await setBlock(destination, false);
  const took = (performance.now() - started) / 1000;
  await writes.stop();
  await raw.stop();
  await setBlock(source, false);
  await destination.db('bench').dropDatabase();
  return took;
}

async function syncCommit(env: Awaited<ReturnType<typeof createTemporalTestEnv>>, pair: ClusterPair): Promise<number> {
  const harness = await startApplyingSync(env, pair, { enableUserWriteBlocking: true });
  try {
    await writeBurst(pair.admin.cluster0);
    const marker = await sourceTime(pair.admin.cluster0);
    await whenTrue(async () => {
      const state = await harness.controller.state();
      const applied = state?.apply.appliedThrough;
      return applied !== null && applied !== undefined && (applied.t > marker.t || (applied.t === marker.t && applied.i >= marker.i));
    });
    const writes = lightWrites(pair);
    const started = performance.now();
    await harness.controller.commit();
    await whenTrue(async () => {
      const progress = await harness.controller.progress();
      return progress.state === 'COMMITTED' && progress.canWrite === true;
    });
    const took = (performance.now() - started) / 1000;
    await writes.stop();
    return took;
  } finally {
    await harness.close();
    await pair.reset();
    await seedDocuments(pair.admin.cluster0, 'bench', 'docs', DOCUMENTS);
  }
}

async function main(): Promise<void> {
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  try {
    await seedDocuments(pair.admin.cluster0, 'bench', 'docs', DOCUMENTS);
    const rawTimes: number[] = [];
    const syncTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      rawTimes.push(await profiled(`commit-raw-${round}`, () => rawCommit(pair)));
      syncTimes.push(await profiled(`commit-c2c-sync-${round}`, () => syncCommit(env, pair)));
    }
    const line = (what: string, times: number[]): string =>
      `${what.padEnd(30)} median ${percentile(times, 50).toFixed(2)} s  (${times.map((t) => t.toFixed(2)).join(', ')} s)`;
    console.log(`commit after a burst of ${burst} updates, light writes until the source is blocked, ${rounds} rounds`);
    console.log(line('raw: block, drain, unblock', rawTimes));
    console.log(line('c2c-sync: /commit to canWrite', syncTimes));
    console.log(`c2c-sync median ${percentile(syncTimes, 50).toFixed(2)} s (target <= 1.5 s)`);
  } finally {
    await pair.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
