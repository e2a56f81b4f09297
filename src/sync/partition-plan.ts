// Planning _id-range partitions for the copy of one collection, from numbers and sampled _id
// values the activity has already extracted. Workflow-safe: no imports.
//
// Assumptions:
// - `sampledIds` are canonical EJSON strings of sampled _id values, already sorted in the
//   server's _id order (e.g. `$sample` followed by `$sort: {_id: 1}` on the server). This code
//   cannot compare BSON values, so it keeps their order as given and only drops exact string
//   duplicates. Two strings for values the server considers equal (1 and 1.0) yield an empty
//   range between them, which is harmless.
// - Ranges are half-open in the server's BSON order across all types: min inclusive, max
//   exclusive, null = MinKey / MaxKey. The copy must apply them as index bounds
//   (find().min({_id}).max({_id}).hint({_id: 1})) and not as {$gte, $lt}, which only match
//   values of the bound's own type (type bracketing) and would skip documents whose _id is of
//   another type.

export interface PartitionPlanInput {
  documentCount: number;
  /** average BSON size of a document, in bytes */
  averageDocumentSize: number;
  /** canonical EJSON of sampled _id values, sorted in the server's _id order */
  sampledIds: readonly string[];
}

export interface PartitionPlanLimits {
  /** wanted bytes per partition (> 0) */
  targetPartitionBytes: number;
  /** upper bound on the number of partitions (>= 1) */
  maxPartitions: number;
  /**
   * partitions wanted whatever the target size, so that parallel copiers have a share each
   * (default 1); each still holds at least MIN_PARALLEL_PARTITION_BYTES
   */
  minPartitions?: number;
}

/** A partition made for parallelism alone holds at least this much: smaller ones cost more than they save. */
export const MIN_PARALLEL_PARTITION_BYTES = 1024 * 1024;

/** One partition: `min` inclusive (null = MinKey), `max` exclusive (null = MaxKey). */
export interface IdRange {
  min: string | null;
  max: string | null;
}

function assertNonNegativeFinite(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
}

/** How many partitions the collection's size calls for, within [1, maxPartitions]. */
export function desiredPartitionCount(input: PartitionPlanInput, limits: PartitionPlanLimits): number {
  assertNonNegativeFinite(input.documentCount, 'documentCount');
  assertNonNegativeFinite(input.averageDocumentSize, 'averageDocumentSize');
  if (!Number.isFinite(limits.targetPartitionBytes) || limits.targetPartitionBytes <= 0) {
    throw new RangeError(`targetPartitionBytes must be > 0, got ${limits.targetPartitionBytes}`);
  }
  if (!Number.isInteger(limits.maxPartitions) || limits.maxPartitions < 1) {
    throw new RangeError(`maxPartitions must be an integer >= 1, got ${limits.maxPartitions}`);
  }
  const minPartitions = limits.minPartitions ?? 1;
  if (!Number.isInteger(minPartitions) || minPartitions < 1) throw new RangeError(`minPartitions must be an integer >= 1, got ${minPartitions}`);
  const totalBytes = input.documentCount * input.averageDocumentSize;
  const wanted = Math.ceil(totalBytes / limits.targetPartitionBytes);
  const forParallelism = Math.min(minPartitions, Math.floor(totalBytes / MIN_PARALLEL_PARTITION_BYTES));
  return Math.min(limits.maxPartitions, Math.max(1, wanted, forParallelism));
}

function distinctInOrder(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ids) {
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/**
 * Splits the whole _id space into contiguous ranges: the first starts at MinKey, the last ends
 * at MaxKey, and each range's max is the next range's min. Boundaries are evenly spaced
 * quantiles of the samples, so partitions hold about the same number of documents.
 */
export function planPartitions(input: PartitionPlanInput, limits: PartitionPlanLimits): IdRange[] {
  const wanted = desiredPartitionCount(input, limits);
  const samples = distinctInOrder(input.sampledIds);
  const boundaryCount = Math.min(wanted - 1, samples.length);
  const boundaries: string[] = [];
  for (let k = 1; k <= boundaryCount; k++) {
    boundaries.push(samples[Math.floor((k * samples.length) / (boundaryCount + 1))]);
  }
  const ranges: IdRange[] = [];
  let min: string | null = null;
  for (const boundary of boundaries) {
    ranges.push({ min, max: boundary });
    min = boundary;
  }
  ranges.push({ min, max: null });
  return ranges;
}

/**
 * Samples per wanted partition. A partition between boundaries k samples apart holds a share of
 * the collection whose relative spread is about 1/sqrt(k): about 32% at 10 samples, 10% at 100.
 * Parallel copiers wait for the largest partition, so with 10 the copy of 4 partitions ran about
 * a third longer than an even split; 100 bring that to a tenth. The sample stays cheap: a random
 * cursor reads only what it returns, and id-sampling.ts bounds it (5% of the documents, a byte
 * budget).
 */
export const SAMPLES_PER_PARTITION = 100;

/** How many _id samples to ask the server for, to plan `desiredPartitionCount` partitions well. */
export function sampleSizeFor(
  input: Pick<PartitionPlanInput, 'documentCount' | 'averageDocumentSize'>,
  limits: PartitionPlanLimits,
  oversampling = SAMPLES_PER_PARTITION,
): number {
  const partitions = desiredPartitionCount({ ...input, sampledIds: [] }, limits);
  if (partitions === 1) return 0;
  return Math.min(input.documentCount, partitions * oversampling);
}
