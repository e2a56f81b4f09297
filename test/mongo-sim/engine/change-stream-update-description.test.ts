import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateDescriptionFromDiff } from './change-stream-update-description';

test('changed, added and removed top-level fields', () => {
  assert.deepEqual(updateDescriptionFromDiff({ u: { a: 1 }, i: { b: 'x' }, d: { c: false } }), {
    updatedFields: { a: 1, b: 'x' },
    removedFields: ['c'],
    truncatedArrays: [],
    disambiguatedPaths: {},
  });
});

test('changed fields come before added ones whatever the order of the sections', () => {
  const d = updateDescriptionFromDiff({ i: { x: 1 }, u: { y: 2 } });
  assert.deepEqual(Object.keys(d.updatedFields), ['y', 'x']);
});

test('nested object changes become dotted paths, after the fields of the parent level', () => {
  const d = updateDescriptionFromDiff({ sa: { u: { b: 1 }, d: { gone: false }, sc: { i: { e: true } } }, u: { top: 0 } });
  assert.deepEqual(d.updatedFields, { top: 0, 'a.b': 1, 'a.c.e': true });
  assert.deepEqual(d.removedFields, ['a.gone']);
});

test('array diffs: truncation, element updates and nested element diffs', () => {
  const d = updateDescriptionFromDiff({ sarr: { a: true, l: 2, u3: 'x', s1: { u: { y: 1 } } } });
  assert.deepEqual(d, {
    updatedFields: { 'arr.3': 'x', 'arr.1.y': 1 },
    removedFields: [],
    truncatedArrays: [{ field: 'arr', newSize: 2 }],
    disambiguatedPaths: {},
  });
});

test('a numeric field name below the top level is ambiguous', () => {
  const d = updateDescriptionFromDiff({ sa: { u: { '1': 2 } } });
  assert.deepEqual(d.updatedFields, { 'a.1': 2 });
  assert.deepEqual(d.disambiguatedPaths, { 'a.1': ['a', '1'] });
});

test('array indices are integers in disambiguated paths', () => {
  const d = updateDescriptionFromDiff({ sa: { a: true, s0: { u: { '1': 2 } } } });
  assert.deepEqual(d.updatedFields, { 'a.0.1': 2 });
  assert.deepEqual(d.disambiguatedPaths, { 'a.0.1': ['a', 0, '1'] });
});

test('array indices alone do not make a path ambiguous', () => {
  const d = updateDescriptionFromDiff({ sa: { a: true, u0: 1, s1: { u: { b: 2 } } } });
  assert.deepEqual(d.disambiguatedPaths, {});
});

test('a numeric top-level field and a leading-zero field are not ambiguous', () => {
  assert.deepEqual(updateDescriptionFromDiff({ u: { '1': 5 } }).disambiguatedPaths, {});
  assert.deepEqual(updateDescriptionFromDiff({ sa: { u: { '01': 5 } } }).disambiguatedPaths, {});
});

test('a field name with a dot is ambiguous, even at the top level', () => {
  const d = updateDescriptionFromDiff({ u: { 'a.b': 1 } });
  assert.deepEqual(d.updatedFields, { 'a.b': 1 });
  assert.deepEqual(d.disambiguatedPaths, { 'a.b': ['a.b'] });
});

test('ambiguity carries to deeper paths, removed fields and truncated arrays', () => {
  const d = updateDescriptionFromDiff({ sa: { s2: { u: { b: 1 } }, d: { '5': false }, s3: { a: true, l: 1 } } });
  assert.deepEqual(d.updatedFields, { 'a.2.b': 1 });
  assert.deepEqual(d.removedFields, ['a.5']);
  assert.deepEqual(d.truncatedArrays, [{ field: 'a.3', newSize: 1 }]);
  assert.deepEqual(d.disambiguatedPaths, { 'a.5': ['a', '5'], 'a.2.b': ['a', '2', 'b'], 'a.3': ['a', '3'] });
});
