// Verification throughput of `c2c-sync verify` (verifyClusters: catalog, range planning,
// parallel range comparison) against a raw baseline measured in the same run over the same two
// clusters: two _id-sorted raw cursors read in lockstep, each document hashed (SHA-256) and the
// digests compared. Each is run `rounds` times, alternating, and the best run of each is kept.
// Prints both rates and their ratio; no thresholds are asserted here.
//   npx tsx bench/verify-throughput.ts [documents=30000] [rounds=3]
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Collection, Document } from 'mongodb';
import { verifyClusters } from '../src/verify/verify-clusters';
import { startClusterPair } from '../test/support/cluster-pair';

const documents = Number(process.argv[2] ?? 30_000);
const rounds = Number(process.argv[3] ?? 3);

function kilobyteDocument(n: number): Document {
  return { _id: n, n, payload: 'x'.repeat(960), at: new Date(1_700_000_000_000 + n) };
}

/** The baseline: both sides in _id order, hashed and compared one by one; returns documents compared. */
async function rawHashAndCompare(source: Collection<Document>, destination: Collection<Document>): Promise<number> {
  const options = { raw: true, sort: { _id: 1 }, hint: { _id: 1 }, batchSize: 1000 } as const;
  const left = source.find({}, options);
  const right = destination.find({}, options);
  let compared = 0;
  try {
    for (;;) {
      const [a, b] = await Promise.all([left.next(), right.next()]);
      if (a === null || b === null) {
        if (a !== b) throw new Error('the baseline expects equal collections');
        return compared;
      }
      const x = createHash('sha256').update(a as unknown as Uint8Array).digest();
      const y = createHash('sha256').update(b as unknown as Uint8Array).digest();
      if (!x.equals(y)) throw new Error('the baseline expects equal collections');
      compared++;
    }
  } finally {
    await Promise.all([left.close(), right.close()]);
  }
}

async function main(): Promise<void> {
  const pair = await startClusterPair();
  try {
    for (const label of ['cluster0', 'cluster1'] as const) {
      const coll = pair.admin[label].db('bench').collection<Document>('docs');
      for (let i = 0; i < documents; i += 1000) {
        await coll.insertMany(Array.from({ length: Math.min(1000, documents - i) }, (_, k) => kilobyteDocument(i + k)));
      }
    }
    const source = pair.admin.cluster0.db('bench').collection<Document>('docs');
    const destination = pair.admin.cluster1.db('bench').collection<Document>('docs');
    let rawBest = Infinity;
    let verifyBest = Infinity;
    for (let round = 0; round < rounds; round++) {
      let started = performance.now();
      const compared = await rawHashAndCompare(source, destination);
      rawBest = Math.min(rawBest, (performance.now() - started) / 1000);
      if (compared !== documents) throw new Error(`the baseline compared ${compared} documents`);

      started = performance.now();
      const report = await verifyClusters(pair.admin.cluster0, pair.admin.cluster1, { includeNamespace: () => true, parallelism: 4, maxMismatches: 1000 });
      verifyBest = Math.min(verifyBest, (performance.now() - started) / 1000);
      if (!report.equal || report.totals.sourceDocuments !== documents) throw new Error(`verify found ${JSON.stringify(report.totals)}`);
    }
    const rawRate = documents / rawBest;
    const verifyRate = documents / verifyBest;
    console.log(`documents: ${documents} of ~1 KB on each side, best of ${rounds} runs`);
    console.log(`raw hash-and-compare loop: ${rawRate.toFixed(0)} docs/s (${rawBest.toFixed(2)} s)`);
    console.log(`c2c-sync verify:           ${verifyRate.toFixed(0)} docs/s (${verifyBest.toFixed(2)} s, catalog and range planning included)`);
    console.log(`ratio verify / raw: ${(verifyRate / rawRate).toFixed(2)}`);
  } finally {
    await pair.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
