// Cluster times cross the workflow boundary as plain {t, i} pairs (JSON-serializable); these
// convert them to and from the driver's BSON Timestamp.
import { Timestamp } from 'mongodb';
import type { ClusterTime } from '../sync/vocabulary';

export function toClusterTime(ts: Timestamp): ClusterTime {
  return { t: ts.t, i: ts.i };
}

export function toTimestamp(time: ClusterTime): Timestamp {
  return new Timestamp({ t: time.t, i: time.i });
}
