import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Timestamp } from 'mongodb';
import { toClusterTime, toTimestamp } from '../../../src/mongo/cluster-time';

test('cluster times round-trip between BSON timestamps and {t, i}', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (t, i) => {
      assert.deepEqual(toClusterTime(toTimestamp({ t, i })), { t, i });
      assert.ok(toTimestamp({ t, i }).equals(new Timestamp({ t, i })));
    }),
  );
});
