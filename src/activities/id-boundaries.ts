// The _id values that split one collection into copy partitions, found without reading the
// collection (see src/sync/id-sampling.ts for the choice between a bounded $sample and a walk of
// the _id index). Used by planPartitions; callable for any number of collections in one activity.
import { BSON, type Collection, type Document } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import type { ReadAtOptions } from '../mongo/read-at';
import { chooseIdSampling } from '../sync/id-sampling';
import { desiredPartitionCount, type PartitionPlanLimits, sampleSizeFor } from '../sync/partition-plan';
import { encodeId } from './copy-partition';
import { documentsAfterId } from './id-walk';

/** Where a walk of the _id index stands: heartbeat it; a retry resumes after `after`. */
export interface IdWalkPosition {
  /** the last _id key read (canonical EJSON); null before the first */
  after: string | null;
  /** keys read so far */
  keys: number;
  /** boundaries found so far, in _id order */
  boundaries: string[];
}

/** How a long step reports progress: ActivityProgress (heartbeat.ts) or the caller's own. */
export interface StepProgress {
  during<T>(work: Promise<T>): Promise<T>;
  throwIfCancelled(): void;
}

export interface IdBoundaryOptions {
  /** reads at or after the sync's start point */
  readAt: ReadAtOptions;
  progress: StepProgress;
  /** a walk an earlier attempt heartbeated */
  resumeFrom?: IdWalkPosition;
  /** called after every batch of a walk with its position */
  onWalk?: (position: IdWalkPosition) => void;
}

/** Keys read per batch of a walk (a covered read: index keys only). */
const WALK_BATCH = 1000;

/**
 * Sampled _id values (canonical EJSON, in the server's _id order) for planning the partitions
 * of `collection`; empty when one partition will do.
 */
export async function sampleIdBoundaries(
  collection: Collection<Document>,
  stats: { documentCount: number; averageDocumentSize: number },
  limits: PartitionPlanLimits,
  options: IdBoundaryOptions,
): Promise<string[]> {
  const planInput = { ...stats, sampledIds: [] };
  const sampling = chooseIdSampling({
    ...stats,
    partitions: desiredPartitionCount(planInput, limits),
    wantedSamples: sampleSizeFor(planInput, limits),
  });
  if (sampling.method === 'none') return [];
  if (sampling.method === 'sample') {
    // The pseudo-random cursor's reads are bounded by the sample's size: one command, awaited
    // with heartbeats on a timer.
    const samples = await options.progress.during(
      collection
        .aggregate([{ $sample: { size: sampling.size } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }], { ...TYPED_READ, ...options.readAt })
        .toArray(),
    );
    return samples.map((doc) => BSON.EJSON.stringify(doc._id, { relaxed: false }));
  }
  const position: IdWalkPosition = options.resumeFrom
    ? { after: options.resumeFrom.after, keys: options.resumeFrom.keys, boundaries: [...options.resumeFrom.boundaries] }
    : { after: null, keys: 0, boundaries: [] };
  const walk = async (): Promise<void> => {
    if (position.boundaries.length >= sampling.boundaries) return;
    const keys = documentsAfterId(collection, position.after, { ...TYPED_READ, ...options.readAt, projection: { _id: 1 }, batchSize: WALK_BATCH });
    for await (const { _id } of keys) {
      position.keys++;
      position.after = encodeId(_id);
      if (position.keys % sampling.stride === 0) {
        position.boundaries.push(position.after);
        // Past the last boundary the rest of the collection is the last partition.
        if (position.boundaries.length >= sampling.boundaries) break;
      }
      if (position.keys % WALK_BATCH === 0) {
        options.progress.throwIfCancelled();
        options.onWalk?.(position);
      }
    }
  };
  await options.progress.during(walk());
  options.onWalk?.(position);
  return position.boundaries;
}
