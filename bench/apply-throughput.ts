// Change-event application of c2c-sync against the raw change-stream applier of
// bench/apply-support.ts, measured in the same run on the same two simulated clusters.
//
// Workload, for size N (default 30000): N/3 documents of ~300 bytes are on both clusters; then
// N updates ($inc and $set on the seeded documents), N/3 inserts of new documents and N/6
// deletes of newly inserted ones are written as fast as one client can (chunks of 200 inserts,
// 600 updates and 100 deletes), then one marker document. The figure is the time from the first
// write until the marker is on the destination (every event before it is applied then), and
// the drain: the part of it after the last write was acknowledged.
//   - raw: the raw applier tails the source from before the first write into `bench.docs` copied
//     to the destination by hand; then that database is dropped on the destination.
//   - c2c-sync: a sync (production tuning) copies the source, and once it applies change events
//     the same workload (new _ids) is written. Twice: with the embedded verifier on (the default
//     of a start request: the applier then records every written _id for the commit check) and
//     with `verification: {enabled: false}`; the destination is emptied in between.
// Prints each, the ratio of application rates c2c-sync / raw (issue 14 target: >= 0.8; the
// default's is the figure that counts) and the verifier's cost to apply throughput (issue 13).
// Also the process's CPU time per event of each: the whole bench runs in one process, so on a
// machine shared with other work this ratio is the steadier one (it leaves out the Temporal
// server, a separate process).
//   npx tsx bench/apply-throughput.ts [size=30000] [on|off]
// A second argument runs only that verifier mode (with the raw applier); both by default.
// Besides the rates it prints the CPU per event (the process's, and its main thread's, where the
// simulated clusters, the appliers and the writer run: the work the rates are made of) and each
// cluster's requests and bytes per event, which do not depend on the machine's load.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Collection, Document, MongoClient } from 'mongodb';
import { startClusterPair } from '../test/support/cluster-pair';
import { createTemporalTestEnv } from '../test/support/temporal';
import { benchDocument, type BenchDocument, dropAllDatabases, profiled, RawApplier, seedDocuments, sourceTime, startApplyingSync, whenTrue } from './apply-support';

/**
 * CPU time (user + system, ms) of this process's main thread, where the simulated clusters, the
 * appliers and the writer all run; null where /proc is not there (Linux only).
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

const size = Number(process.argv[2] ?? 30_000);
const seeded = Math.max(1, Math.floor(size / 3));
const onlyMode = process.argv[3];
if (onlyMode !== undefined && onlyMode !== 'on' && onlyMode !== 'off') throw new Error(`usage: apply-throughput.ts [size] [on|off], not '${onlyMode}'`);

interface Timing {
  /** first write to the marker on the destination */
  totalSeconds: number;
  /** last write acknowledged to the marker on the destination */
  drainSeconds: number;
  writeSeconds: number;
  /**
   * CPU time of this process (simulated clusters, worker, writer: user + system) from the first
   * write to the marker on the destination: on a shared machine far steadier than the elapsed
   * time, which other processes stretch.
   */
  cpuSeconds: number;
  /** the part of cpuSeconds spent on the main thread (null off Linux) */
  mainCpuSeconds: number | null;
}

/** Writes the workload, inserting from `firstNewId`; returns when its last write was acknowledged. */
async function writeWorkload(docs: Collection<BenchDocument>, firstNewId: number): Promise<{ started: number; ended: number; events: number }> {
  const started = performance.now();
  let updates = 0;
  let inserted = 0;
  let deleted = 0;
  let events = 0;
  while (updates < size) {
    const inserts = Array.from({ length: Math.min(200, Math.ceil(size / 3) - inserted) }, (_, k) => benchDocument(firstNewId + inserted + k));
    if (inserts.length > 0) await docs.insertMany(inserts, { ordered: false });
    const updateCount = Math.min(600, size - updates);
    await docs.bulkWrite(
      Array.from({ length: updateCount }, (_, k) => ({
        updateOne: { filter: { _id: (updates + k) % seeded }, update: { $inc: { v: 1 }, $set: { at: new Date() } } },
      })),
      { ordered: false },
    );
    // the even offsets among the documents inserted so far
    const deleteCount = Math.min(100, Math.floor(size / 6) - deleted, Math.ceil((inserted + inserts.length) / 2) - deleted);
    if (deleteCount > 0) {
      await docs.deleteMany({ _id: { $in: Array.from({ length: deleteCount }, (_, k) => firstNewId + (deleted + k) * 2) } });
    }
    inserted += inserts.length;
    updates += updateCount;
    deleted += Math.max(0, deleteCount);
    events += inserts.length + updateCount + Math.max(0, deleteCount);
  }
  return { started, ended: performance.now(), events };
}

