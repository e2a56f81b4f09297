// True end-to-end lag under steady writes: c2c-sync against the raw change-stream applier of
// bench/apply-support.ts, measured in the same run on the same two simulated clusters.
//
// A writer updates documents at a steady rate (default 1,000 writes/s, in 10 ms ticks) for a
// duration set by the size argument (size / 3,000 seconds, at least 5: 10 s for 30,000), and
// alongside, every 100 ms, inserts a marker document. A change stream on the
// destination's marker collection notes when each marker arrives; the lag of a marker is its
// arrival time minus the time its insert was acknowledged on the source. Markers sent in the first
// second are left out (the applier settling in). Prints p50, p99 and max of both appliers.
//   npx tsx bench/apply-lag.ts [size=30000] [writesPerSecond=1000]
import { performance } from 'node:perf_hooks';
import type { MongoClient } from 'mongodb';
import { startClusterPair } from '../test/support/cluster-pair';
import { createTemporalTestEnv } from '../test/support/temporal';
import { type BenchDocument, percentile, profiled, RawApplier, seedDocuments, sourceTime, startApplyingSync } from './apply-support';

const size = Number(process.argv[2] ?? 30_000);
const rate = Number(process.argv[3] ?? 1000);
const seconds = Math.max(5, size / 3000);
const DOCUMENTS = 1000;
const TICK_MS = 10;
const MARKER_EVERY_MS = 100;
const SETTLE_MS = 1000;

interface Lags {
  lags: number[];
  writesPerSecond: number;
}

async function measureLag(source: MongoClient, destination: MongoClient, run: string): Promise<Lags> {
  const markersOut = destination.db('bench').collection<{ _id: number; run: string }>('markers');
  const arrived = new Map<number, number>();
  const watch = markersOut.watch([{ $match: { operationType: 'insert', 'fullDocument.run': run } }], { maxAwaitTimeMS: 50 });
  await watch.tryNext(); // the stream is open before the first marker
  const watching = (async () => {
    for (;;) {
      const event = await watch.tryNext().catch(() => null);
      if (watch.closed) return;
      if (event && event.operationType === 'insert') arrived.set(event.documentKey._id as number, performance.now());
    }
  })();

  const docs = source.db('bench').collection<BenchDocument>('docs');
  const markersIn = source.db('bench').collection<{ _id: number; run: string }>('markers');
  const acknowledged = new Map<number, number>();
  const started = performance.now();
  const running = (): boolean => performance.now() - started < seconds * 1000;
  let writes = 0;
  const writer = (async () => {
    const inFlight: Promise<unknown>[] = [];
    while (running()) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate) - writes;
      if (due > 0) {
        const ids = Array.from({ length: due }, (_, k) => (writes + k) % DOCUMENTS);
        writes += due;
        inFlight.push(docs.bulkWrite(ids.map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { v: 1 } } } })), { ordered: false }));
      }
      // a slow source shows as a lower rate reached, not as a pile of requests
      while (inFlight.length > 2) await inFlight.shift();
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await Promise.all(inFlight);
  })();
  let marker = 0;
  const markers = (async () => {
    while (running()) {
      const id = marker++;
      const sentAt = performance.now();
      await markersIn.insertOne({ _id: id, run });
      if (sentAt - started >= SETTLE_MS) acknowledged.set(id, performance.now());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, MARKER_EVERY_MS - (performance.now() - sentAt))));
    }
  })();
  await Promise.all([writer, markers]);
  const elapsed = (performance.now() - started) / 1000;
  const deadline = Date.now() + 120_000;
  while (arrived.size < marker && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await watch.close();
  await watching;
  const lags: number[] = [];
  for (const [id, at] of acknowledged) {
    const seen = arrived.get(id);
    lags.push(seen === undefined ? Infinity : Math.max(0, seen - at));
  }
  return { lags, writesPerSecond: writes / elapsed };
}

async function main(): Promise<void> {
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  try {
    const source = pair.admin.cluster0;
    const destination = pair.admin.cluster1;
    await seedDocuments(source, 'bench', 'docs', DOCUMENTS);

    await seedDocuments(destination, 'bench', 'docs', DOCUMENTS);
    const raw = new RawApplier(source, destination).start(await sourceTime(source));
    const rawLags = await profiled('lag-raw', () => measureLag(source, destination, 'raw'));
    await raw.stop();
    await destination.db('bench').dropDatabase();
    await source.db('bench').collection('markers').drop();

    const harness = await startApplyingSync(env, pair);
    const syncLags = await profiled('lag-c2c-sync', () => measureLag(source, destination, 'c2c-sync'));
    await harness.close();

    const line = (what: string, r: Lags): string => {
      const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');
      return `${what.padEnd(26)} p50 ${s(percentile(r.lags, 50))}  p99 ${s(percentile(r.lags, 99))}  max ${s(Math.max(...r.lags))}  (${r.lags.length} markers, ${r.writesPerSecond.toFixed(0)} writes/s reached)`;
    };
    console.log(`steady updates at ${rate}/s for ${seconds} s, a marker every ${MARKER_EVERY_MS} ms; lag = marker seen on the destination - its insert acknowledged on the source`);
    console.log(line('raw change-stream applier', rawLags));
    console.log(line('c2c-sync', syncLags));
    console.log(`c2c-sync p99 ${(percentile(syncLags.lags, 99) / 1000).toFixed(2)} s (target <= 1.5 s)`);
  } finally {
    await pair.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
