import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Double, Int32, serialize, type Document } from 'bson';
import { applyUpdateDiff, computeUpdateDiff } from './diff';

test('identical documents have no diff, even with equal values of another numeric type', () => {
  assert.equal(computeUpdateDiff({ _id: 1, a: new Int32(1) }, { _id: 1, a: new Int32(1) }), undefined);
  assert.deepEqual(computeUpdateDiff({ _id: 1, a: new Int32(1) }, { _id: 1, a: new Double(1) }), { u: { a: new Double(1) } });
});

test('changed, added and removed top-level fields: u, i, d', () => {
  const diff = computeUpdateDiff({ _id: 1, a: 1, b: 2, c: 3 }, { _id: 1, a: 5, c: 3, d: 4 });
  assert.deepEqual(diff, { d: { b: false }, u: { a: 5 }, i: { d: 4 } });
});

test('nested documents get sub-diffs', () => {
  const diff = computeUpdateDiff({ _id: 1, s: { x: 1, y: 2 } }, { _id: 1, s: { x: 1, y: 3, z: 1 } });
  assert.deepEqual(diff, { ss: { u: { y: 3 }, i: { z: 1 } } });
});

test('arrays: element updates, appends and truncation', () => {
  assert.deepEqual(computeUpdateDiff({ _id: 1, a: [1, 2, 3] }, { _id: 1, a: [1, 9, 3, 4] }), { sa: { a: true, u1: 9, u3: 4 } });
  assert.deepEqual(computeUpdateDiff({ _id: 1, a: [1, 2, 3] }, { _id: 1, a: [1] }), { sa: { a: true, l: 1 } });
  assert.deepEqual(computeUpdateDiff({ _id: 1, a: [{ x: 1 }] }, { _id: 1, a: [{ x: 2 }] }), { sa: { a: true, s0: { u: { x: 2 } } } });
});

test('opaque paths are logged whole', () => {
  const diff = computeUpdateDiff({ _id: 1, s: { x: 1, y: 2 } }, { _id: 1, s: { x: 1, y: 3 } }, new Set(['s']));
  assert.deepEqual(diff, { u: { s: { x: 1, y: 3 } } });
  const arr = computeUpdateDiff({ _id: 1, a: [1, 2, 3] }, { _id: 1, a: [1, 3] }, new Set(['a']));
  assert.deepEqual(arr, { u: { a: [1, 3] } });
});

test('a change of field order logs the rest of the document as inserts', () => {
  const diff = computeUpdateDiff({ _id: 1, a: 1, b: 2, c: 3 }, { _id: 1, b: 2, a: 1, c: 3 });
  assert.deepEqual(diff, { i: { b: 2, a: 1, c: 3 } });
  assert.deepEqual(Object.keys(applyUpdateDiff({ _id: 1, a: 1, b: 2, c: 3 }, diff!)), ['_id', 'b', 'a', 'c']);
});

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.integer({ min: -5, max: 5 }), fc.constantFrom('x', 'y', null, true), tie('doc'), tie('arr')),
  doc: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('v'), { maxKeys: 4 }),
  arr: fc.array(tie('v'), { maxLength: 4 }),
})).v;
const doc = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), value, { maxKeys: 5 }) as fc.Arbitrary<Document>;

test('applying the diff of (before, after) to before gives exactly after', () => {
  fc.assert(
    fc.property(doc, doc, (before, after) => {
      const b = { _id: 1, ...before };
      const a = { _id: 1, ...after };
      const diff = computeUpdateDiff(b, a);
      const result = diff === undefined ? b : applyUpdateDiff(b, diff);
      assert.deepEqual(Buffer.from(serialize(result)), Buffer.from(serialize(a)));
    }),
    { numRuns: 500 },
  );
});
