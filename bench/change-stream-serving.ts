// What serving c2c-sync's change stream costs the source, next to a plain cluster-wide change
// stream over the same events, measured in the same run: N updates are written to a simulated
// replica set (in this process, so that `node --cpu-prof` sees the server's work too), then read
// back to the end by (1) a plain `watch()` on the cluster with no stages and default options,
// and (2) c2c-sync's own reader (src/activities/source-events.ts: its $match, options and
// batching). Prints events/s and CPU microseconds per event of each, and their ratio.
// With BENCH_PROFILE_DIR set, writes a CPU profile of each reading phase there (plain.cpuprofile,
// c2c-sync.cpuprofile), without the writes before them.
//   npx tsx bench/change-stream-serving.ts [events=10000]
import { performance } from 'node:perf_hooks';
import { MongoClient, type Document } from 'mongodb';
import { toClusterTime } from '../src/mongo/cluster-time';
import { SourceEventReader } from '../src/activities/source-events';
import { compileNamespaceFilter } from '../src/sync/namespace-filter';
import { startMongoSim } from '../test/mongo-sim';
import { profiled } from './apply-support';

const events = Number(process.argv[2] ?? 10_000);

interface Reading {
  seconds: number;
  cpuMicros: number;
  count: number;
}

async function measure(name: string, read: () => Promise<number>): Promise<Reading> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const count = await profiled(name, read);
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuMicros: used.user + used.system, count };
}

async function main(): Promise<void> {
  const sim = await startMongoSim({ periodicNoopIntervalMs: 0 });
  const client = new MongoClient(sim.uri);
  try {
    const coll = client.db('bench').collection<{ _id: number } & Document>('docs');
    const documents = Math.min(1000, events);
    await coll.insertMany(Array.from({ length: documents }, (_, n) => ({ _id: n, n, payload: 'x'.repeat(900) })));
    const start = (await client.db('admin').command({ ping: 1 })).operationTime;
    for (let i = 0; i < events; i += 500) {
      const writes = Array.from({ length: Math.min(500, events - i) }, (_, k) => ({
        updateOne: { filter: { _id: (i + k) % documents }, update: { $inc: { n: 1 }, $set: { at: i + k } } },
      }));
      await coll.bulkWrite(writes, { ordered: false });
    }

    const plain = await measure('plain', async () => {
      const stream = client.watch([], { startAtOperationTime: start, batchSize: 1000 });
      let count = 0;
      while (count < events) if (await stream.tryNext()) count++;
      await stream.close();
      return count;
    });
    const engine = await measure('c2c-sync', async () => {
      const filter = compileNamespaceFilter({ includeNamespaces: [], excludeNamespaces: [] });
      const reader = new SourceEventReader(client, filter, { resumeToken: null, startAt: toClusterTime(start) }, { maxEvents: 1000, maxBytes: 16 * 1024 * 1024 });
      await reader.open(() => Promise.reject(new Error('the reader has its start time')));
      let count = 0;
      while (count < events) count += (await reader.next()).events.length;
      await reader.close();
      return count;
    });
    const line = (what: string, r: Reading): string =>
      `${what.padEnd(34)} ${(r.count / r.seconds).toFixed(0).padStart(7)} events/s  ${(r.cpuMicros / r.count).toFixed(0).padStart(5)} µs CPU/event (server and client)`;
    console.log(`events: ${events} updates of ~1 KB documents, simulator in this process`);
    console.log(line('plain cluster-wide stream', plain));
    console.log(line("c2c-sync's stream (reader)", engine));
    console.log(`CPU per event, c2c-sync / plain: ${(engine.cpuMicros / engine.count / (plain.cpuMicros / plain.count)).toFixed(2)}×`);
  } finally {
    await client.close();
    await sim.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
