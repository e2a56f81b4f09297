// The copy loop: plans the copy a page of collections at a time and copies work units, up to
// copyConcurrency at once, while the next page is planned. The plan itself is on the destination
// (src/sync/copy-plan.ts); the workflow keeps cursors, counters and the units in flight, so its
// payloads and carried state stay small whatever the number of collections.
//
// Per page of planPageCollections collections: one planCopyPage activity. Per unit of up to
// unitMaxPartitions small collections (or one range of a large collection): one copyWorkUnit
// activity, more only when the unit takes longer than copyChunkMaxMs.
import type { PlanCopyPageResult } from '../activities/copy-plan';
import type { CopyState, OpenUnit, SyncTuning } from '../sync/state';
import type { JobHost } from './job-host';

/**
 * Runs the copy until every unit is copied (true), or until a pause or a due continue-as-new
 * stops it once the activities in flight have recorded their progress (false).
 */
export async function runCopy(host: JobHost): Promise<boolean> {
  const { s } = host;
  const copy = s.copy;
  const running = new Map<number, Promise<void>>();
  let planning: Promise<void> | null = null;

  const nextUnit = (): OpenUnit | undefined => {
    const interrupted = copy.openUnits.find((open) => !running.has(open.unit));
    if (interrupted) return interrupted;
    if (copy.nextUnit >= copy.unitsPlanned) return undefined;
    const open: OpenUnit = { unit: copy.nextUnit++, resume: null };
    copy.openUnits.push(open);
    return open;
  };

  for (;;) {
    // On pause, or when history grows long, launch nothing more; the main loop takes over once
    // the activities in flight have recorded their progress.
    if (!s.paused && !host.continueAsNewDue()) {
      if (planning === null && !copy.planDone) planning = planPage(host).finally(() => (planning = null));
      while (running.size < s.tuning.copyConcurrency) {
        const open = nextUnit();
        if (!open) break;
        running.set(
          open.unit,
          copyUnit(host, open).finally(() => running.delete(open.unit)),
        );
      }
    }
    const inFlight = planning ? [planning, ...running.values()] : [...running.values()];
    if (inFlight.length === 0) break;
    await Promise.race(inFlight);
    host.publish();
  }
  return copy.planDone && copy.openUnits.length === 0 && copy.nextUnit >= copy.unitsPlanned;
}

async function planPage(host: JobHost): Promise<void> {
  const { s } = host;
  const copy = s.copy;
  const { tuning } = s;
  const page = await host.call('planCopyPage', () =>
    host.act.planCopyPage({
      source: s.source,
      destination: s.destination,
      after: copy.planCursor,
      firstUnit: copy.unitsPlanned,
      ...pageLimits(tuning),
      parallelism: { workers: tuning.copyConcurrency, totalBytes: copy.estimatedTotalBytes },
      startPoint: s.startPoint,
    }),
  );
  recordPage(copy, page);
}

/** A planning page's bounds, from the sync's tuning. */
export function pageLimits(tuning: SyncTuning) {
  return {
    maxCollections: tuning.planPageCollections,
    maxPagePartitions: tuning.planPagePartitions,
    targetPartitionBytes: tuning.partitionTargetBytes,
    maxPartitionsPerCollection: tuning.maxPartitionsPerCollection,
    unitMaxPartitions: tuning.unitMaxPartitions,
    unitMaxBytes: tuning.unitMaxBytes,
  };
}

/** Counts a planned page (from planCopyPage, or the first one from copyCatalog) in the copy state. */
export function recordPage(copy: CopyState, page: PlanCopyPageResult): void {
  copy.collectionsPlanned += page.collections;
  copy.partitionsTotal += page.partitions;
  copy.unitsPlanned += page.units;
  copy.planCursor = page.last;
  copy.planDone = page.done;
}

async function copyUnit(host: JobHost, open: OpenUnit): Promise<void> {
  const { s } = host;
  const copy = s.copy;
  const result = await host.call(`copyWorkUnit #${open.unit}`, () =>
    host.act.copyWorkUnit({
      source: s.source,
      destination: s.destination,
      unit: open.unit,
      resume: open.resume,
      maxDurationMs: s.tuning.copyChunkMaxMs,
      batchSize: s.tuning.copyBatchSize,
      startPoint: s.startPoint,
    }),
  );
  copy.copiedBytes += result.bytes;
  copy.copiedDocuments += result.documents;
  copy.partitionsDone += result.partitionsDone;
  copy.estimatedTotalBytes = Math.max(copy.estimatedTotalBytes, copy.copiedBytes);
  if (result.done) {
    copy.openUnits = copy.openUnits.filter((other) => other.unit !== open.unit);
    copy.unitsDone += 1;
  } else {
    open.resume = result.resume;
  }
}
