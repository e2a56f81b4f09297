// Verification throughput of `c2c-sync verify` (verifyClusters: catalog, range planning,
// parallel range comparison) and of the embedded verifier's first pass (verifyWorkUnit, run as the
// workflow runs it: the collection in 4 work units, 2 spans at once, production batch size and call
// length) against a raw baseline measured in the same run over the same two clusters: two
// _id-sorted raw cursors read in lockstep, each document hashed (SHA-256) and the digests
// compared. Each is run `rounds` times, alternating, and the best run of each is kept. Prints the
// rates and their ratios; no thresholds are asserted here.
//   npx tsx bench/verify-throughput.ts [documents=30000] [rounds=3]
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Collection, Document } from 'mongodb';
import { beginVerification, verifyWorkUnit, type VerifyWorkUnitInput, type VerifyWorkUnitResult } from '../src/activities/verify';
import { type ClusterClients, createClusterClients } from '../src/mongo/cluster-clients';
import { C2C_METADATA_DB } from '../src/sync/namespace-names';
import { DEFAULT_TUNING } from '../src/sync/state';
import { verifyClusters } from '../src/verify/verify-clusters';
import { startClusterPair } from '../test/support/cluster-pair';

const UNITS = 4;
const SPANS = 2;

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

/** The embedded first pass over the copy plan's UNITS units, SPANS spans at once, call after call; returns source documents compared. */
async function embeddedPass(clusters: ClusterClients, round: number): Promise<number> {
  await new MockActivityEnvironment().run(beginVerification, clusters, { destination: 'cluster1' as const, runKey: `bench-${round}` });
  const span = async (unit: number, units: number): Promise<number> => {
    let resume: VerifyWorkUnitInput['resume'] = null;
    for (;;) {
      const input: VerifyWorkUnitInput = {
        source: 'cluster0',
        destination: 'cluster1',
        unit,
        units,
        resume,
        maxDurationMs: DEFAULT_TUNING.verifyChunkMaxMs,
        batchSize: DEFAULT_TUNING.verifyBatchSize,
        syncId: 'bench',
      };
      const result = (await new MockActivityEnvironment().run(verifyWorkUnit, clusters, input)) as VerifyWorkUnitResult;
      if (result.candidates > 0) throw new Error('the embedded pass found differences in equal collections');
      if (result.done) return result.sourceDocuments;
      resume = result.resume;
    }
  };
  const per = UNITS / SPANS;
  const counts = await Promise.all(Array.from({ length: SPANS }, (_, i) => span(i * per, per)));
  return counts.reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
  const pair = await startClusterPair();
  const clusters = createClusterClients(pair.uris);
  try {
    for (const label of ['cluster0', 'cluster1'] as const) {
      const coll = pair.admin[label].db('bench').collection<Document>('docs');
      for (let i = 0; i < documents; i += 1000) {
        await coll.insertMany(Array.from({ length: Math.min(1000, documents - i) }, (_, k) => kilobyteDocument(i + k)));
      }
    }
    // The copy plan the embedded pass walks: the collection in UNITS equal _id ranges, one per unit.
    const bound = (k: number) => `{"$numberInt":"${Math.round((k * documents) / UNITS)}"}`;
    await pair.admin.cluster1
      .db(C2C_METADATA_DB)
      .collection<Document>('copyUnits')
      .insertMany(
        Array.from({ length: UNITS }, (_, k) => ({
          _id: k as never,
          partitions: [{ db: 'bench', coll: 'docs', min: k === 0 ? null : bound(k), max: k === UNITS - 1 ? null : bound(k + 1) }],
          estimatedBytes: 0,
        })),
      );
    const source = pair.admin.cluster0.db('bench').collection<Document>('docs');
    const destination = pair.admin.cluster1.db('bench').collection<Document>('docs');
    let rawBest = Infinity;
    let verifyBest = Infinity;
    let embeddedBest = Infinity;
    for (let round = 0; round < rounds; round++) {
      let started = performance.now();
      const compared = await rawHashAndCompare(source, destination);
      rawBest = Math.min(rawBest, (performance.now() - started) / 1000);
      if (compared !== documents) throw new Error(`the baseline compared ${compared} documents`);

      started = performance.now();
      const report = await verifyClusters(pair.admin.cluster0, pair.admin.cluster1, { includeNamespace: () => true, parallelism: 4, maxMismatches: 1000 });
      verifyBest = Math.min(verifyBest, (performance.now() - started) / 1000);
      if (!report.equal || report.totals.sourceDocuments !== documents) throw new Error(`verify found ${JSON.stringify(report.totals)}`);

      started = performance.now();
      const embedded = await embeddedPass(clusters, round);
      embeddedBest = Math.min(embeddedBest, (performance.now() - started) / 1000);
      if (embedded !== documents) throw new Error(`the embedded pass compared ${embedded} documents`);
    }
    const rawRate = documents / rawBest;
    const verifyRate = documents / verifyBest;
    const embeddedRate = documents / embeddedBest;
    console.log(`documents: ${documents} of ~1 KB on each side, best of ${rounds} runs`);
    console.log(`raw hash-and-compare loop: ${rawRate.toFixed(0)} docs/s (${rawBest.toFixed(2)} s)`);
    console.log(`c2c-sync verify:           ${verifyRate.toFixed(0)} docs/s (${verifyBest.toFixed(2)} s, catalog and range planning included)`);
    console.log(`embedded first pass:       ${embeddedRate.toFixed(0)} docs/s (${embeddedBest.toFixed(2)} s, ${UNITS} work units, ${SPANS} spans at once)`);
    console.log(`ratio verify / raw: ${(verifyRate / rawRate).toFixed(2)}`);
    console.log(`ratio embedded / raw: ${(embeddedRate / rawRate).toFixed(2)}; embedded / verify: ${(embeddedRate / verifyRate).toFixed(2)}`);
  } finally {
    await clusters.close();
    await pair.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
