import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FULL_RANGE, packUnits, pageLength, parallelPartitions, planKey, type PlannedCollection } from '../../../src/sync/copy-plan';

const small = (coll: string, estimatedBytes = 10): PlannedCollection => ({ db: 'd', coll, estimatedBytes, ranges: [...FULL_RANGE] });
const split = (coll: string, n: number, estimatedBytes = 1000): PlannedCollection => ({
  db: 'd',
  coll,
  estimatedBytes,
  ranges: Array.from({ length: n }, (_, i) => ({ min: i === 0 ? null : String(i), max: i === n - 1 ? null : String(i + 1) })),
});

describe('copy plan', () => {
  it('plan keys are unique per namespace and keep database and collection apart', () => {
    assert.equal(planKey('a', 'b.c'), 'a.b.c');
    // a database name never holds a dot, so the key's first dot ends it
    assert.equal(planKey('a', 'b.c').split('.')[0], 'a');
    assert.notEqual(planKey('ab', 'c'), planKey('a', 'bc'));
  });

  it('packs small collections into units bounded by partition count', () => {
    const units = packUnits([small('a'), small('b'), small('c'), small('d'), small('e')], { maxPartitions: 2, maxBytes: 1e9 }, 7);
    assert.deepEqual(
      units.map((unit) => [unit.unit, unit.partitions.map((p) => p.coll)]),
      [
        [7, ['a', 'b']],
        [8, ['c', 'd']],
        [9, ['e']],
      ],
    );
    assert.deepEqual(units[0]!.partitions[0], { db: 'd', coll: 'a', min: null, max: null });
  });

  it('closes a unit once its estimated bytes reach the bound', () => {
    const units = packUnits([small('a', 60), small('b', 50), small('c', 10), small('d', 10)], { maxPartitions: 100, maxBytes: 100 }, 0);
    assert.deepEqual(
      units.map((unit) => unit.partitions.map((p) => p.coll)),
      [['a', 'b'], ['c', 'd']],
    );
    assert.equal(units[0]!.estimatedBytes, 110);
  });

  it('gives every range of a split collection a unit of its own, in order, between packed neighbours', () => {
    const units = packUnits([small('a'), split('big', 3), small('b')], { maxPartitions: 10, maxBytes: 1e9 }, 0);
    assert.deepEqual(
      units.map((unit) => unit.partitions.map((p) => `${p.coll}:${p.min}-${p.max}`)),
      [['a:null-null'], ['big:null-1'], ['big:1-2'], ['big:2-null'], ['b:null-null']],
    );
    assert.deepEqual(
      units.map((unit) => unit.unit),
      [0, 1, 2, 3, 4],
    );
  });

  it('refuses a collection without ranges and a bad limit', () => {
    assert.throws(() => packUnits([{ db: 'd', coll: 'x', estimatedBytes: 1, ranges: null }], { maxPartitions: 1, maxBytes: 1 }, 0), /d\.x has no planned ranges/);
    assert.throws(() => packUnits([small('a')], { maxPartitions: 0, maxBytes: 1 }, 0), RangeError);
  });

  it('every planned partition lands in exactly one unit, in plan order, and units stay within the limits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partitions: fc.integer({ min: 1, max: 5 }), bytes: fc.integer({ min: 0, max: 500 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.nat(50),
        (specs, maxPartitions, maxBytes, firstUnit) => {
          const collections = specs.map((spec, i) => (spec.partitions === 1 ? small(`c${i}`, spec.bytes) : split(`c${i}`, spec.partitions, spec.bytes)));
          const units = packUnits(collections, { maxPartitions, maxBytes }, firstUnit);
          const flattened = units.flatMap((unit) => unit.partitions.map((p) => `${p.coll}:${p.min}`));
          const expected = collections.flatMap((c) => c.ranges!.map((r) => `${c.coll}:${r.min}`));
          assert.deepEqual(flattened, expected);
          units.forEach((unit, i) => {
            assert.equal(unit.unit, firstUnit + i);
            assert.ok(unit.partitions.length >= 1 && unit.partitions.length <= maxPartitions);
            const collectionsInUnit = new Set(unit.partitions.map((p) => p.coll));
            // a unit holds either one range of a split collection or whole small collections
            if (collectionsInUnit.size > 1) assert.equal(unit.partitions.length, collectionsInUnit.size);
          });
        },
      ),
    );
  });

  it('ends a page at the collection that reaches the partition bound, taking at least one', () => {
    assert.equal(pageLength([small('a'), small('b'), small('c')], 2), 2);
    assert.equal(pageLength([split('big', 10), small('b')], 4), 1);
    assert.equal(pageLength([small('a'), small('b')], 100), 2);
    assert.equal(pageLength([], 3), 0);
  });

  it('parallelPartitions: a collection alone is shared by every worker, one of many small ones is not split', () => {
    assert.equal(parallelPartitions(10e6, 10e6, 4), 4);
    assert.equal(parallelPartitions(5e6, 10e6, 4), 2);
    assert.equal(parallelPartitions(6e6, 10e6, 4), 3);
    assert.equal(parallelPartitions(1e3, 10e6, 4), 1);
    assert.equal(parallelPartitions(10e6, 1, 4), 4, 'an underestimated total counts the collection itself');
    assert.equal(parallelPartitions(0, 0, 4), 1);
    assert.equal(parallelPartitions(10e6, 10e6, 1), 1);
  });

  it('property: parallelPartitions adds fewer extra partitions to a plan than there are workers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 64 }), (sizes, workers) => {
        const total = sizes.reduce((sum, size) => sum + size, 0);
        const extra = sizes.reduce((sum, size) => sum + parallelPartitions(size, total, workers) - 1, 0);
        assert.ok(extra <= workers, `extra ${extra} for ${workers} workers`);
      }),
    );
  });
});
