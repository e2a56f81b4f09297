// The copy plan: which collections are copied, split into which _id ranges, grouped into which
// work units. The plan lives on the destination (in the metadata database), never in workflow
// state, so the workflow's payloads stay small whatever the number of collections; the workflow
// carries only cursors and counters. Workflow-safe: imports only the vocabulary.
//
// - The catalog copy records every included collection once, keyed by its namespace
//   (`planKey`), so a retried or concurrent attempt writes the same record again.
// - The planner pages through the records in key order. A collection whose estimated size fits
//   one partition gets the full _id range without sampling; a larger one is sampled. Ranges, once
//   recorded, never change (first writer wins), so every attempt agrees on them.
// - Work units are numbered from 0 in plan order. A partition of a collection split in several
//   is a unit of its own; whole small collections are packed into one unit up to a partition
//   count and an estimated byte size. Packing depends only on the recorded ranges, so an attempt
//   that plans a page again writes the same units.
import type { PartitionRange } from './vocabulary';

/** One _id range: `min` inclusive (null = MinKey), `max` exclusive (null = MaxKey), canonical EJSON. */
export interface PlanRange {
  min: string | null;
  max: string | null;
}

/** A collection as the planner sees it. */
export interface PlannedCollection {
  db: string;
  coll: string;
  estimatedBytes: number;
  /** null until planned */
  ranges: PlanRange[] | null;
}

export interface WorkUnit {
  unit: number;
  partitions: PartitionRange[];
  estimatedBytes: number;
}

export interface UnitLimits {
  /** partitions per unit, at most (>= 1) */
  maxPartitions: number;
  /** estimated bytes per unit: no more small collections are added once it is reached */
  maxBytes: number;
}

/** The key of a collection's plan record: unique, since a database name never holds a dot. */
export function planKey(db: string, coll: string): string {
  return `${db}.${coll}`;
}

/**
 * How many partitions a collection needs for `workers` parallel copiers to share the copy: its
 * share of the copy's estimated bytes, in workers, rounded up. A collection alone gets one
 * partition a worker; one of many small ones gets one (the others keep the workers busy), so
 * the extra partitions of a whole plan stay below `workers`.
 */
export function parallelPartitions(collectionBytes: number, totalBytes: number, workers: number): number {
  if (!(collectionBytes > 0) || !(workers > 1)) return 1;
  const share = collectionBytes / Math.max(totalBytes, collectionBytes);
  return Math.max(1, Math.ceil(Math.floor(workers) * share - 1e-9));
}

/** The plan of a collection too small to split: its whole _id range, no sample needed. */
export const FULL_RANGE: readonly PlanRange[] = [{ min: null, max: null }];

/**
 * Groups planned collections (in plan order, every one with its ranges) into work units numbered
 * from `firstUnit`. Each range of a split collection is a unit alone; consecutive unsplit
 * collections share a unit while it stays within the limits.
 */
export function packUnits(collections: readonly PlannedCollection[], limits: UnitLimits, firstUnit: number): WorkUnit[] {
  if (!Number.isInteger(limits.maxPartitions) || limits.maxPartitions < 1) {
    throw new RangeError(`maxPartitions must be an integer >= 1, got ${limits.maxPartitions}`);
  }
  const units: WorkUnit[] = [];
  let open: WorkUnit | null = null;
  const close = (): void => {
    if (open) units.push(open);
    open = null;
  };
  for (const collection of collections) {
    const ranges = collection.ranges;
    if (!ranges || ranges.length === 0) throw new RangeError(`${planKey(collection.db, collection.coll)} has no planned ranges`);
    const bytes = Math.max(0, collection.estimatedBytes);
    if (ranges.length > 1) {
      close();
      const share = bytes / ranges.length;
      for (const range of ranges) {
        units.push({ unit: firstUnit + units.length, partitions: [{ db: collection.db, coll: collection.coll, ...range }], estimatedBytes: share });
      }
      continue;
    }
    const current: WorkUnit = open ?? { unit: firstUnit + units.length, partitions: [], estimatedBytes: 0 };
    open = current;
    current.partitions.push({ db: collection.db, coll: collection.coll, ...ranges[0]! });
    current.estimatedBytes += bytes;
    if (current.partitions.length >= limits.maxPartitions || current.estimatedBytes >= limits.maxBytes) close();
  }
  close();
  return units;
}

/**
 * How many of `collections` (in order) one planning page takes: at least one, and no more once
 * the page holds `maxPartitions` partitions, so a page's units stay bounded too.
 */
export function pageLength(collections: readonly PlannedCollection[], maxPartitions: number): number {
  let partitions = 0;
  for (let i = 0; i < collections.length; i++) {
    partitions += collections[i]!.ranges?.length ?? 1;
    if (partitions >= maxPartitions) return i + 1;
  }
  return collections.length;
}
