import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseIdSampling, largestRandomCursorSample } from '../../../src/sync/id-sampling';

describe('chooseIdSampling', () => {
  it('needs no boundaries for one partition', () => {
    assert.deepEqual(chooseIdSampling({ documentCount: 1e6, averageDocumentSize: 100, partitions: 1, wantedSamples: 0 }), { method: 'none' });
  });

  it('keeps a $sample of small documents as wanted: far below 5% of a large collection', () => {
    assert.deepEqual(chooseIdSampling({ documentCount: 1e6, averageDocumentSize: 1000, partitions: 512, wantedSamples: 5120 }), { method: 'sample', size: 5120 });
  });

  it('shrinks the sample of large documents below 5% of the documents and within the byte budget', () => {
    // 130,000 documents of 500 KB: ten samples per partition would be 3.9% of the documents, 2.4 GB fetched
    const choice = chooseIdSampling({ documentCount: 130_000, averageDocumentSize: 500_000, partitions: 512, wantedSamples: 5120 });
    assert.deepEqual(choice, { method: 'sample', size: 536 });
    // 6,000 documents of 500 KB in 47 partitions: 470 samples would be 7.8%, a full scan and sort
    const few = chooseIdSampling({ documentCount: 6000, averageDocumentSize: 500_000, partitions: 47, wantedSamples: 470 });
    assert.deepEqual(few, { method: 'sample', size: 299 });
    assert.ok(299 < 6000 * 0.05);
  });

  it('walks the _id index when no sample under 5% gives one _id per boundary', () => {
    assert.deepEqual(chooseIdSampling({ documentCount: 300, averageDocumentSize: 20_000, partitions: 20, wantedSamples: 200 }), {
      method: 'walk',
      stride: 15,
      boundaries: 19,
    });
    // $sample reads everything on a collection of 100 documents or fewer, however small the sample
    assert.equal(chooseIdSampling({ documentCount: 100, averageDocumentSize: 16e6, partitions: 8, wantedSamples: 80 }).method, 'walk');
  });
});

describe('largestRandomCursorSample', () => {
  it('stays strictly below 5% of the documents, and is 0 up to 100 documents', () => {
    assert.equal(largestRandomCursorSample(100), 0);
    assert.equal(largestRandomCursorSample(101), 5);
    assert.equal(largestRandomCursorSample(2000), 99);
    assert.equal(largestRandomCursorSample(2001), 100);
    for (let count = 101; count < 5000; count++) assert.ok(largestRandomCursorSample(count) < count * 0.05, `count ${count}`);
  });
});
