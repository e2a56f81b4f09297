// Activities that touch no cluster, for tests of the sync workflow itself on a real worker:
// every call is recorded, each activity can be replaced, and gates hold a call until the test
// opens them.
import type { SyncActivities } from '../../src/activities';
import { packUnits, pageLength, type PlannedCollection } from '../../src/sync/copy-plan';
import type { ClusterTime, PartitionRange } from '../../src/sync/vocabulary';

export interface ActivityCall {
  name: keyof SyncActivities;
  input: Record<string, unknown>;
}

/** A promise the test resolves: a stub awaits it to hold an activity where the test wants. */
export class Gate {
  private opened!: () => void;
  readonly open: Promise<void> = new Promise((resolve) => (this.opened = resolve));
  release(): void {
    this.opened();
  }
}

export interface StubActivities {
  activities: SyncActivities;
  calls: ActivityCall[];
  /** replaces an activity's behaviour (the call is still recorded) */
  override: Partial<SyncActivities>;
  /** the stub's own behaviour, for overrides that wrap it */
  defaults: SyncActivities;
  callsOf(name: keyof SyncActivities): Record<string, unknown>[];
}

/**
/**
 * A sync of `collections` collections (one, app.items, by default), each split into
 * `partitions` partitions of 10 documents and 100 bytes; a work unit is copied in one call.
 * Each buffer iteration during the copy buffers one event. Change event application reports the
 * source clock, so the lag stays 0 and canCommit becomes true after the first pass. The plan
 * pages and work units are formed by the real pure planner (src/sync/copy-plan.ts) over this
 * synthetic catalog.
 */
