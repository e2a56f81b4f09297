// Initial-copy throughput of c2c-sync against a raw driver copier measured in the same run, over
// the same two simulated replica sets and the same documents (about 1 KB each, integer _id).
//
// The baseline, "a raw driver copier": reads the first and last _id, splits that interval into
// 4 equal _id ranges and runs 4 readers at once, each a `find({_id: {$gte, $lt}})` sorted by _id
// (batchSize 1000, documents decoded with the driver's defaults), writing every 1000 documents
// with one `insertMany(..., {ordered: false})` to the same namespace on the destination. It
// knows the _id type in advance and keeps no BSON type fidelity (it promotes values); it
// resumes nothing and records nothing.
//
// c2c-sync: a sync with its default tuning, timed from the start request to the progress
// showing 'change event application' (preflight, catalog copy, planning, the copy, index builds,
// all included), polled every 50 ms. Each round also prints the time to the copy's end as the
// workflow history records it (the workflow task that moved the sync to change event application),
// which leaves out the polling's delay in seeing it, and the summary the median ratio of that;
// with it, when the first work unit started and the last one ended: the fixed cost around the copy. One worker (one task queue) runs every round's sync, as a
// running c2c-sync service does, and it warms up when it starts as the service's worker does
// (src/temporal/warm-up.ts: its workflow sandbox and its connections; --cold-worker skips that).
//
// Warm-up rounds: the run's first `--warmup` rounds (1 by default, of the smallest size) run both
// sides exactly like the measured rounds, but are printed apart ("cold") and left out of the
// median: in the first round both the baseline's code and the sync's activities (which run in
// this process, as do both simulators) run cold, and the first sync of a worker pays its first
// workflow tasks (less so once the worker warmed up).
//
// For each size: the source is filled, then (first size only) the warm-up rounds, then `rounds`
// rounds, each the raw copy then the sync (the destination emptied after each). Prints each
// round's rates with the ratio c2c-sync / raw, the median ratio of the measured rounds and the
// cold ratio apart. No thresholds are asserted.
//   npx tsx bench/copy-throughput.ts [sizes=10000,100000,300000] [--rounds=N (3)] [--warmup=N (1)] [--cold-worker]
//                                    [--timeline[=events]] [--profile=DIR]
// --timeline prints the sync's activities (start offset and duration) from its workflow history;
// --timeline=events prints every history event up to the copy's end (offset, type, activity), to
// see workflow tasks and schedule-to-start latencies between the activities.
// --profile=DIR writes a CPU profile of this process (engine activities and both simulators run
// here; workflow code runs in the worker's threads) for each raw copy and each sync, to DIR.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Collection, Document, MongoClient } from 'mongodb';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SyncController } from '../src/client/sync-controller';
import { createClusterClients } from '../src/mongo/cluster-clients';
import { DEFAULT_TUNING } from '../src/sync/state';
import { startClusterPair, type ClusterPair } from '../test/support/cluster-pair';
import { pollUntil } from '../test/support/poll';
import { startWorker } from '../test/support/sync-harness';
import { createTemporalTestEnv, uniqueTaskQueue } from '../test/support/temporal';
import { warmUpWorker } from '../src/temporal/warm-up';

const DB = 'bench';
const COLL = 'docs';
const READERS = 4;
const BATCH = 1000;

interface Options {
  sizes: number[];
  rounds: number;
  warmup: number;
  coldWorker: boolean;
  timeline: false | 'activities' | 'events';
  profileDir: string | null;
}

