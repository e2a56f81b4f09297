import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clusterTimeFromResumeToken, compareClusterTimes, maxClusterTime, type ClusterTime } from '../../../src/sync/vocabulary';

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** A token shaped like the server's: 82 + 8-byte timestamp + an order-preserving suffix. */
function token(time: ClusterTime, seq: number): { _data: string } {
  return { _data: `82${hex(time.t, 8)}${hex(time.i, 8)}2B${hex(seq, 4)}04` };
}

describe('cluster times and tokens', () => {
  it('compares by seconds, then ordinal', () => {
    assert.equal(compareClusterTimes({ t: 1, i: 9 }, { t: 2, i: 0 }), -1);
    assert.equal(compareClusterTimes({ t: 2, i: 1 }, { t: 2, i: 0 }), 1);
    assert.equal(compareClusterTimes({ t: 2, i: 1 }, { t: 2, i: 1 }), 0);
    assert.deepEqual(maxClusterTime(null, { t: 1, i: 1 }), { t: 1, i: 1 });
    assert.deepEqual(maxClusterTime({ t: 3, i: 0 }, { t: 1, i: 1 }), { t: 3, i: 0 });
    assert.equal(maxClusterTime(null, null), null);
  });

  it('decodes the cluster time of a resume token', () => {
    assert.deepEqual(clusterTimeFromResumeToken({ _data: '826A92A31D00000103' + '2B0229296E04' }), { t: 0x6a92a31d, i: 0x103 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (t, i) => {
        assert.deepEqual(clusterTimeFromResumeToken(token({ t, i }, 0)), { t, i });
      }),
    );
    assert.equal(clusterTimeFromResumeToken({ _data: 'opaque' }), null);
    assert.equal(clusterTimeFromResumeToken({ _data: '83' + '0'.repeat(16) }), null);
  });

  it('reads the cluster time of a resume token from its KeyString prefix, whatever the value it is given', () => {
    assert.deepEqual(clusterTimeFromResumeToken({ _data: '826A92A31D000001032B042C0100296E5A1004' }), { t: 0x6a92a31d, i: 0x103 });
    assert.equal(clusterTimeFromResumeToken({ _data: 'opaque' }), null);
    assert.equal(clusterTimeFromResumeToken(null), null);
    assert.equal(clusterTimeFromResumeToken({}), null);
  });
});
