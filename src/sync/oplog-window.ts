// How long the source oplog keeps its oldest entry. A capped oplog drops entries only once it is
// full: on a young oplog (a new replica set, or one that was resized) the oldest entry stays
// until the free space is written, so the time between the oldest entry and the position a sync
// still needs understates what it has left. This estimates that extra time from one reading of
// the oplog's size ($collStats storageStats: size and maxSize) and the rate it filled at so far.
import type { ClusterTime } from './vocabulary';

export interface OplogUsage {
  /** storageStats.size of local.oplog.rs */
  usedBytes: number;
  /** storageStats.maxSize of local.oplog.rs (its configured cap) */
  maxBytes: number;
  /** the oldest entry's time */
  oldest: ClusterTime;
  /** the newest entry's time */
  newest: ClusterTime;
}

/**
 * A server truncates a full oplog in chunks and keeps it near, not at, its cap: past this share
 * of the cap it is treated as full (it drops its oldest entries as it is written).
 */
export const OPLOG_FULL_SHARE = 0.9;

/**
 * Seconds until an oplog that is not full yet starts dropping entries, at the average rate its
 * entries were written (its size over the span from its oldest entry to its newest); 0 for a full one; null when it cannot be told (no cap, or
 * nothing written yet), which adds nothing to the estimate.
 */
export function oplogFreeSeconds(usage: OplogUsage): number | null {
  const { usedBytes, maxBytes, oldest, newest } = usage;
  if (!(maxBytes > 0) || !(usedBytes >= 0)) return null;
  if (usedBytes >= maxBytes * OPLOG_FULL_SHARE) return 0;
  if (usedBytes === 0) return null;
  // Entries within the same second still took up to a second to write: counting at least one
  // overstates the rate, which only shortens the estimate.
  const bytesPerSecond = usedBytes / Math.max(1, newest.t - oldest.t);
  return Math.floor((maxBytes * OPLOG_FULL_SHARE - usedBytes) / bytesPerSecond);
}
