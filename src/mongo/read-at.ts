// Reads that see every write up to a cluster time: majority read concern with afterClusterTime.
// The driver sends afterClusterTime only from a causally consistent session whose operationTime
// is set, so a read runs in such a session advanced to the time (it then never goes backwards:
// each reply can only move the session's operationTime forward).
import type { ClientSession, MongoClient, ReadConcernLike } from 'mongodb';
import { toTimestamp } from './cluster-time';
import type { ClusterTime } from '../sync/vocabulary';

export interface ReadAtOptions {
  session: ClientSession;
  readConcern: ReadConcernLike;
}

/** Options for reads at or after `at` (majority-committed data only); end the session after. */
export function readAtOrAfter(client: MongoClient, at: ClusterTime | null | undefined): ReadAtOptions {
  const session = client.startSession({ causalConsistency: true });
  if (at) session.advanceOperationTime(toTimestamp(at));
  return { session, readConcern: { level: 'majority' } };
}
