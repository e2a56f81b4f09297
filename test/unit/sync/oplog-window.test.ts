import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OPLOG_FULL_SHARE, oplogFreeSeconds } from '../../../src/sync/oplog-window';

const T0 = 1_700_000_000;
const MB = 1024 * 1024;

describe('oplogFreeSeconds', () => {
  it('a young oplog keeps its oldest entry until it fills, at the rate it was written so far', () => {
    // 10 MB written in 100 s into a 1,000 MB oplog: 890 MB to go before it is treated as full.
    const free = oplogFreeSeconds({ usedBytes: 10 * MB, maxBytes: 1000 * MB, oldest: { t: T0, i: 1 }, newest: { t: T0 + 100, i: 1 } });
    assert.equal(free, 8900);
  });

  it('a full oplog adds nothing: it drops its oldest entries as it is written', () => {
    const full = { maxBytes: 1000 * MB, oldest: { t: T0, i: 1 }, newest: { t: T0 + 3600, i: 1 } };
    assert.equal(oplogFreeSeconds({ ...full, usedBytes: 1000 * MB }), 0);
    assert.equal(oplogFreeSeconds({ ...full, usedBytes: 1010 * MB }), 0, 'a server lets it pass its cap a little');
    assert.equal(oplogFreeSeconds({ ...full, usedBytes: OPLOG_FULL_SHARE * 1000 * MB }), 0);
  });

  it('cannot tell without a cap or written bytes', () => {
    const at = { oldest: { t: T0, i: 1 }, newest: { t: T0 + 60, i: 1 } };
    assert.equal(oplogFreeSeconds({ ...at, usedBytes: 5 * MB, maxBytes: 0 }), null);
    assert.equal(oplogFreeSeconds({ ...at, usedBytes: 5 * MB, maxBytes: Number.NaN }), null);
    assert.equal(oplogFreeSeconds({ ...at, usedBytes: 0, maxBytes: 100 * MB }), null);
  });

  it('counts entries written within one second as a second of writing (the shorter estimate)', () => {
    assert.equal(oplogFreeSeconds({ usedBytes: 9 * MB, maxBytes: 100 * MB, oldest: { t: T0, i: 1 }, newest: { t: T0, i: 9 } }), 9);
  });

  it('is never negative and shrinks as the oplog fills at a steady rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e5 }), (rate, maxKb, seconds) => {
        const maxBytes = maxKb * 1024;
        const reading = (elapsed: number) =>
          oplogFreeSeconds({ usedBytes: rate * elapsed, maxBytes, oldest: { t: T0, i: 1 }, newest: { t: T0 + elapsed, i: 1 } });
        const early = reading(seconds);
        const later = reading(seconds + 10);
        assert.ok(early !== null && early >= 0);
        assert.ok(later !== null && later <= early);
      }),
    );
  });
});
