// Shared parts of the change-event application benchmarks (apply-throughput, apply-lag,
// commit-time): the raw change-stream applier they compare c2c-sync with, the workloads, and
// starting a sync that is applying events with production tuning.
//
// The raw applier is what a hand-written tool would do: one cluster-wide change stream on the
// source (no stages, default options, batchSize 1000), each batch the driver hands over
// translated into writes (insert and replace: replaceOne upsert of fullDocument; update:
// updateOne with $set of updatedFields and $unset of removedFields; delete: deleteOne) and sent
// as one ordered bulkWrite per namespace run. It keeps no checkpoint and handles no DDL.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type AnyBulkWriteOperation, type ChangeStream, type ChangeStreamDocument, type Document, type MongoClient, Timestamp } from 'mongodb';
import { clusterTimeFromResumeToken, compareClusterTimes } from '../src/sync/vocabulary';
import { DEFAULT_TUNING } from '../src/sync/state';
import type { ClusterPair } from '../test/support/cluster-pair';
import { startSyncHarness, waitForProgress, type SyncHarness } from '../test/support/sync-harness';

export type BenchDocument = { _id: number } & Document;

export function benchDocument(n: number): BenchDocument {
  return { _id: n, n, v: 0, payload: 'x'.repeat(200), at: new Date(1_700_000_000_000 + n) };
}

/** The source's time now, as a change stream start point. */
export async function sourceTime(client: MongoClient): Promise<Timestamp> {
  return (await client.db('admin').command({ ping: 1 })).operationTime as Timestamp;
}

export async function seedDocuments(client: MongoClient, db: string, coll: string, count: number): Promise<void> {
  const collection = client.db(db).collection<BenchDocument>(coll);
  for (let i = 0; i < count; i += 1000) {
    await collection.insertMany(Array.from({ length: Math.min(1000, count - i) }, (_, k) => benchDocument(i + k)));
  }
}

function translate(event: ChangeStreamDocument): AnyBulkWriteOperation<Document> | null {
  switch (event.operationType) {
    case 'insert':
    case 'replace':
      return { replaceOne: { filter: event.documentKey, replacement: event.fullDocument!, upsert: true } };
    case 'update': {
      const { updatedFields, removedFields } = event.updateDescription;
      const update: Document = {};
      if (updatedFields && Object.keys(updatedFields).length > 0) update.$set = updatedFields;
      if (removedFields && removedFields.length > 0) update.$unset = Object.fromEntries(removedFields.map((f) => [f, '']));
      return Object.keys(update).length > 0 ? { updateOne: { filter: event.documentKey, update } } : null;
    }
    case 'delete':
      return { deleteOne: { filter: event.documentKey } };
    default:
      return null;
  }
}

/** The baseline applier (see the header). */
export class RawApplier {
  private stream: ChangeStream<Document, ChangeStreamDocument> | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  eventsApplied = 0;
  /** the source time every event up to which is applied */
  appliedThrough: Timestamp | null = null;

  constructor(
    private readonly source: MongoClient,
    private readonly destination: MongoClient,
  ) {}

  start(from: Timestamp): this {
    this.stream = this.source.watch<Document, ChangeStreamDocument>([], { startAtOperationTime: from, batchSize: 1000, maxAwaitTimeMS: 200 });
    this.loop = this.run(this.stream);
    return this;
  }

  private async run(stream: ChangeStream<Document, ChangeStreamDocument>): Promise<void> {
    while (!this.stopped) {
      const first = await stream.tryNext();
      if (!first) {
        this.noteResumeToken(stream);
        continue;
      }
      const events = [first];
      while (stream.bufferedCount() > 0) events.push((await stream.tryNext())!);
      let run: { ns: string; writes: AnyBulkWriteOperation<Document>[] } | null = null;
      const flush = async (): Promise<void> => {
        if (run && run.writes.length > 0) {
          const [db, ...coll] = run.ns.split('.');
          await this.destination.db(db!).collection(coll.join('.')).bulkWrite(run.writes, { ordered: true });
        }
        run = null;
      };
      for (const event of events) {
        const write = translate(event);
        if (!write || !('ns' in event)) continue;
        const ns = `${event.ns.db}.${(event.ns as { coll?: string }).coll}`;
        if (run && (run as { ns: string }).ns !== ns) await flush();
        run ??= { ns, writes: [] };
        run.writes.push(write);
      }
      await flush();
      this.eventsApplied += events.length;
      this.appliedThrough = events[events.length - 1]!.clusterTime ?? this.appliedThrough;
      this.noteResumeToken(stream);
    }
  }

  /** The stream's position when its buffer is empty covers every event before it. */
  private noteResumeToken(stream: ChangeStream<Document, ChangeStreamDocument>): void {
    const token = stream.resumeToken as { _data: string } | undefined;
    if (stream.bufferedCount() > 0 || !token) return;
    const time = clusterTimeFromResumeToken(token);
    if (time && (!this.appliedThrough || compareClusterTimes(time, { t: this.appliedThrough.t, i: this.appliedThrough.i }) > 0)) {
      this.appliedThrough = new Timestamp(time);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.stream?.close();
  }
}

/**
 * A sync of the pair that is applying change events, with production tuning; without the
 * embedded verifier unless `body` says (`verification: {enabled: true}` is the default of a
 * real start request).
 */
export async function startApplyingSync(env: TestWorkflowEnvironment, pair: ClusterPair, body: Document = {}): Promise<SyncHarness> {
  const harness = await startSyncHarness(env, pair, { tuning: { ...DEFAULT_TUNING } });
  await harness.controller.start({ source: 'cluster0', destination: 'cluster1', verification: { enabled: false }, ...body });
  await waitForProgress(harness.controller, (p) => p.canCommit === true, 600_000);
  return harness;
}

/** Drops every database on `client` but admin, local and config (c2c-sync's metadata too). */
export async function dropAllDatabases(client: MongoClient): Promise<void> {
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  for (const { name } of databases as { name: string }[]) {
    if (!['admin', 'local', 'config'].includes(name)) await client.db(name).dropDatabase();
  }
}

/** Polls (every 5 ms) until `probe` holds; returns the time it first held. */
export async function whenTrue(probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return performance.now();
    if (Date.now() > deadline) throw new Error('benchmark timed out waiting for the destination');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs `phase`; with BENCH_PROFILE_DIR set, writes a CPU profile of this process while it ran
 * (simulated clusters, worker and client alike) to <dir>/<name>.cpuprofile.
 */
export async function profiled<T>(name: string, phase: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
