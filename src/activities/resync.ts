// Commit-time resync of the documents recorded in the resync set (see resync-set.ts).
import { Context } from '@temporalio/activity';
import type { ClusterConnections, ClusterLabel } from '../mongo/cluster-clients';
import { resyncRecorded } from './resync-set';

export interface ResyncInput {
  source: ClusterLabel;
  destination: ClusterLabel;
}

export async function resyncDocuments(clients: ClusterConnections, input: ResyncInput): Promise<number> {
  const context = Context.current();
  return resyncRecorded(clients.client(input.source), clients.client(input.destination), (done) => context.heartbeat(done));
}
