// $sample as mongod runs it. When $sample is a collection pipeline's first stage, asks for fewer
// than 5% of the collection's documents and the collection holds more than 100, the server
// reads through a pseudo-random cursor (WiredTiger's random descent of the B-tree): it reads
// only the documents it returns, and skips a document it already returned. Otherwise it reads
// every input document and keeps the N with the smallest random sort keys (a top-k random sort):
// min(N, input) documents, each at most once.
import type { Document } from 'bson';
import { Lazy } from 'mingo/lazy';
import { commandError } from '../errors';
import { isPlainDocument, toNumber } from '../bson/values';

type LazyIterator = ReturnType<typeof Lazy>;

/** The random cursor applies below this fraction of the collection's documents... */
const RANDOM_CURSOR_FRACTION = 0.05;
/** ...and only on collections with more documents than this. */
const RANDOM_CURSOR_MIN_DOCUMENTS = 100;
/** The random cursor gives up after this many documents in a row it had already returned. */
const MAX_CONSECUTIVE_DUPLICATES = 100;

/** The N of `{$sample: {size: N}}`, validated as mongod does. */
export function sampleSize(spec: unknown): number {
  if (!isPlainDocument(spec)) throw commandError(28745, 'the $sample stage specification must be an object');
  let size: number | undefined;
  for (const [key, value] of Object.entries(spec)) {
    if (key !== 'size') throw commandError(28748, `unrecognized option to $sample: ${key}`);
    const n = toNumber(value);
    if (n === undefined) throw commandError(28746, 'size argument to $sample must be a number');
    if (n < 0) throw commandError(28747, 'size argument to $sample must not be negative');
    size = Math.floor(n);
  }
  if (size === undefined) throw commandError(28749, '$sample stage must specify a size');
  return size;
}

/** True when mongod answers a leading {$sample: {size}} on a collection of `documents` with a random cursor. */
export function usesRandomCursor(size: number, documents: number): boolean {
  return documents > RANDOM_CURSOR_MIN_DOCUMENTS && size < documents * RANDOM_CURSOR_FRACTION;
}

/**
 * The random cursor: `size` distinct items picked at random positions of `items`, touching only
 * the positions it picks (expected O(size) reads, since size is under 5% of the items).
 */
export function sampleFromRandomCursor<T>(items: ArrayLike<T>, size: number, random: () => number = Math.random): T[] {
  const picked = new Set<number>();
  const out: T[] = [];
  let duplicates = 0;
  while (out.length < size && out.length < items.length) {
    const at = Math.floor(random() * items.length);
    if (picked.has(at)) {
      if (++duplicates >= MAX_CONSECUTIVE_DUPLICATES) {
        throw commandError(28799, `$sample stage could not find a non-duplicate document after ${MAX_CONSECUTIVE_DUPLICATES} while using a random cursor. This is likely a sporadic failure, please try again.`);
      }
      continue;
    }
    duplicates = 0;
    picked.add(at);
    out.push(items[at]);
  }
  return out;
}

/** The collection scan's random top-k sort: min(size, items) distinct items in random order. */
export function sampleByRandomSort<T>(items: readonly T[], size: number, random: () => number = Math.random): T[] {
  const keyed = items.map((item) => ({ item, key: random() }));
  keyed.sort((a, b) => a.key - b.key);
  return keyed.slice(0, size).map((entry) => entry.item);
}

/** $sample anywhere else in a pipeline (mingo's own picks with replacement, which mongod never does). */
export const $sample = (coll: LazyIterator, spec: unknown, _options: object): LazyIterator => {
  const size = sampleSize(spec);
  return coll.transform((docs: unknown[]) => Lazy(sampleByRandomSort(docs as Document[], size)));
};

export const SAMPLE_PIPELINE_OPERATORS = { $sample };
