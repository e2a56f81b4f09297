import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BatchCheckpointTracker,
  appliedPrefixLength,
  compareCheckpoints,
  isAlreadyApplied,
  laterCheckpoint,
  safeCheckpoint,
  type EventPosition,
} from '../../../src/sync/checkpoint';
import type { ChangeStreamCheckpoint } from '../../../src/sync/state-types';
import type { ClusterTime } from '../../../src/sync/vocabulary';

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** A token shaped like the server's: 82 + 8-byte timestamp + an order-preserving suffix. */
function token(time: ClusterTime, seq: number): { _data: string } {
  return { _data: `82${hex(time.t, 8)}${hex(time.i, 8)}2B${hex(seq, 4)}04` };
}

function events(count: number, start: ClusterTime = { t: 1700000000, i: 1 }): EventPosition[] {
  return Array.from({ length: count }, (_, k) => {
    const clusterTime = { t: start.t + Math.floor(k / 3), i: start.i + (k % 3) };
    return { clusterTime, resumeToken: token(clusterTime, k) };
  });
}

const empty: ChangeStreamCheckpoint = { resumeToken: null, clusterTime: null };

describe('cluster times and tokens', () => {
  it('orders checkpoints by time, then token; null time first', () => {
    const a = { resumeToken: token({ t: 5, i: 1 }, 1), clusterTime: { t: 5, i: 1 } };
    const b = { resumeToken: token({ t: 5, i: 1 }, 2), clusterTime: { t: 5, i: 1 } };
    assert.equal(compareCheckpoints(a, b), -1);
    assert.equal(compareCheckpoints(b, a), 1);
    assert.equal(compareCheckpoints(empty, a), -1);
    assert.equal(compareCheckpoints(a, a), 0);
    assert.equal(laterCheckpoint(b, a), b);
    assert.equal(laterCheckpoint(a, b), b);
  });
});

describe('safeCheckpoint', () => {
  it('stays put when the first event is not applied', () => {
    const batch = { events: events(3) };
    assert.equal(safeCheckpoint(empty, batch, () => false), empty);
    assert.equal(safeCheckpoint(empty, batch, (i) => i > 0), empty);
  });

  it('moves to the last event of the applied prefix', () => {
    const evs = events(5);
    const result = safeCheckpoint(empty, { events: evs }, (i) => i !== 3);
    assert.deepEqual(result, { resumeToken: evs[2].resumeToken, clusterTime: evs[2].clusterTime });
  });

  it('moves to the postBatchResumeToken when the whole batch is applied', () => {
    const evs = events(2);
    const pbrt = token({ t: 1700000100, i: 0 }, 0);
    const result = safeCheckpoint(empty, { events: evs, postBatchResumeToken: pbrt }, () => true);
    assert.deepEqual(result, { resumeToken: pbrt, clusterTime: { t: 1700000100, i: 0 } });
  });

  it('advances on an empty batch with a high-water mark (idle source)', () => {
    const pbrt = { _data: 'opaque-token' };
    const start = { resumeToken: token({ t: 10, i: 1 }, 0), clusterTime: { t: 10, i: 1 } };
    const result = safeCheckpoint(start, { events: [], postBatchResumeToken: pbrt, postBatchClusterTime: { t: 11, i: 0 } }, () => true);
    assert.deepEqual(result, { resumeToken: pbrt, clusterTime: { t: 11, i: 0 } });
  });

  it('never moves backwards', () => {
    const later = { resumeToken: token({ t: 2000000000, i: 1 }, 0), clusterTime: { t: 2000000000, i: 1 } };
    assert.equal(safeCheckpoint(later, { events: events(3) }, () => true), later);
  });

  it('property: equals the last event of the longest applied prefix, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.boolean(), { minLength: n, maxLength: n }), fc.boolean())),
        ([n, applied, withPbrt]) => {
          const evs = events(n);
          const pbrt = token({ t: 1800000000, i: 0 }, 0);
          const result = safeCheckpoint(empty, { events: evs, postBatchResumeToken: withPbrt ? pbrt : null }, (i) => applied[i]);
          const prefix = appliedPrefixLength(n, (i) => applied[i]);
          if (prefix === 0) assert.equal(result, empty);
          else if (prefix === n && withPbrt) assert.deepEqual(result.resumeToken, pbrt);
          else assert.deepEqual(result.resumeToken, evs[prefix - 1].resumeToken);
        },
      ),
    );
  });
});

describe('BatchCheckpointTracker', () => {
  it('property: completing events in any order only ever moves the checkpoint forward, and ends at the batch end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }))),
        ([n, order]) => {
          const evs = events(n);
          const pbrt = token({ t: 1900000000, i: 0 }, 0);
          const tracker = new BatchCheckpointTracker({ events: evs, postBatchResumeToken: pbrt }, empty);
          const done = new Set<number>();
          let previous = tracker.current;
          for (const index of order) {
            done.add(index);
            const checkpoint = tracker.markApplied([index]);
            assert.ok(compareCheckpoints(checkpoint, previous) >= 0);
            // the checkpoint plus the applied-beyond list name exactly the applied events
            const beyond = tracker.appliedBeyondCheckpoint();
            for (let i = 0; i < n; i++) {
              const covered = i < tracker.appliedPrefix || isAlreadyApplied(evs[i].resumeToken, beyond);
              assert.equal(covered, done.has(i), `event ${i}`);
            }
            // every event up to the checkpoint is applied
            const prefix = appliedPrefixLength(n, (i) => done.has(i));
            assert.equal(tracker.appliedPrefix, prefix);
            if (prefix > 0 && prefix < n) assert.deepEqual(checkpoint.resumeToken, evs[prefix - 1].resumeToken);
            previous = checkpoint;
          }
          assert.ok(tracker.isComplete);
          assert.deepEqual(tracker.current.resumeToken, pbrt);
        },
      ),
    );
  });

  it('refuses indexes outside the batch', () => {
    const tracker = new BatchCheckpointTracker({ events: events(2) }, empty);
    assert.throws(() => tracker.markApplied([2]), RangeError);
  });
});
