import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  estimateSecondsToCatchup,
  LAG_SAMPLE_SPACING_MS,
  LAG_SAMPLE_WINDOW_MS,
  type LagSample,
  recordLagSample,
} from '../../../src/sync/cea-catchup';

const T0 = 1_700_000_000;
const AT0 = T0 * 1000;

function record(samples: LagSample[]): LagSample[] {
  return samples.reduce<LagSample[]>((kept, sample) => recordLagSample(kept, sample), []);
}

describe('estimatedSecondsToCEACatchup', () => {
  it('projects the remaining lag at the rate the applier gains on the source', () => {
    // over 10 s the source wrote 10 s of events and the applier applied 30 s: lag fell 100 → 80
    const samples = record([
      { at: AT0, applied: T0 - 100, source: T0 },
      { at: AT0 + 10_000, applied: T0 - 70, source: T0 + 10 },
    ]);
    // lag falls 20 s per 10 s = 2 s/s; 80 s of lag left → 40 s
    assert.equal(estimateSecondsToCatchup(samples), 40);
  });

  it('is left out while the lag grows or stays', () => {
    assert.equal(estimateSecondsToCatchup(record([{ at: AT0, applied: T0 - 10, source: T0 }, { at: AT0 + 5000, applied: T0 - 8, source: T0 + 5 }])), null);
    assert.equal(estimateSecondsToCatchup(record([{ at: AT0, applied: T0 - 3, source: T0 }, { at: AT0 + 5000, applied: T0 + 2, source: T0 + 5 }])), null);
  });

  it('is left out before the samples span long enough to tell a trend', () => {
    assert.equal(estimateSecondsToCatchup([]), null);
    assert.equal(estimateSecondsToCatchup(record([{ at: AT0, applied: T0 - 100, source: T0 }])), null);
    assert.equal(estimateSecondsToCatchup(record([{ at: AT0, applied: T0 - 100, source: T0 }, { at: AT0 + 1500, applied: T0 - 10, source: T0 }])), null);
  });

  it('is 0 once the lag fell to 0', () => {
    assert.equal(estimateSecondsToCatchup(record([{ at: AT0, applied: T0 - 20, source: T0 }, { at: AT0 + 4000, applied: T0 + 4, source: T0 + 4 }])), 0);
  });

  it('looks only at the recent window: an old fall does not count once the lag stopped falling', () => {
    const falling = record([
      { at: AT0, applied: T0 - 100, source: T0 },
      { at: AT0 + 5000, applied: T0 - 10, source: T0 + 5 },
    ]);
    assert.notEqual(estimateSecondsToCatchup(falling), null);
    let samples = falling;
    for (let at = AT0 + 6000; at <= AT0 + 5000 + LAG_SAMPLE_WINDOW_MS + 2000; at += 1000) {
      const s = (at - AT0) / 1000;
      samples = recordLagSample(samples, { at, applied: T0 + s - 10, source: T0 + s });
    }
    assert.equal(estimateSecondsToCatchup(samples), null, 'a steady lag of 10 s has no catch-up estimate');
  });

  it('keeps a bounded number of samples however often the applier reports (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 400 }), (gaps) => {
        let at = AT0;
        let samples: LagSample[] = [];
        for (const gap of gaps) {
          at += gap;
          samples = recordLagSample(samples, { at, applied: T0, source: T0 + 1 });
          assert.ok(samples.length <= 2 * (LAG_SAMPLE_WINDOW_MS / LAG_SAMPLE_SPACING_MS) + 2, `${samples.length} samples`);
          assert.ok(samples.every((s) => s.at >= at - LAG_SAMPLE_WINDOW_MS));
          assert.equal(samples.at(-1)!.at, at, 'the newest sample is always the latest report');
          for (let i = 1; i < samples.length; i++) assert.ok(samples[i]!.at > samples[i - 1]!.at);
        }
      }),
    );
  });
});
