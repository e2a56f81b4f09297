import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { desiredPartitionCount, MIN_PARALLEL_PARTITION_BYTES, planPartitions, sampleSizeFor, type IdRange } from '../../../src/sync/partition-plan';

const ids = (n: number): string[] => Array.from({ length: n }, (_, k) => JSON.stringify({ $numberInt: String(k) }));

function assertContiguous(ranges: IdRange[]): void {
  assert.ok(ranges.length >= 1);
  assert.equal(ranges[0].min, null, 'the first range starts at MinKey');
  assert.equal(ranges[ranges.length - 1].max, null, 'the last range ends at MaxKey');
  for (let k = 0; k + 1 < ranges.length; k++) {
    assert.equal(ranges[k].max, ranges[k + 1].min, 'no gap and no overlap between neighbours');
    assert.notEqual(ranges[k].max, null);
  }
}

describe('partition planning', () => {
  it('a small or empty collection is one range over the whole _id space', () => {
    assert.deepEqual(planPartitions({ documentCount: 0, averageDocumentSize: 0, sampledIds: [] }, { targetPartitionBytes: 1024, maxPartitions: 8 }), [
      { min: null, max: null },
    ]);
    assert.deepEqual(planPartitions({ documentCount: 10, averageDocumentSize: 10, sampledIds: ids(5) }, { targetPartitionBytes: 1024, maxPartitions: 8 }), [
      { min: null, max: null },
    ]);
  });

  it('splits at evenly spaced sample quantiles', () => {
    const ranges = planPartitions({ documentCount: 1000, averageDocumentSize: 100, sampledIds: ids(100) }, { targetPartitionBytes: 25_000, maxPartitions: 10 });
    assert.equal(ranges.length, 4);
    assert.deepEqual(
      ranges.map((r) => r.max),
      [ids(100)[25], ids(100)[50], ids(100)[75], null],
    );
    assertContiguous(ranges);
  });

  it('caps at maxPartitions and at the number of distinct samples + 1', () => {
    assert.equal(desiredPartitionCount({ documentCount: 1e9, averageDocumentSize: 1000, sampledIds: [] }, { targetPartitionBytes: 1, maxPartitions: 16 }), 16);
    const ranges = planPartitions({ documentCount: 1e6, averageDocumentSize: 100, sampledIds: ['"a"', '"a"', '"b"'] }, { targetPartitionBytes: 1, maxPartitions: 100 });
    assert.equal(ranges.length, 3);
    assertContiguous(ranges);
  });

  it('refuses nonsensical inputs', () => {
    const input = { documentCount: 1, averageDocumentSize: 1, sampledIds: [] };
    assert.throws(() => planPartitions(input, { targetPartitionBytes: 0, maxPartitions: 1 }), RangeError);
    assert.throws(() => planPartitions(input, { targetPartitionBytes: 1, maxPartitions: 0 }), RangeError);
    assert.throws(() => planPartitions({ ...input, documentCount: -1 }, { targetPartitionBytes: 1, maxPartitions: 1 }), RangeError);
    assert.throws(() => planPartitions({ ...input, averageDocumentSize: Number.NaN }, { targetPartitionBytes: 1, maxPartitions: 1 }), RangeError);
  });

  it('sample size grows with the partition count and never exceeds the collection', () => {
    assert.equal(sampleSizeFor({ documentCount: 10, averageDocumentSize: 1 }, { targetPartitionBytes: 1000, maxPartitions: 8 }), 0);
    assert.equal(sampleSizeFor({ documentCount: 1e6, averageDocumentSize: 100 }, { targetPartitionBytes: 1e6, maxPartitions: 8 }), 800);
    assert.equal(sampleSizeFor({ documentCount: 20, averageDocumentSize: 1e6 }, { targetPartitionBytes: 1e6, maxPartitions: 8 }), 20);
  });

  it('property: ranges cover the whole space without gaps or overlaps, within the count bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e7 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 1e8 }),
        fc.integer({ min: 1, max: 64 }),
        (documentCount, averageDocumentSize, sampleValues, targetPartitionBytes, maxPartitions) => {
          const sampledIds = [...sampleValues].sort((a, b) => a - b).map((v) => JSON.stringify({ $numberInt: String(v) }));
          const ranges = planPartitions({ documentCount, averageDocumentSize, sampledIds }, { targetPartitionBytes, maxPartitions });
          assertContiguous(ranges);
          const distinct = new Set(sampledIds).size;
          const wanted = desiredPartitionCount({ documentCount, averageDocumentSize, sampledIds }, { targetPartitionBytes, maxPartitions });
          assert.ok(ranges.length <= maxPartitions);
          assert.ok(ranges.length <= distinct + 1);
          assert.equal(ranges.length, Math.min(wanted, distinct + 1));
          // boundaries are sample values in the given (server) order, strictly increasing
          const bounds = ranges.slice(1).map((r) => r.min as string);
          const positions = bounds.map((b) => sampledIds.indexOf(b));
          assert.ok(positions.every((p) => p >= 0));
          for (let k = 1; k < positions.length; k++) assert.ok(positions[k] > positions[k - 1]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: every _id falls in exactly one range', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 12 }), (values, maxPartitions) => {
        const sorted = [...values].sort((a, b) => a - b);
        const ranges = planPartitions(
          { documentCount: 1e6, averageDocumentSize: 1e3, sampledIds: sorted.map(String) },
          { targetPartitionBytes: 1, maxPartitions },
        );
        for (let id = -5; id <= 105; id++) {
          const inRange = (r: IdRange) => (r.min === null || id >= Number(r.min)) && (r.max === null || id < Number(r.max));
          assert.equal(ranges.filter(inRange).length, 1, `id ${id}`);
        }
      }),
    );
  });

  it('minPartitions splits a collection below the target size for parallel copiers, each part at least MIN_PARALLEL_PARTITION_BYTES', () => {
    const limits = { targetPartitionBytes: 64 * 1024 * 1024, maxPartitions: 512 };
    const tenMegabytes = { documentCount: 10_000, averageDocumentSize: 1024, sampledIds: [] };
    assert.equal(desiredPartitionCount(tenMegabytes, limits), 1, 'by size alone: one partition');
    assert.equal(desiredPartitionCount(tenMegabytes, { ...limits, minPartitions: 4 }), 4);
    const threeParts = { documentCount: 3, averageDocumentSize: MIN_PARALLEL_PARTITION_BYTES + 1, sampledIds: [] };
    assert.equal(desiredPartitionCount(threeParts, { ...limits, minPartitions: 8 }), 3, 'no part below the minimum size');
    assert.equal(desiredPartitionCount({ documentCount: 10, averageDocumentSize: 100, sampledIds: [] }, { ...limits, minPartitions: 8 }), 1);
    assert.equal(desiredPartitionCount(tenMegabytes, { ...limits, maxPartitions: 2, minPartitions: 4 }), 2, 'maxPartitions still caps');
    assert.equal(desiredPartitionCount({ documentCount: 1000, averageDocumentSize: 1024 * 1024, sampledIds: [] }, { ...limits, minPartitions: 4 }), 16, 'the size wants more');
    assert.throws(() => desiredPartitionCount(tenMegabytes, { ...limits, minPartitions: 0 }), /minPartitions/);
    const ranges = planPartitions({ ...tenMegabytes, sampledIds: ids(40) }, { ...limits, minPartitions: 4 });
    assert.equal(ranges.length, 4);
    assertContiguous(ranges);
  });
});
