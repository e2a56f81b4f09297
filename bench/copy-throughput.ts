// Copy throughput of c2c-sync against a raw baseline measured in the same run: the same
// documents copied between the same two clusters by a plain driver loop (find sorted by _id,
// insertMany unordered). Prints both rates and their ratio; no thresholds are asserted here.
//   npx tsx bench/copy-throughput.ts [documents=30000]
import { performance } from 'node:perf_hooks';
import type { Document } from 'mongodb';
import { startClusterPair } from '../test/support/cluster-pair';
import { startSyncHarness, waitForProgress } from '../test/support/sync-harness';
import { createTemporalTestEnv } from '../test/support/temporal';

const documents = Number(process.argv[2] ?? 30_000);

function kilobyteDocument(n: number): Document {
  return { _id: n, n, payload: 'x'.repeat(960), at: new Date(1_700_000_000_000 + n) };
}

async function main(): Promise<void> {
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  try {
    const source = pair.admin.cluster0.db('bench').collection('docs');
    for (let i = 0; i < documents; i += 1000) {
      await source.insertMany(Array.from({ length: Math.min(1000, documents - i) }, (_, k) => kilobyteDocument(i + k)));
    }

    const rawTarget = pair.admin.cluster1.db('raw').collection('docs');
    let started = performance.now();
    let batch: Document[] = [];
    for await (const doc of source.find({}, { sort: { _id: 1 }, batchSize: 1000 })) {
      batch.push(doc);
      if (batch.length === 1000) {
        await rawTarget.insertMany(batch, { ordered: false });
        batch = [];
      }
    }
    if (batch.length) await rawTarget.insertMany(batch, { ordered: false });
    const rawSeconds = (performance.now() - started) / 1000;
    await pair.admin.cluster1.db('raw').dropDatabase();

    const harness = await startSyncHarness(env, pair, {
      tuning: { partitionTargetBytes: 4 * 1024 * 1024, copyBatchSize: 1000, copyChunkMaxMs: 5000, copyConcurrency: 4 },
    });
    started = performance.now();
    await harness.controller.start({ source: 'cluster0', destination: 'cluster1' });
    await waitForProgress(harness.controller, (p) => p.info === 'change event application', 600_000);
    const syncSeconds = (performance.now() - started) / 1000;
    await harness.close();

    const rawRate = documents / rawSeconds;
    const syncRate = documents / syncSeconds;
    console.log(`documents: ${documents} of ~1 KB`);
    console.log(`raw driver copy:  ${rawRate.toFixed(0)} docs/s (${rawSeconds.toFixed(2)} s)`);
    console.log(`c2c-sync copy:    ${syncRate.toFixed(0)} docs/s (${syncSeconds.toFixed(2)} s, start to end of copy, incl. preflight and catalog)`);
    console.log(`ratio c2c-sync / raw: ${(syncRate / rawRate).toFixed(2)}`);
  } finally {
    await pair.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
