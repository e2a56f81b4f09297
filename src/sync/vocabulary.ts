// The words every layer shares (API, client, workflow, activities, src/mongo): each concept is
// defined here once, as plain JSON-serializable data, so that workflow code, activities and the
// MongoDB helpers can all import it without importing each other.
// Workflow-safe: no imports.

/** mongosync's names for the two clusters a worker can reach. */
export const CLUSTER_LABELS = ['cluster0', 'cluster1'] as const;
export type ClusterLabel = (typeof CLUSTER_LABELS)[number];

/**
 * A cluster time: a BSON Timestamp as {t, i}, t = seconds since the epoch, i = ordinal within
 * the second (https://www.mongodb.com/docs/manual/reference/bson-types/#timestamps).
 */
export interface ClusterTime {
  t: number;
  i: number;
}

/** Orders two cluster times: by seconds, then ordinal (-1, 0 or 1). */
export function compareClusterTimes(a: ClusterTime, b: ClusterTime): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  if (a.i !== b.i) return a.i < b.i ? -1 : 1;
  return 0;
}

/** The later of two cluster times, either of which may be unknown. */
export function maxClusterTime(a: ClusterTime | null, b: ClusterTime | null): ClusterTime | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareClusterTimes(a, b) >= 0 ? a : b;
}

/** A change stream resume token; `_data` is the server's hex KeyString. */
export interface ResumeToken {
  _data: string;
}

/**
 * The cluster time at the start of a resume token's `_data` (KeyString: the timestamp tag 0x82,
 * then the 8-byte big-endian (t << 32 | i)), or null for tokens of another shape.
 */
export function clusterTimeFromResumeToken(token: unknown): ClusterTime | null {
  const data = (token as { _data?: unknown } | null | undefined)?._data;
  if (typeof data !== 'string' || !/^82[0-9a-fA-F]{16}/.test(data)) return null;
  return { t: Number.parseInt(data.slice(2, 10), 16), i: Number.parseInt(data.slice(10, 18), 16) };
}

/**
 * mongosync's states, and FAILED: a fatal error stopped the sync (mongosync documents no such
 * state; its process exits). A FAILED sync reports its error in /progress until it is cleared.
 */
export const SYNC_STATE_NAMES = ['IDLE', 'RUNNING', 'PAUSED', 'COMMITTING', 'COMMITTED', 'REVERSING', 'FAILED'] as const;
export type SyncStateName = (typeof SYNC_STATE_NAMES)[number];

/** A range of one collection's _id values: the unit the copy plans and copies. */
export interface PartitionRange {
  db: string;
  coll: string;
  /** inclusive lower bound, canonical EJSON of an _id; null = MinKey */
  min: string | null;
  /** exclusive upper bound, canonical EJSON of an _id; null = MaxKey */
  max: string | null;
}
