// Commit-time resync of the documents recorded in the resync set (see resync-set.ts): it
// heartbeats the last entry done and a retried attempt resumes after it.
import type { ClusterConnections } from '../mongo/cluster-clients';
import type { ClusterLabel } from '../sync/vocabulary';
import { ActivityProgress } from './heartbeat';
import { resyncRecorded, type ResyncProgress } from './resync-set';

export interface ResyncInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  /** entries of the resync set processed at a time (tests shrink it) */
  pageSize?: number;
}

export async function resyncDocuments(clients: ClusterConnections, input: ResyncInput): Promise<number> {
  let position: ResyncProgress = { after: null, done: 0, whole: null };
  const progress = new ActivityProgress(() => position);
  const resumeFrom = progress.resumed;
  if (resumeFrom) position = resumeFrom;
  progress.beatNow();
  return resyncRecorded(clients.client(input.source), clients.client(input.destination), {
    ...(resumeFrom ? { resumeFrom } : {}),
    ...(input.pageSize ? { pageSize: input.pageSize } : {}),
    onProgress: (state) => {
      position = { ...state };
      progress.beat();
    },
  });
}
