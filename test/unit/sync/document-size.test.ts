import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BSON, ObjectId } from 'mongodb';
import { averageDocumentSize, batchBySize, bsonSize, estimateCollectionBytes, totalBsonSize } from '../../../src/sync/document-size';

describe('document size', () => {
  it('measures the exact serialized size', () => {
    assert.equal(bsonSize({}), 5);
    assert.equal(bsonSize({ a: 1 }), 12);
    const doc = { _id: new ObjectId(), name: 'x'.repeat(100), nested: { list: [1, 2, 3] } };
    assert.equal(bsonSize(doc), BSON.serialize(doc).length);
    assert.equal(totalBsonSize([doc, {}]), bsonSize(doc) + 5);
  });

  it('estimates collection bytes from stats', () => {
    assert.equal(estimateCollectionBytes({ size: 1234.4, count: 10, avgObjSize: 1 }), 1234);
    assert.equal(estimateCollectionBytes({ count: 10, avgObjSize: 12.5 }), 125);
    assert.equal(estimateCollectionBytes({}), 0);
    assert.equal(estimateCollectionBytes({ size: -1 }), 0);
    assert.equal(averageDocumentSize({ avgObjSize: 40 }), 40);
    assert.equal(averageDocumentSize({ size: 100, count: 4 }), 25);
    assert.equal(averageDocumentSize({ count: 0 }), 0);
  });

  it('property: batches keep order, respect both limits, and account for every byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ _id: fc.nat(), s: fc.string({ maxLength: 60 }) }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 10 }),
        (docs, maxBytes, maxCount) => {
          const batches = batchBySize(docs, maxBytes, maxCount);
          assert.deepEqual(batches.flatMap((b) => b.docs), docs);
          for (const batch of batches) {
            assert.ok(batch.docs.length >= 1 && batch.docs.length <= maxCount);
            assert.equal(batch.bytes, totalBsonSize(batch.docs));
            if (batch.docs.length > 1) assert.ok(batch.bytes <= maxBytes);
          }
        },
      ),
    );
  });

  it('refuses nonsensical limits', () => {
    assert.throws(() => batchBySize([], 0, 1), RangeError);
    assert.throws(() => batchBySize([], 10, 0), RangeError);
  });
});
