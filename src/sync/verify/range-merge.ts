// The merge of two streams of documents sorted by _id (one per side) into a verdict per _id:
// the same content on both sides, different content, only on the source, or only on the
// destination. Pure: the sides are any sources of entries. Each stream must be strictly
// increasing under `compare`; when one is not (a cursor sorted differently from the order the
// merge assumes) the merge throws IdOrderError instead of reporting false differences.
import type { RawValue } from './raw-bson';

export interface MergeEntry {
  id: RawValue;
  /**
   * what identifies the document's exact bytes: the bytes themselves (compareRange), or a digest
   * of them; two entries are the same document when these are byte for byte equal
   */
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
  // memcmp: a document's whole bytes are compared as cheaply as a digest's
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * One side's entries in _id order. `next` answers synchronously while it holds buffered entries
 * and with a promise only when it must wait for more (null: the side is exhausted), so the
 * merge costs no promise per document.
 */
export interface EntrySource {
  next(): MergeEntry | null | Promise<MergeEntry | null>;
}

/** An EntrySource over any async iterable (one promise per entry). */
export function entrySourceOf(entries: AsyncIterable<MergeEntry>): EntrySource & { close(): Promise<void> } {
  const iterator = entries[Symbol.asyncIterator]();
  return {
    next: () => iterator.next().then((r) => (r.done ? null : r.value)),
    close: async () => {
      await iterator.return?.();
    },
  };
}

/** Pulls one side, checking that its _ids strictly increase. */
class OrderedSide {
  private previous: RawValue | undefined;
  head: MergeEntry | null = null;

  constructor(
    private readonly source: EntrySource,
    private readonly side: 'source' | 'destination',
    private readonly compare: (a: RawValue, b: RawValue) => number,
  ) {}

  private accept(next: MergeEntry | null): void {
    if (next !== null) {
      if (this.previous !== undefined && this.compare(this.previous, next.id) >= 0) throw new IdOrderError(this.side);
      this.previous = next.id;
    }
    this.head = next;
  }

  /** Moves to the next entry; a promise only when the side had to wait. */
  advance(): void | Promise<void> {
    const next = this.source.next();
    if (next instanceof Promise) return next.then((entry) => this.accept(entry));
    this.accept(next);
  }
}

/**
 * Merges the two sides, calling `onStep` once per distinct _id, in order (awaited when it
 * returns a promise).
 */
export async function mergeSortedEntries(
  source: EntrySource,
  destination: EntrySource,
  compare: (a: RawValue, b: RawValue) => number,
  onStep: (step: MergeStep) => void | Promise<void>,
): Promise<void> {
  const left = new OrderedSide(source, 'source', compare);
  const right = new OrderedSide(destination, 'destination', compare);
  await Promise.all([left.advance(), right.advance()]);
  for (;;) {
    const s = left.head;
    const d = right.head;
    if (s === null && d === null) return;
    const order = s === null ? 1 : d === null ? -1 : compare(s.id, d.id);
    let step: MergeStep;
    let moved: void | Promise<void> | [void | Promise<void>, void | Promise<void>];
    if (order < 0) {
      step = { verdict: 'missingOnDestination', id: s!.id, source: s! };
      moved = left.advance();
    } else if (order > 0) {
      step = { verdict: 'extraOnDestination', id: d!.id, destination: d! };
      moved = right.advance();
    } else {
      step = { verdict: digestsEqual(s!.digest, d!.digest) ? 'same' : 'different', id: s!.id, source: s!, destination: d! };
      moved = [left.advance(), right.advance()];
    }
    const reads = Array.isArray(moved) ? moved : [moved];
    try {
      const handled = onStep(step);
      if (handled instanceof Promise) await handled;
    } catch (error) {
      // The reads already started must settle before the caller closes the cursors: one that
      // failed afterwards, unawaited, would be an unhandled rejection, which ends the worker.
      await Promise.allSettled(reads);
      throw error;
    }
    if (reads.some((read) => read instanceof Promise)) await Promise.all(reads);
  }
}
