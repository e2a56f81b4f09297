// The merge of two _id-sorted streams: each _id gets exactly one verdict, in order, and a
// stream that is not sorted the way the merge compares is refused rather than misreported.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BSON, Int32 } from 'mongodb';
import { compareRawValues } from '../../../../src/sync/verify/bson-order';
import { rawDocumentId, type RawValue } from '../../../../src/sync/verify/raw-bson';
import { type EntrySource, entrySourceOf, IdOrderError, type MergeEntry, type MergeStep, mergeSortedEntries } from '../../../../src/sync/verify/range-merge';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`range-merge property seed: ${SEED} (rerun with FC_SEED=${SEED})`);

function entry(id: number, content: string): MergeEntry {
  return { id: rawDocumentId(BSON.serialize({ _id: new Int32(id) })), digest: Buffer.from(content), size: content.length };
}

async function* stream(entries: MergeEntry[]): AsyncGenerator<MergeEntry> {
  for (const e of entries) yield e;
}

const compare = (a: RawValue, b: RawValue) => compareRawValues(a, b);
const idOf = (raw: RawValue) => BSON.deserialize(Buffer.from(raw.bytes))._id as number;

/** A source that answers synchronously within batches of `size` and with a promise between them. */
function batched(entries: MergeEntry[], size: number): EntrySource {
  let at = 0;
  let buffered = 0;
  return {
    next() {
      if (buffered > 0) {
        buffered--;
        return entries[at++] ?? null;
      }
      return Promise.resolve().then(() => {
        buffered = size - 1;
        return entries[at++] ?? null;
      });
    },
  };
}

async function verdicts(source: MergeEntry[], destination: MergeEntry[], sides: (e: MergeEntry[]) => EntrySource = (e) => entrySourceOf(stream(e))): Promise<[number, MergeStep['verdict']][]> {
  const out: [number, MergeStep['verdict']][] = [];
  await mergeSortedEntries(sides(source), sides(destination), compare, (step) => void out.push([idOf(step.id), step.verdict]));
  return out;
}

describe('mergeSortedEntries', () => {
  it('gives one verdict per _id, in order', async () => {
    const source = [entry(1, 'a'), entry(2, 'b'), entry(4, 'd'), entry(5, 'e')];
    const destination = [entry(2, 'b'), entry(3, 'c'), entry(4, 'D'), entry(6, 'f')];
    assert.deepEqual(await verdicts(source, destination), [
      [1, 'missingOnDestination'],
      [2, 'same'],
      [3, 'extraOnDestination'],
      [4, 'different'],
      [5, 'missingOnDestination'],
      [6, 'extraOnDestination'],
    ]);
    assert.deepEqual(await verdicts([], []), []);
  });

  it('refuses a side whose _ids do not strictly increase', async () => {
    await assert.rejects(verdicts([entry(2, 'a'), entry(1, 'b')], []), (error: unknown) => error instanceof IdOrderError && /source/.test(error.message));
    await assert.rejects(verdicts([], [entry(1, 'a'), entry(1, 'b')]), (error: unknown) => error instanceof IdOrderError && /destination/.test(error.message));
  });

  it('awaits a step handler that returns a promise before the next step', async () => {
    const seen: number[] = [];
    let pending = 0;
    await mergeSortedEntries(batched([entry(1, 'a'), entry(2, 'b'), entry(3, 'c')], 2), batched([entry(2, 'b')], 2), compare, async (step) => {
      assert.equal(pending, 0, 'no step starts while the previous one is pending');
      pending++;
      await new Promise((resolve) => setImmediate(resolve));
      pending--;
      seen.push(idOf(step.id));
    });
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('a step handler that fails leaves no read of a side unhandled (a stray rejection would end the worker process)', async () => {
    // The refill a side started before the handler failed rejects afterwards, as a getMore does
    // once the failed comparison closed its cursor.
    let rejectRefill: (error: Error) => void = () => {};
    let refillRejected: () => void = () => {};
    const rejected = new Promise<void>((resolve) => {
      refillRejected = resolve;
    });
    const failingLater: EntrySource = {
      next: () => new Promise<MergeEntry | null>((_, reject) => {
        rejectRefill = reject;
      }),
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const first = batched([entry(1, 'a')], 1);
      let sourceCalls = 0;
      const source: EntrySource = { next: () => (sourceCalls++ === 0 ? first.next() : failingLater.next()) };
      const merged = mergeSortedEntries(source, batched([], 1), compare, () => {
        setImmediate(() => {
          rejectRefill(new Error('cursor id 1 not found'));
          refillRejected();
        });
        throw new Error('cancelled');
      });
      await assert.rejects(merged, /cancelled/);
      await rejected;
      // Node reports an unhandled rejection once the microtasks after it have run.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('agrees with a set comparison of random sides', async () => {
    const side = fc.dictionary(fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom('x', 'y'), { maxKeys: 30 });
    await fc.assert(
      fc.asyncProperty(side, side, async (s, d) => {
        const sorted = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => entry(Number(k), v)).sort((a, b) => compare(a.id, b.id));
        const expected: [number, MergeStep['verdict']][] = [...new Set([...Object.keys(s), ...Object.keys(d)].map(Number))]
          .sort((a, b) => a - b)
          .map((id) => [id, !(id in d) ? 'missingOnDestination' : !(id in s) ? 'extraOnDestination' : s[id] === d[id] ? 'same' : 'different']);
        assert.deepEqual(await verdicts(sorted(s), sorted(d)), expected);
        assert.deepEqual(await verdicts(sorted(s), sorted(d), (e) => batched(e, 3)), expected, 'sources answering synchronously within batches');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