function parseOptions(args: string[]): Options {
  const options: Options = { sizes: [10_000, 100_000, 300_000], rounds: 3, warmup: 1, coldWorker: false, timeline: false, profileDir: null };
  for (const arg of args) {
    if (arg === '--timeline') options.timeline = 'activities';
    else if (arg === '--timeline=events') options.timeline = 'events';
    else if (arg.startsWith('--rounds=')) options.rounds = Number(arg.slice('--rounds='.length));
    else if (arg.startsWith('--warmup=')) options.warmup = Number(arg.slice('--warmup='.length));
    else if (arg === '--cold-worker') options.coldWorker = true;
    else if (arg.startsWith('--profile=')) options.profileDir = arg.slice('--profile='.length);
    else if (/^[\d,_]+$/.test(arg)) options.sizes = arg.split(',').filter(Boolean).map((size) => Number(size.replaceAll('_', '')));
    else throw new Error(`unknown argument '${arg}'; usage: copy-throughput.ts [sizes, e.g. 10000,100000] [--rounds=N] [--warmup=N] [--cold-worker] [--timeline[=events]] [--profile=DIR]`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error(`--rounds must be an integer >= 1, got ${options.rounds}`);
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new Error(`--warmup must be an integer >= 0, got ${options.warmup}`);
  if (options.sizes.length === 0 || options.sizes.some((size) => !Number.isInteger(size) || size < READERS)) {
    throw new Error(`sizes must be integers >= ${READERS}, got ${args.join(' ')}`);
  }
  options.sizes.sort((a, b) => a - b);
  return options;
}

function kilobyteDocument(n: number): Document {
  return { _id: n, n, payload: 'x'.repeat(960), at: new Date(1_700_000_000_000 + n) };
}

/** Adds documents until the source holds `documents` (ids 0..documents-1). */
async function fillSource(source: Collection<Document>, documents: number): Promise<void> {
  for (let i = await source.countDocuments(); i < documents; i += BATCH) {
    await source.insertMany(Array.from({ length: Math.min(BATCH, documents - i) }, (_, k) => kilobyteDocument(i + k)));
  }
}

/** The baseline (see the header); returns the seconds it took. */
async function rawCopy(source: Collection<Document>, destination: Collection<Document>): Promise<number> {
  const started = performance.now();
  const [first] = await source.find({}, { sort: { _id: 1 }, limit: 1, projection: { _id: 1 } }).toArray();
  const [last] = await source.find({}, { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } }).toArray();
  const low = Number(first!._id);
  const high = Number(last!._id) + 1;
  const step = Math.ceil((high - low) / READERS);
  const reader = async (from: number, to: number): Promise<void> => {
    let batch: Document[] = [];
    const range: Document = { _id: { $gte: from, $lt: to } };
    for await (const doc of source.find(range, { sort: { _id: 1 }, batchSize: BATCH })) {
      batch.push(doc);
      if (batch.length === BATCH) {
        await destination.insertMany(batch, { ordered: false });
        batch = [];
      }
    }
    if (batch.length > 0) await destination.insertMany(batch, { ordered: false });
  };
  await Promise.all(Array.from({ length: READERS }, (_, k) => reader(low + k * step, Math.min(high, low + (k + 1) * step))));
  return (performance.now() - started) / 1000;
}

/** A worker that runs every round's sync, and how a round's sync is ended. */
async function startService(env: TestWorkflowEnvironment, pair: ClusterPair, options: Options) {
  const taskQueue = uniqueTaskQueue('bench-copy');
  const clusters = createClusterClients(pair.uris);
  const worker = await startWorker(env, clusters, taskQueue);
  const running = worker.run();
  if (!options.coldWorker) {
    const warmed = await warmUpWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue });
    console.log(`worker warm-up: ${JSON.stringify(warmed)}`);
  }
  return {
    taskQueue,
    /** Terminates the sync, and waits until its activities (the event buffer reader) have ended. */
    async endSync(workflowId: string): Promise<void> {
      await env.client.workflow.getHandle(workflowId).terminate('benchmark round finished');
      await pollUntil(async () => (worker.getStatus().numInFlightActivities === 0 ? true : undefined), {
        intervalMs: 50,
        timeoutMs: 120_000,
        what: "the ended sync's activities to stop",
      });
    },
    async close(): Promise<void> {
      worker.shutdown();
      await running;
      await clusters.close();
    },
  };
}

/** Drops every database c2c-sync or the baseline wrote on the destination, and lifts write blocking. */
async function emptyDestination(destination: MongoClient): Promise<void> {
  await destination.db('admin').command({ setUserWriteBlockMode: 1, global: false });
  const { databases } = await destination.db('admin').command({ listDatabases: 1, nameOnly: true });
  for (const { name } of databases as { name: string }[]) {
    if (!['admin', 'config', 'local'].includes(name)) await destination.db(name).dropDatabase();
  }
}