interface Traffic {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  getmore: number;
  command: number;
}

/** What a cluster's serverStatus counted so far: requests, bytes and operations received. */
async function traffic(client: MongoClient): Promise<Traffic> {
  const status = await client.db('admin').command({ serverStatus: 1 });
  const n = (value: unknown): number => Number(value ?? 0);
  return {
    requests: n(status.network?.numRequests),
    bytesIn: n(status.network?.bytesIn),
    bytesOut: n(status.network?.bytesOut),
    getmore: n(status.opcounters?.getmore),
    command: n(status.opcounters?.command),
  };
}

function trafficSince(before: Traffic, after: Traffic): Traffic {
  return {
    requests: after.requests - before.requests,
    bytesIn: after.bytesIn - before.bytesIn,
    bytesOut: after.bytesOut - before.bytesOut,
    getmore: after.getmore - before.getmore,
    command: after.command - before.command,
  };
}

async function timeWorkload(source: MongoClient, destination: MongoClient, firstNewId: number): Promise<Timing & { events: number; traffic: { source: Traffic; destination: Traffic } }> {
  const docs = source.db('bench').collection<BenchDocument>('docs');
  const trafficAtStart = { source: await traffic(source), destination: await traffic(destination) };
  const cpuAtStart = process.cpuUsage();
  const mainCpuAtStart = mainThreadCpuMs();
  const written = await writeWorkload(docs, firstNewId);
  const marker = `end-${firstNewId}`;
  await source.db('bench').collection<{ _id: string }>('markers').insertOne({ _id: marker });
  const markers = destination.db('bench').collection<{ _id: string }>('markers');
  const seen = await whenTrue(async () => (await markers.findOne({ _id: marker })) !== null);
  const cpu = process.cpuUsage(cpuAtStart);
  const mainCpuAtEnd = mainThreadCpuMs();
  const trafficAtEnd = { source: await traffic(source), destination: await traffic(destination) };
  return {
    traffic: {
      source: trafficSince(trafficAtStart.source, trafficAtEnd.source),
      destination: trafficSince(trafficAtStart.destination, trafficAtEnd.destination),
    },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainCpuSeconds: mainCpuAtStart === null || mainCpuAtEnd === null ? null : (mainCpuAtEnd - mainCpuAtStart) / 1000,
    totalSeconds: (seen - written.started) / 1000,
    drainSeconds: (seen - written.ended) / 1000,
    writeSeconds: (written.ended - written.started) / 1000,
    events: written.events,
  };
}

