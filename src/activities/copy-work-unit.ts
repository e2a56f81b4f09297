// Copies one work unit of the copy plan: its partitions in order (many small collections, or one
// range of a large one), each in batches bounded by count and bytes. It heartbeats after every
// batch and every finished partition; a retried attempt resumes from the last heartbeat. It stops
// after about maxDurationMs and returns where the next call resumes.
import { Context } from '@temporalio/activity';
import type { ClusterConnections } from '../mongo/cluster-clients';
import type { ClusterLabel, ClusterTime } from '../sync/vocabulary';
import { readUnit } from './copy-plan';
import { copyRange } from './copy-partition';

/** Where a unit's copy resumes: at partition `partition` (its index in the unit), after `resumeAfter`. */
export interface UnitResume {
  partition: number;
  /** canonical EJSON of the last _id copied in that partition; null = from its start */
  resumeAfter: string | null;
}

export interface CopyWorkUnitInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  unit: number;
  /** null = from the unit's start */
  resume: UnitResume | null;
  maxDurationMs: number;
  batchSize: number;
  startPoint?: ClusterTime | null;
}

export interface CopyWorkUnitResult {
  done: boolean;
  /** where the next call resumes (when not done) */
  resume: UnitResume;
  /** copied by this call (and the attempts it resumed from) */
  documents: number;
  bytes: number;
  partitionsDone: number;
}

type UnitHeartbeat = Omit<CopyWorkUnitResult, 'done'>;

export async function copyWorkUnit(clients: ClusterConnections, input: CopyWorkUnitInput): Promise<CopyWorkUnitResult> {
  const context = Context.current();
  const deadline = Date.now() + input.maxDurationMs;
  const resumed = context.info.heartbeatDetails as UnitHeartbeat | undefined;
  const state: UnitHeartbeat = resumed ?? { resume: input.resume ?? { partition: 0, resumeAfter: null }, documents: 0, bytes: 0, partitionsDone: 0 };
  const partitions = await readUnit(clients.client(input.destination), input.unit);
  const beat = (): void => context.heartbeat({ ...state, resume: { ...state.resume } } satisfies UnitHeartbeat);

  while (state.resume.partition < partitions.length) {
    const partition = partitions[state.resume.partition]!;
    const counted = { documents: state.documents, bytes: state.bytes };
    const result = await copyRange(
      clients,
      {
        source: input.source,
        destination: input.destination,
        range: partition,
        resumeAfter: state.resume.resumeAfter,
        batchSize: input.batchSize,
        startPoint: input.startPoint,
      },
      deadline,
      (progress) => {
        state.resume.resumeAfter = progress.resumeAfter;
        state.documents = counted.documents + progress.documents;
        state.bytes = counted.bytes + progress.bytes;
        beat();
      },
    );
    state.documents = counted.documents + result.documents;
    state.bytes = counted.bytes + result.bytes;
    if (!result.done) {
      state.resume.resumeAfter = result.resumeAfter;
      return { done: false, ...state };
    }
    state.resume = { partition: state.resume.partition + 1, resumeAfter: null };
    state.partitionsDone += 1;
    beat();
    if (Date.now() >= deadline && state.resume.partition < partitions.length) return { done: false, ...state };
  }
  return { done: true, ...state };
}
