import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, ObjectId } from 'mongodb';
import { averageDocumentSize, bsonSize, estimateCollectionBytes } from '../../../src/sync/document-size';

describe('document size', () => {
  it('measures the exact serialized size', () => {
    assert.equal(bsonSize({}), 5);
    assert.equal(bsonSize({ a: 1 }), 12);
    const doc = { _id: new ObjectId(), name: 'x'.repeat(100), nested: { list: [1, 2, 3] } };
    assert.equal(bsonSize(doc), BSON.serialize(doc).length);
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
});