async function main(): Promise<void> {
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  try {
    const source = pair.admin.cluster0;
    const destination = pair.admin.cluster1;
    await seedDocuments(source, 'bench', 'docs', seeded);

    await seedDocuments(destination, 'bench', 'docs', seeded);
    const raw = new RawApplier(source, destination).start(await sourceTime(source));
    const rawTiming = await profiled('apply-raw', () => timeWorkload(source, destination, 1_000_000));
    await raw.stop();
    await destination.db('bench').dropDatabase();

    const timeSync = async (name: string, body: Document, firstNewId: number): ReturnType<typeof timeWorkload> => {
      await dropAllDatabases(destination);
      const harness = await startApplyingSync(env, pair, body);
      try {
        return await profiled(name, () => timeWorkload(source, destination, firstNewId));
      } finally {
        await harness.close();
      }
    };
    const verifying = onlyMode === 'off' ? null : await timeSync('apply-c2c-sync', { verification: { enabled: true } }, 2_000_000);
    const unverified = onlyMode === 'on' ? null : await timeSync('apply-c2c-sync-no-verifier', { verification: { enabled: false } }, 3_000_000);

    const rate = (t: Timing & { events: number }): number => t.events / t.totalSeconds;
    const line = (what: string, t: Timing & { events: number }): string =>
      `${what.padEnd(30)} ${rate(t).toFixed(0).padStart(6)} events/s  (first write to applied ${t.totalSeconds.toFixed(2)} s; ` +
      `writes took ${t.writeSeconds.toFixed(2)} s, drain after the last write ${t.drainSeconds.toFixed(2)} s; ` +
      `${((1e6 * t.cpuSeconds) / t.events).toFixed(0)} µs of CPU per event` +
      (t.mainCpuSeconds === null ? ')' : `, ${((1e6 * t.mainCpuSeconds) / t.events).toFixed(0)} µs of it on the main thread)`);
    const cpu = (t: Timing & { events: number }): number => t.cpuSeconds / t.events;
    const mainCpu = (t: Timing & { events: number }): string =>
      t.mainCpuSeconds !== null && rawTiming.mainCpuSeconds !== null
        ? `, main thread ${(rawTiming.mainCpuSeconds / rawTiming.events / (t.mainCpuSeconds / t.events)).toFixed(2)}`
        : '';
    // Requests and bytes the clusters received and sent (the writer's share is the same in each
    // run): unlike the times, these do not depend on the machine's load.
    const trafficLine = (what: string, t: Awaited<ReturnType<typeof timeWorkload>>): string => {
      const per = (value: number, events = 1): string => ((value * events) / t.events).toFixed(0);
      const side = (name: string, c: Traffic): string =>
        `${name} ${per(c.requests, 1000)} requests (${per(c.getmore, 1000)} getMore, ${per(c.command, 1000)} other commands) ` +
        `per 1000 events, ${per(c.bytesIn)} B in and ${per(c.bytesOut)} B out per event`;
      return `  ${what.padEnd(28)} ${side('source', t.traffic.source)}; ${side('destination', t.traffic.destination)}`;
    };
    console.log(`events: ${size} updates + ${Math.ceil(size / 3)} inserts + ${Math.floor(size / 6)} deletes of ~300-byte documents, written as fast as possible`);
    console.log(line('raw change-stream applier', rawTiming));
    if (verifying) console.log(line('c2c-sync (verifier on)', verifying));
    if (unverified) console.log(line('c2c-sync (verifier off)', unverified));
    console.log(trafficLine('raw', rawTiming));
    if (verifying) console.log(trafficLine('c2c-sync (verifier on)', verifying));
    if (unverified) console.log(trafficLine('c2c-sync (verifier off)', unverified));
    if (verifying) {
      console.log(`ratio c2c-sync / raw with the verifier on, the default (target >= 0.8): ${(rate(verifying) / rate(rawTiming)).toFixed(2)}; ` +
        `CPU per event, raw / c2c-sync (steadier on a busy machine): ${(cpu(rawTiming) / cpu(verifying)).toFixed(2)}${mainCpu(verifying)}`);
    }
    if (unverified) {
      console.log(`ratio c2c-sync / raw with the verifier off: ${(rate(unverified) / rate(rawTiming)).toFixed(2)}; ` +
        `CPU per event, raw / c2c-sync: ${(cpu(rawTiming) / cpu(unverified)).toFixed(2)}${mainCpu(unverified)}`);
    }
    if (verifying && unverified) {
      console.log(`the embedded verifier's cost to apply throughput: ${(100 * (1 - rate(verifying) / rate(unverified))).toFixed(0)}% ` +
        `(events/s with it on / off: ${(rate(verifying) / rate(unverified)).toFixed(2)})`);
    }
  } finally {
    await pair.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
