// Activities that act on a whole cluster: its clock and its user write blocking.
import type { ClusterClients } from '../mongo/cluster-clients';
import type { ClusterLabel, ClusterTime } from '../sync/vocabulary';
import { noteClusterTime, setUserWriteBlockMode, userWritesBlocked } from '../mongo/commands';

export interface NoteTimeInput {
  cluster: ClusterLabel;
  /** why the time is taken, written into the no-op entry: 'start point', 'commit point', ... */
  reason: string;
  syncId: string;
}

/** "Now" on a cluster: the time of a no-op written to its oplog. Every write before it is older. */
export async function noteTime(clusters: ClusterClients, input: NoteTimeInput): Promise<ClusterTime> {
  return noteClusterTime(clusters.client(input.cluster), { c2cSync: input.syncId, reason: input.reason });
}

export interface WriteBlockingInput {
  cluster: ClusterLabel;
  blocked: boolean;
}

/** Turns user write blocking on or off; idempotent. Returns the mode the cluster then reports. */
export async function setWriteBlocking(clusters: ClusterClients, input: WriteBlockingInput): Promise<boolean> {
  const client = clusters.client(input.cluster);
  await setUserWriteBlockMode(client, input.blocked);
  return userWritesBlocked(client);
}