/** A CPU profile of this process while `run` runs, written to DIR/NAME.cpuprofile (when asked). */
async function profiled<T>(dir: string | null, name: string, run: () => Promise<T>): Promise<T> {
  if (dir === null) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/** A probe for pollUntil: true once the sync shows change event application. */
function copyEnded(controller: SyncController): () => Promise<true | undefined> {
  return async () => {
    try {
      return (await controller.progress()).info === 'change event application' ? true : undefined;
    } catch (error) {
      // a query that timed out on a busy machine: ask again
      if ((error as Error).name === 'ServiceError') return undefined;
      throw error;
    }
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pad(text: string, width: number): string {
  return text.padStart(width);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  const service = await startService(env, pair, options);
  const rows: string[] = [];
  try {
    const source = pair.admin.cluster0.db(DB).collection(COLL);
    const destination = pair.admin.cluster1.db(DB).collection(COLL);
    console.log(`initial copy, c2c-sync / raw driver copier (${READERS} _id-range readers, insertMany unordered), ~1 KB documents`);
    console.log(
      `${options.warmup} warm-up round(s) for both sides first (printed as cold, not in the median), then ${options.rounds} measured per size; ` +
        `worker ${options.coldWorker ? 'NOT warmed up at its start (--cold-worker)' : 'warmed up at its start'}`,
    );
    for (const size of options.sizes) {
      await fillSource(source, size);
      const ratios: number[] = [];
      const coldRatios: number[] = [];
      const historyRatios: number[] = [];
      const fronts: number[] = [];
      const tails: number[] = [];
      const firstRound = size === options.sizes[0] ? 1 - options.warmup : 1;
      for (let round = firstRound; round <= options.rounds; round++) {
        const rawSeconds = await profiled(options.profileDir, `raw-${size}-${round}`, () => rawCopy(source, destination));
        if ((await destination.countDocuments()) !== size) throw new Error(`the raw copy left ${await destination.countDocuments()} of ${size} documents`);
        await emptyDestination(pair.admin.cluster1);

        const controller = new SyncController({ client: env.client, syncId: uniqueTaskQueue(`bench-${size}-${round}`), taskQueue: service.taskQueue, tuning: DEFAULT_TUNING });
        let startedAt = 0;
        const syncSeconds = await profiled(options.profileDir, `sync-${size}-${round}`, async () => {
          const started = performance.now();
          startedAt = Date.now();
          await controller.start({ source: 'cluster0', destination: 'cluster1' });
          await pollUntil(copyEnded(controller), { intervalMs: 50, timeoutMs: 3_600_000, what: 'the end of the copy' });
          return (performance.now() - started) / 1000;
        });
        const handle = env.client.workflow.getHandle(controller.workflowId);
        const milestones = await copyMilestones(handle, startedAt);
        if (options.timeline === 'activities') await printTimeline(handle);
        if (options.timeline === 'events') await printEvents(handle, startedAt, syncSeconds);
        await service.endSync(controller.workflowId);
        if ((await destination.countDocuments()) !== size) throw new Error(`the sync left ${await destination.countDocuments()} of ${size} documents`);
        await emptyDestination(pair.admin.cluster1);

        const ratio = rawSeconds / syncSeconds;
        (round >= 1 ? ratios : coldRatios).push(ratio);
        if (round >= 1 && milestones !== null) {
          historyRatios.push(rawSeconds / milestones.ended);
          fronts.push(milestones.firstUnitStarted);
          tails.push(milestones.ended - milestones.lastUnitCompleted);
        }
        const line =
          `${pad(String(size), 7)} docs, ${round >= 1 ? `round ${round}` : `cold ${round + options.warmup}`}: raw ${pad((size / rawSeconds).toFixed(0), 6)} docs/s (${rawSeconds.toFixed(2)} s)` +
          `   c2c-sync ${pad((size / syncSeconds).toFixed(0), 6)} docs/s (${syncSeconds.toFixed(2)} s)   ratio ${ratio.toFixed(2)}×` +
          (milestones === null
            ? ''
            : `   (in the history: first unit at ${milestones.firstUnitStarted.toFixed(2)} s, last unit done ${milestones.lastUnitCompleted.toFixed(2)} s, ` +
              `copy's end ${milestones.ended.toFixed(2)} s: ${(rawSeconds / milestones.ended).toFixed(2)}×)`);
        console.log(line);
      }
      rows.push(
        `${pad(String(size), 7)} docs: c2c-sync / raw = ${median(ratios).toFixed(2)}× (median of ${ratios.length}; ${ratios.map((r) => r.toFixed(2)).join(', ')})` +
          (coldRatios.length > 0 ? `; cold: ${coldRatios.map((r) => r.toFixed(2)).join(', ')}×` : '') +
          (historyRatios.length > 0
            ? `; to the copy's end in the history: ${median(historyRatios).toFixed(2)}× ` +
              `(first unit started after ${median(fronts).toFixed(3)} s, copy's end ${median(tails).toFixed(3)} s after the last unit; medians)`
            : ''),
      );
    }
    console.log('\nsummary (target: >= 1.00× at every size)');
    for (const row of rows) console.log(row);
  } finally {
    await service.close();
    await pair.close();
    await env.teardown();
  }
}

/** Seconds from the start request to the copy's milestones in the workflow history (server event times). */
interface CopyMilestones {
  /** the first copyWorkUnit (or copyPartitionChunk) started */
  firstUnitStarted: number;
  /** the last one completed */
  lastUnitCompleted: number;
  /**
   * the workflow task that ended the copy phase (the first one completed after both the index
   * build and the copy-completed time came back): when /progress starts answering 'change event
   * application', without the polling's delay in seeing it (up to one poll interval plus a
   * describe and a query, each queued behind the worker's busy event loop)
   */
  ended: number;
}

/** The fields of a workflow history event the functions below read. */
type Event = {
  eventId?: { toString(): string } | null;
  eventTime?: { seconds?: { toString(): string } | null; nanos?: number | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: { toString(): string } | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: { toString(): string } | null } | null;
  workflowTaskCompletedEventAttributes?: unknown;
};

/** An event's time, in milliseconds since the epoch. */
function ms(event: Event): number {
  return Number(event.eventTime?.seconds?.toString() ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
}

async function copyMilestones(handle: { fetchHistory(): Promise<{ events?: unknown[] | null }> }, startedAt: number): Promise<CopyMilestones | null> {
  const history = await handle.fetchHistory();
  const seconds = (event: Event): number => (ms(event) - startedAt) / 1000;
  const names = new Map<string, string>();
  const copies = new Set(['copyWorkUnit', 'copyPartitionChunk']);
  let firstUnitStarted = Infinity;
  let lastUnitCompleted = 0;
  let indexesBuilt = false;
  let copyCompletedNoted = false;
  for (const event of (history.events ?? []) as Event[]) {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    // the noteTime scheduled after the index build's is the copy-completed time
    if (name && (name !== 'noteTime' || [...names.values()].includes('buildIndexes'))) names.set(event.eventId!.toString(), name);
    const started = names.get(event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ?? '');
    if (started && copies.has(started)) firstUnitStarted = Math.min(firstUnitStarted, seconds(event));
    const completed = names.get(event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() ?? '');
    if (completed && copies.has(completed)) lastUnitCompleted = Math.max(lastUnitCompleted, seconds(event));
    if (completed === 'buildIndexes') indexesBuilt = true;
    if (completed === 'noteTime') copyCompletedNoted = true;
    if (indexesBuilt && copyCompletedNoted && event.workflowTaskCompletedEventAttributes) return { firstUnitStarted, lastUnitCompleted, ended: seconds(event) };
  }
  return null;
}

/** The sync's activities in order: start offset from the workflow's start, and duration. */
async function printTimeline(handle: { fetchHistory(): Promise<{ events?: unknown[] | null }> }): Promise<void> {
  const history = await handle.fetchHistory();
  const events = (history.events ?? []) as Event[];
  if (events.length === 0) return;
  const origin = ms(events[0]!);
  const scheduled = new Map<string, { name: string; at: number }>();
  for (const event of events) {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.set(event.eventId!.toString(), { name, at: ms(event) });
    const completed = event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString();
    if (completed && scheduled.has(completed)) {
      const { name: activity, at } = scheduled.get(completed)!;
      console.log(`    ${pad((at - origin).toFixed(0), 6)} ms  +${pad((ms(event) - at).toFixed(0), 6)} ms  ${activity}`);
    }
  }
}

/** Every history event until the copy ended: offset from the start request, type, activity name. */
async function printEvents(handle: { fetchHistory(): Promise<{ events?: unknown[] | null }> }, startedAt: number, seconds: number): Promise<void> {
  const history = await handle.fetchHistory();
  // the event's type, from the one attributes field it has set (e.g. workflowTaskStarted)
  const typeOf = (event: Event): string =>
    Object.entries(event).find(([key, value]) => key.endsWith('EventAttributes') && value)?.[0].replace('EventAttributes', '') ?? '?';
  const names = new Map<string, string>();
  for (const event of (history.events ?? []) as Event[]) {
    const at = ms(event) - startedAt;
    if (at > seconds * 1000 + 200) break;
    const scheduledName = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduledName) names.set(event.eventId!.toString(), scheduledName);
    const of =
      event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ??
      event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString();
    const activity = scheduledName ?? (of ? names.get(of) : undefined) ?? '';
    console.log(`    ${pad(at.toFixed(0), 6)} ms  ${typeOf(event)}  ${activity}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
