// How to find the _id boundaries of a collection's copy partitions without reading the
// collection. Activity-side (pure: no imports).
//
// MongoDB's $sample reads only the documents it returns (a pseudo-random cursor) when it is the
// pipeline's first stage, asks for fewer than 5% of the collection's documents and the
// collection holds more than 100 of them; otherwise it reads every document and sorts them at
// random. On documents of hundreds of KB the partition plan's sample (SAMPLES_PER_PARTITION per partition) easily
// passes 5%: a full scan plus sort of the collection. So:
// - `sample`: when a sample under 5% (and within a byte budget, since the random cursor fetches
//   whole documents) still gives at least one _id per boundary, $sample of that size;
// - `walk`: otherwise the collection has few documents for its size (fewer than 20 per wanted
//   partition), and a walk of the _id index alone (a covered query) takes every `stride`-th key
//   as a boundary: a few thousand index keys at most, read in order, so it heartbeats and
//   resumes after the last key it saw.

/** $sample reads only what it returns below this fraction of the collection's documents. */
const RANDOM_CURSOR_FRACTION = 0.05;
/** ... and only on collections with more documents than this. */
const RANDOM_CURSOR_MIN_DOCUMENTS = 100;
/** Bytes of sampled documents fetched at most (beyond one per boundary). */
const SAMPLE_BYTES_BUDGET = 256 * 1024 * 1024;

export type IdSampling =
  | { method: 'none' }
  | { method: 'sample'; size: number }
  | { method: 'walk'; stride: number; boundaries: number };

export interface IdSamplingInput {
  documentCount: number;
  averageDocumentSize: number;
  /** partitions the plan wants (desiredPartitionCount) */
  partitions: number;
  /** samples the plan would like (sampleSizeFor) */
  wantedSamples: number;
}

/** The largest $sample size that keeps the pseudo-random cursor (0 when none does). */
export function largestRandomCursorSample(documentCount: number): number {
  if (documentCount <= RANDOM_CURSOR_MIN_DOCUMENTS) return 0;
  return Math.ceil(documentCount * RANDOM_CURSOR_FRACTION) - 1;
}

export function chooseIdSampling(input: IdSamplingInput): IdSampling {
  if (input.partitions <= 1 || input.wantedSamples <= 0 || input.documentCount <= 0) return { method: 'none' };
  const boundaries = input.partitions - 1;
  const byBytes = input.averageDocumentSize > 0 ? Math.floor(SAMPLE_BYTES_BUDGET / input.averageDocumentSize) : input.wantedSamples;
  const size = Math.min(input.wantedSamples, largestRandomCursorSample(input.documentCount), Math.max(boundaries, byBytes));
  if (size >= boundaries) return { method: 'sample', size };
  return { method: 'walk', stride: Math.max(1, Math.ceil(input.documentCount / input.partitions)), boundaries };
}
