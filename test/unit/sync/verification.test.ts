// How the embedded verifier sizes its spans of work units (src/sync/verification.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_VERIFICATION_SPAN, verificationSpan } from '../../../src/sync/verification';

/** The spans a pass of `units` units takes when spans are opened one after another. */
function spans(units: number, concurrency: number): number[] {
  const taken: number[] = [];
  for (let next = 0; next < units; ) {
    const span = verificationSpan(units - next, concurrency);
    taken.push(span);
    next += span;
  }
  return taken;
}

test('many small units are compared a span at a time, every unit once', () => {
  const taken = spans(2000, 2);
  assert.equal(taken.reduce((a, b) => a + b, 0), 2000);
  assert.ok(taken.length <= 60, `${taken.length} spans`);
  assert.ok(taken.every((span) => span >= 1 && span <= MAX_VERIFICATION_SPAN));
});

test('the last spans shrink to single units, so every slot stays busy to the end', () => {
  const taken = spans(40, 2);
  assert.deepEqual(taken.slice(-4), [1, 1, 1, 1]);
  assert.ok(taken[0]! <= 40 / 4, 'a span takes at most a quarter of what is left at concurrency 2');
});

test('a few units get a span each', () => {
  assert.deepEqual(spans(3, 2), [1, 1, 1]);
  assert.equal(verificationSpan(0, 2), 1);
  assert.equal(verificationSpan(1, 0), 1);
});
