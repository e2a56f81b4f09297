// The merge of two streams of documents sorted by _id (one per side) into a verdict per _id:
// the same content on both sides, different content, only on the source, or only on the
// destination. Pure: the streams are any async iterables. Each stream must be strictly
// increasing under `compare`; when one is not (a cursor sorted differently from the order the
// merge assumes) the merge throws IdOrderError instead of reporting false differences.
import type { RawValue } from './raw-bson';

export interface MergeEntry {
  id: RawValue;
  /** digest of the document's exact bytes */
  digest: Uint8Array;
  /** the document's size in bytes */
  size: number;
}

export type MergeVerdict = 'same' | 'different' | 'missingOnDestination' | 'extraOnDestination';

export interface MergeStep {
  verdict: MergeVerdict;
  /** the _id the verdict is about (the source's when both sides hold it) */
  id: RawValue;
  source?: MergeEntry;
  destination?: MergeEntry;
}

export class IdOrderError extends Error {
  constructor(side: 'source' | 'destination') {
    super(
      `the ${side} returned _ids out of the order the verifier compares them in ` +
        '(a collation the verifier cannot reproduce?); the range cannot be verified',
    );
    this.name = 'IdOrderError';
  }
}

function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Pulls one side, checking that its _ids strictly increase. */
class OrderedSide {
  private readonly iterator: AsyncIterator<MergeEntry>;
  private previous: RawValue | undefined;
  head: MergeEntry | undefined;

  constructor(
    entries: AsyncIterable<MergeEntry>,
    private readonly side: 'source' | 'destination',
    private readonly compare: (a: RawValue, b: RawValue) => number,
  ) {
    this.iterator = entries[Symbol.asyncIterator]();
  }

  async advance(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done) {
      this.head = undefined;
      return;
    }
    if (this.previous !== undefined && this.compare(this.previous, next.value.id) >= 0) throw new IdOrderError(this.side);
    this.previous = next.value.id;
    this.head = next.value;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/** Merges the two sides, yielding one step per distinct _id, in order. */
export async function* mergeSortedEntries(
  source: AsyncIterable<MergeEntry>,
  destination: AsyncIterable<MergeEntry>,
  compare: (a: RawValue, b: RawValue) => number,
): AsyncGenerator<MergeStep> {
  const left = new OrderedSide(source, 'source', compare);
  const right = new OrderedSide(destination, 'destination', compare);
  try {
    await Promise.all([left.advance(), right.advance()]);
    for (;;) {
      const s = left.head;
      const d = right.head;
      if (s === undefined && d === undefined) return;
      const order = s === undefined ? 1 : d === undefined ? -1 : compare(s.id, d.id);
      if (order < 0) {
        yield { verdict: 'missingOnDestination', id: s!.id, source: s! };
        await left.advance();
      } else if (order > 0) {
        yield { verdict: 'extraOnDestination', id: d!.id, destination: d! };
        await right.advance();
      } else {
        yield { verdict: digestsEqual(s!.digest, d!.digest) ? 'same' : 'different', id: s!.id, source: s!, destination: d! };
        await Promise.all([left.advance(), right.advance()]);
      }
    }
  } finally {
    await Promise.all([left.close(), right.close()]);
  }
}
