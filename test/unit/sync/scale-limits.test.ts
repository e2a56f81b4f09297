import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectionCountProblem, documentSizeProblem, MAX_SYNCED_COLLECTIONS } from '../../../src/sync/scale-limits';

describe('scale limits', () => {
  it('accepts up to the collection limit and names the limit beyond it', () => {
    assert.equal(collectionCountProblem(MAX_SYNCED_COLLECTIONS), null);
    assert.equal(collectionCountProblem(0), null);
    const problem = collectionCountProblem(MAX_SYNCED_COLLECTIONS + 1);
    assert.match(problem!, new RegExp(`more than ${MAX_SYNCED_COLLECTIONS} collections`));
    assert.match(problem!, /MAX_SYNCED_COLLECTIONS/);
    assert.match(collectionCountProblem(6, 5)!, /more than 5 collections .*at most 5 collections/);
  });

  it('refuses a destination that accepts smaller documents than the source', () => {
    assert.equal(documentSizeProblem(16 * 1024 * 1024, 16 * 1024 * 1024), null);
    assert.equal(documentSizeProblem(8, 16), null);
    assert.match(documentSizeProblem(16 * 1024 * 1024, 1024)!, /up to 16777216 bytes but the destination only 1024 \(maxBsonObjectSize\)/);
    assert.match(documentSizeProblem(Number.NaN, 16)!, /cannot compare/);
  });
});
