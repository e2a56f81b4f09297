// The per-collection cost of the catalog copy, the after-copy index build and the commit-time
// finalize (both stages): N small collections (one secondary index each) on the source; the
// activities run as a worker runs them (MockActivityEnvironment), on clients that count every
// command they send.
// Prints collections/s, commands per collection by name, and the CPU each process spent (this
// process, source, destination), against a raw baseline measured in the same run: a plain
// driver loop creating the same collections with the same index on an empty cluster, eight at
// a time. No thresholds are asserted here.
//   npx tsx bench/catalog-cost.ts [collections=2000] [--profile DIR]
// --profile writes a CPU profile of this process per measured step (open it in Chrome DevTools).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { buildIndexes, type CatalogInput, copyCatalog, finalizeDestination } from '../src/activities/catalog';
import type { ClusterConnections } from '../src/mongo/cluster-clients';
import type { ClusterLabel } from '../src/sync/vocabulary';
import { startScaleClusters } from '../test/support/scale/clusters';

const collections = Number(process.argv[2] ?? 2000);
const profileFlag = process.argv.indexOf('--profile');
const profileDir = profileFlag >= 0 ? process.argv[profileFlag + 1] : undefined;

/** Runs `work`, writing a CPU profile of this process to --profile's directory when given. */
async function profiled<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!profileDir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(profileDir, `${label.replaceAll(' ', '-')}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
const CLK_TCK = 100;

/** User+system CPU seconds of a process so far (/proc/<pid>/stat). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

class CountingClients implements ClusterConnections {
  readonly counts: Record<ClusterLabel, Map<string, number>> = { cluster0: new Map(), cluster1: new Map() };
  private readonly clients: Record<ClusterLabel, MongoClient>;

  constructor(uris: Record<ClusterLabel, string>) {
    const options = { readConcern: { level: 'majority' as const }, writeConcern: { w: 'majority' as const }, monitorCommands: true };
    this.clients = { cluster0: new MongoClient(uris.cluster0, options), cluster1: new MongoClient(uris.cluster1, options) };
    for (const label of ['cluster0', 'cluster1'] as const) {
      this.clients[label].on('commandStarted', (event: CommandStartedEvent) => {
        const counts = this.counts[label];
        counts.set(event.commandName, (counts.get(event.commandName) ?? 0) + 1);
      });
    }
  }

  client(label: ClusterLabel): MongoClient {
    return this.clients[label];
  }

  reset(): void {
    this.counts.cluster0.clear();
    this.counts.cluster1.clear();
  }

  perCollection(label: ClusterLabel): string {
    const ignored = new Set(['hello', 'isMaster', 'saslStart', 'saslContinue', 'ping', 'endSessions']);
    return (
      [...this.counts[label].entries()]
        .filter(([name]) => !ignored.has(name))
        .sort((a, b) => b[1] - a[1])
        .map(([name, count]) => `${name} ${(count / collections).toFixed(2)}`)
        .join(', ') || 'none'
    );
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.clients).map((client) => client.close()));
  }
}

const INPUT: CatalogInput = { source: 'cluster0', destination: 'cluster1', includeNamespaces: [], excludeNamespaces: [], buildIndexes: 'afterDataCopy' };

async function main(): Promise<void> {
  const clusters = await startScaleClusters({});
  const counting = new CountingClients(clusters.uris);
  try {
    const width = String(collections - 1).length;
    const name = (i: number): string => `c${String(i).padStart(width, '0')}`;
    let next = 0;
    const seedLane = async (): Promise<void> => {
      while (next < collections) {
        const coll = clusters.admin.cluster0.db('bench').collection<{ _id: number; n: number }>(name(next++));
        await coll.insertMany([0, 1, 2].map((n) => ({ _id: n, n })));
        await coll.createIndex({ n: 1 }, { name: 'n_1' });
      }
    };
    await Promise.all([seedLane(), seedLane(), seedLane(), seedLane()]);

    // Raw: what creating the collections and their index costs the destination by itself.
    let started = performance.now();
    next = 0;
    const rawLane = async (): Promise<void> => {
      while (next < collections) {
        const db = clusters.admin.cluster1.db('raw');
        const coll = name(next++);
        await db.command({ create: coll });
        await db.command({ createIndexes: coll, indexes: [{ key: { n: 1 }, name: 'n_1' }] });
      }
    };
    await Promise.all(Array.from({ length: 8 }, rawLane));
    const rawSeconds = (performance.now() - started) / 1000;
    await clusters.admin.cluster1.db('raw').dropDatabase();

    const measure = async (label: string, run: () => Promise<unknown>): Promise<void> => {
      counting.reset();
      const cpuBefore = [process.cpuUsage(), cpuSeconds(clusters.pids.cluster0), cpuSeconds(clusters.pids.cluster1)] as const;
      started = performance.now();
      await profiled(label, run);
      const seconds = (performance.now() - started) / 1000;
      const own = process.cpuUsage(cpuBefore[0]);
      console.log(`${label}: ${(collections / seconds).toFixed(0)} collections/s (${seconds.toFixed(2)} s); ratio to raw create+index ${(rawSeconds / seconds).toFixed(2)}`);
      console.log(
        `  CPU s: this process ${((own.user + own.system) / 1e6).toFixed(1)}, source ${(cpuSeconds(clusters.pids.cluster0) - cpuBefore[1]).toFixed(1)}, ` +
          `destination ${(cpuSeconds(clusters.pids.cluster1) - cpuBefore[2]).toFixed(1)}`,
      );
      console.log(`  commands per collection: source: ${counting.perCollection('cluster0')}`);
      console.log(`                      destination: ${counting.perCollection('cluster1')}`);
    };
    console.log(`collections: ${collections} of 3 documents, one secondary index each`);
    console.log(`raw create + createIndexes, 8 at a time: ${(collections / rawSeconds).toFixed(0)} collections/s (${rawSeconds.toFixed(2)} s)`);
    await measure('copyCatalog', () => new MockActivityEnvironment({ attempt: 1 }).run(copyCatalog, counting, INPUT));
    await measure('buildIndexes', () => new MockActivityEnvironment({ attempt: 1 }).run(buildIndexes, counting, INPUT));
    for (const stage of ['beforeCanWrite', 'afterCanWrite'] as const) {
      await measure(`finalizeDestination ${stage}`, () => new MockActivityEnvironment({ attempt: 1 }).run(finalizeDestination, counting, { ...INPUT, stage }));
    }
  } finally {
    await counting.close();
    await clusters.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
