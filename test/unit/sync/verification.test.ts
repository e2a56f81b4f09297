// How the embedded verifier sizes its spans of work units and names what its commit check found
// (src/sync/verification.ts, src/sync/verify/catalog-mismatch.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitCheckFailureMessage, describeMismatch, MAX_VERIFICATION_SPAN, verificationSpan } from '../../../src/sync/verification';
import { catalogMismatchKey, catalogVerificationMismatch, MAX_CATALOG_DETAIL_CHARS } from '../../../src/sync/verify/catalog-mismatch';

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

test('a failed commit check names documents and catalog differences, each bounded, and says the destination stays blocked', () => {
  const none = { mismatchCount: 0, mismatches: [] };
  const documents = { mismatchCount: 3, mismatches: [{ ns: 'app.items', id: '{"$numberInt":"9"}', kind: 'missingOnDestination' }] };
  const catalog = {
    mismatchCount: 1,
    mismatches: [{ ns: 'app.items', id: null, kind: 'indexMissingOnDestination', detail: "index 'email_1' is missing on the destination" }],
  };
  assert.equal(
    commitCheckFailureMessage(documents, none),
    'verification found 3 documents that differ after every event was applied: app.items document _id {"$numberInt":"9"} is missing on the destination (and 2 more); the destination stays write-blocked',
  );
  assert.equal(
    commitCheckFailureMessage(none, catalog),
    "verification found 1 catalog difference (collection options, indexes, views): app.items: index 'email_1' is missing on the destination; the destination stays write-blocked",
  );
  const both = commitCheckFailureMessage(documents, catalog);
  assert.match(both, /3 documents that differ .*\(and 2 more\), and 1 catalog difference .*app\.items: index 'email_1' is missing/);
});

test('a catalog difference is keyed by what differs and carried without its namespace, bounded', () => {
  assert.equal(catalogMismatchKey({ kind: 'indexOptionDiffers', index: 'a_1', option: 'unique' }), 'index a_1 option unique');
  assert.equal(catalogMismatchKey({ kind: 'indexMissingOnDestination', index: 'a_1' }), 'index a_1');
  assert.equal(catalogMismatchKey({ kind: 'optionDiffers', option: 'validator' }), 'option validator');
  assert.equal(catalogMismatchKey({ kind: 'collectionMissingOnDestination' }), 'collectionMissingOnDestination');
  const shown = catalogVerificationMismatch({ db: 'app', coll: 'items', kind: 'optionDiffers', message: "app.items: option 'validator' is {} on the source and absent on the destination" });
  assert.deepEqual(shown, { ns: 'app.items', id: null, kind: 'optionDiffers', detail: "option 'validator' is {} on the source and absent on the destination" });
  assert.equal(describeMismatch(shown), "app.items: option 'validator' is {} on the source and absent on the destination");
  const huge = catalogVerificationMismatch({ db: 'app', coll: 'items', kind: 'optionDiffers', message: `app.items: option 'validator' is ${'x'.repeat(10_000)}` });
  assert.equal(huge.detail!.length, MAX_CATALOG_DETAIL_CHARS, 'a large validator does not grow the workflow state');
});