export function stubActivities(options: { partitions?: number; collections?: number; applyPauseMs?: number; bufferPauseMs?: number } = {}): StubActivities {
  const partitions = options.partitions ?? 3;
  const collectionCount = options.collections ?? 1;
  const collectionName = (i: number): string => (collectionCount === 1 ? 'items' : `c${String(i).padStart(7, '0')}`);
  const collectionAt = (i: number): PlannedCollection => ({
    db: 'app',
    coll: collectionName(i),
    estimatedBytes: partitions * 100,
    ranges: Array.from({ length: partitions }, (_, p) => ({
      min: p === 0 ? null : String(p * 10),
      max: p === partitions - 1 ? null : String((p + 1) * 10),
    })),
  });
  const units = new Map<number, PartitionRange[]>();
  const calls: ActivityCall[] = [];
  const override: Partial<SyncActivities> = {};
  let clock = 1_000;
  const now = (): ClusterTime => ({ t: clock++, i: 1 });

  const defaults: SyncActivities = {
    preflight: async (input) => ({
      source: { label: input.source, host: 'source.example:27017', version: '8.0.0', setName: 'rs0' },
      destination: { label: input.destination, host: 'destination.example:27017', version: '8.0.0', setName: 'rs1' },
    }),
    noteTime: async () => now(),
    setWriteBlocking: async (input) => input.blocked,
    warmUpClusters: async () => ({ cluster0: { ms: 1 }, cluster1: { ms: 1 } }),
    copyCatalog: async () => ({ collectionsTotal: collectionCount, estimatedTotalBytes: collectionCount * partitions * 100 }),
    buildIndexes: async () => ({ indexesBuilt: 1, totalIndexesToBuild: 1, collectionsFinished: 1, collectionsTotal: 1 }),
    planPartitions: async (input) => ({
      ranges: collectionAt(0).ranges!.map((range) => ({ db: input.db, coll: input.coll, ...range })),
      documents: partitions * 10,
    }),
    copyPartitionChunk: async (input) => ({ resumeAfter: String(Number(input.range.min ?? 0) + 9), done: true, documents: 10, bytes: 100 }),
    planCopyPage: async (input) => {
      const first = input.after === null ? 0 : collectionCount === 1 ? 1 : Number(input.after.slice('app.c'.length)) + 1;
      const candidates = Array.from({ length: Math.max(0, Math.min(input.maxCollections, collectionCount - first)) }, (_, i) => collectionAt(first + i));
      if (candidates.length === 0) return { collections: 0, partitions: 0, units: 0, last: input.after, done: true };
      const page = candidates.slice(0, pageLength(candidates, input.maxPagePartitions));
      const packed = packUnits(page, { maxPartitions: input.unitMaxPartitions, maxBytes: input.unitMaxBytes }, input.firstUnit);
      for (const unit of packed) units.set(unit.unit, unit.partitions);
      const last = page.at(-1)!;
      return {
        collections: page.length,
        partitions: page.length * partitions,
        units: packed.length,
        last: `${last.db}.${last.coll}`,
        done: first + page.length >= collectionCount,
      };
    },
    copyWorkUnit: async (input) => {
      const unit = units.get(input.unit);
      if (!unit) throw new Error(`stub: work unit ${input.unit} was never planned`);
      const from = input.resume?.partition ?? 0;
      const copied = unit.length - from;
      return { done: true, resume: { partition: unit.length, resumeAfter: null }, documents: copied * 10, bytes: copied * 100, partitionsDone: copied };
    },
    applyChangeEvents: async (input) => {
      // An iteration of a real applier waits for events; this keeps the loop from spinning.
      await new Promise((resolve) => setTimeout(resolve, options.applyPauseMs ?? 50));
      const time = now();
      return {
        checkpoint: { resumeToken: null, startAt: time },
        eventsApplied: 1,
        appliedThrough: time,
        sourceTime: time,
        lastDdlAt: null,
        reachedStopAt: input.stopAt !== null,
        sourceOplogOldest: null,
        sourceOplogFreeSeconds: null,
      };
    },
    bufferChangeEvents: async (input) => {
      // A real buffer iteration runs for a while; each stub iteration buffers one event.
      await new Promise((resolve) => setTimeout(resolve, options.bufferPauseMs ?? 50));
      const time = now();
      return {
        checkpoint: { resumeToken: null, startAt: time, nextSeq: input.checkpoint.nextSeq + 1 },
        eventsBuffered: 1,
        bytesBuffered: 100,
        bufferedThrough: time,
        sourceTime: time,
        sourceOplogOldest: null,
        sourceOplogFreeSeconds: null,
      };
    },
    resyncDocuments: async () => 0,
    finalizeDestination: async () => 0,
    // The verifier finds both sides equal: each span of units is compared in one call.
    beginVerification: async () => undefined,
    verifyWorkUnit: async (input) => {
      const end = input.unit + (input.units ?? 1);
      const fromUnit = input.resume?.unit ?? input.unit;
      const compared: PartitionRange[] = [];
      for (let n = fromUnit; n < end; n++) {
        const unit = units.get(n);
        if (!unit) throw new Error(`stub: work unit ${n} was never planned`);
        compared.push(...unit.slice(n === fromUnit ? (input.resume?.partition ?? 0) : 0));
      }
      const from = input.resume?.partition ?? 0;
      return {
        done: true,
        resume: { unit: end, partition: 0, after: null },
        resumedFrom: { unit: fromUnit, partition: from, after: null },
        sourceDocuments: compared.length * 10,
        destinationDocuments: compared.length * 10,
        collectionsScanned: compared.filter((partition) => partition.max === null).length,
        candidates: 0,
      };
    },
    recheckVerification: async () => ({ candidates: 0, deferred: 0, mismatchCount: 0, mismatches: [] }),
    verifyAtCommit: async () => ({ mismatchCount: 0, mismatches: [] }),
    verifyCatalog: async () => ({ namespaces: 1, mismatchCount: 0, mismatches: [] }),
    // The destination is written by nobody else: each call follows its stream for a while and finds nothing.
    beginDestinationEvents: async () => now(),
    followDestinationEvents: async (input) => {
      if (!input.drain) await new Promise((resolve) => setTimeout(resolve, Math.min(input.maxDurationMs, 200)));
      return { events: 0, documentEvents: 0, namespaceEvents: 0, through: now(), drained: input.drain === true, mismatchCount: 0 };
    },
  };

  const activities = Object.fromEntries(
    (Object.keys(defaults) as (keyof SyncActivities)[]).map((name) => [
      name,
      async (input: Record<string, unknown>) => {
        calls.push({ name, input });
        const run = (override[name] ?? defaults[name]) as unknown as (input: Record<string, unknown>) => Promise<unknown>;
        return run(input);
      },
    ]),
  ) as unknown as SyncActivities;

  return { activities, calls, override, defaults, callsOf: (name) => calls.filter((call) => call.name === name).map((call) => call.input) };
}
