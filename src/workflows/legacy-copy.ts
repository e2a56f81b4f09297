// The copy loop of runs from before the copy plan moved to the destination: one planPartitions
// activity per collection, one copyPartitionChunk per partition, with the lists in workflow
// state. Kept so that such a run, when replayed or carried on after continue-as-new, goes on
// exactly as it began (histories in flight stay deterministic). New syncs use copy-phase.ts.
// Remove once no sync started before the change can still be running.
import type { JobHost } from './job-host';
import type { LegacyCopyState, PendingPartition } from '../sync/state';

export async function runLegacyCopy(host: JobHost, legacy: LegacyCopyState): Promise<boolean> {
  const { s } = host;
  const inFlight = new Map<number, Promise<void>>();
  const runnable = (): PendingPartition | undefined => legacy.pendingPartitions.find((partition) => !inFlight.has(partition.id));
  for (;;) {
    while (!s.paused && !host.continueAsNewDue() && inFlight.size < s.tuning.copyConcurrency) {
      const partition = runnable();
      if (!partition && legacy.pendingCollections.length > 0) {
        await planNextCollection(host, legacy);
        continue;
      }
      if (!partition) break;
      inFlight.set(
        partition.id,
        copyChunk(host, legacy, partition).finally(() => inFlight.delete(partition.id)),
      );
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight.values());
    host.publish();
  }
  return !s.paused && legacy.pendingPartitions.length === 0 && legacy.pendingCollections.length === 0;
}

async function copyChunk(host: JobHost, legacy: LegacyCopyState, partition: PendingPartition): Promise<void> {
  const { s } = host;
  const { db, coll } = partition.range;
  const result = await host.call(`copyPartitionChunk ${db}.${coll} #${partition.id}`, () =>
    host.act.copyPartitionChunk({
      source: s.source,
      destination: s.destination,
      range: partition.range,
      resumeAfter: partition.resumeAfter,
      maxDurationMs: s.tuning.copyChunkMaxMs,
      batchSize: s.tuning.copyBatchSize,
      startPoint: s.startPoint,
    }),
  );
  s.copy.copiedBytes += result.bytes;
  s.copy.copiedDocuments += result.documents;
  s.copy.estimatedTotalBytes = Math.max(s.copy.estimatedTotalBytes, s.copy.copiedBytes);
  partition.resumeAfter = result.resumeAfter;
  if (result.done) legacy.pendingPartitions = legacy.pendingPartitions.filter((p) => p.id !== partition.id);
}

async function planNextCollection(host: JobHost, legacy: LegacyCopyState): Promise<void> {
  const { s } = host;
  const collection = legacy.pendingCollections[0]!;
  const plan = await host.call(`planPartitions ${collection.db}.${collection.coll}`, () =>
    host.act.planPartitions({
      source: s.source,
      db: collection.db,
      coll: collection.coll,
      targetPartitionBytes: s.tuning.partitionTargetBytes,
      maxPartitions: s.tuning.maxPartitionsPerCollection,
      startPoint: s.startPoint,
    }),
  );
  legacy.pendingCollections.shift();
  for (const range of plan.ranges) {
    legacy.pendingPartitions.push({ id: legacy.nextPartitionId++, range, resumeAfter: null });
  }
}
