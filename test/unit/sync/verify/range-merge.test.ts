// The merge of two _id-sorted streams: each _id gets exactly one verdict, in order, and a
// stream that is not sorted the way the merge compares is refused rather than misreported.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BSON, Int32 } from 'mongodb';
import { compareRawValues } from '../../../../src/sync/verify/bson-order';
import { rawDocumentId, type RawValue } from '../../../../src/sync/verify/raw-bson';
import { IdOrderError, type MergeEntry, type MergeStep, mergeSortedEntries } from '../../../../src/sync/verify/range-merge';

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

async function verdicts(source: MergeEntry[], destination: MergeEntry[]): Promise<[number, MergeStep['verdict']][]> {
  const out: [number, MergeStep['verdict']][] = [];
  for await (const step of mergeSortedEntries(stream(source), stream(destination), compare)) out.push([idOf(step.id), step.verdict]);
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

  it('closes both sides when the consumer stops early', async () => {
    const closed: string[] = [];
    async function* tracked(name: string, entries: MergeEntry[]) {
      try {
        for (const e of entries) yield e;
      } finally {
        closed.push(name);
      }
    }
    for await (const step of mergeSortedEntries(tracked('s', [entry(1, 'a'), entry(2, 'b')]), tracked('d', [entry(1, 'a'), entry(2, 'b')]), compare)) {
      assert.equal(step.verdict, 'same');
      break;
    }
    assert.deepEqual(closed.sort(), ['d', 's']);
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
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
