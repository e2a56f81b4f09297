import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Timestamp } from 'mongodb';
import { resumeTokenTime, toOpTime, toTimestamp } from '../../../src/mongo/op-time';

test('cluster times round-trip between BSON timestamps and {t, i}', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (t, i) => {
      assert.deepEqual(toOpTime(toTimestamp({ t, i })), { t, i });
      assert.ok(toTimestamp({ t, i }).equals(new Timestamp({ t, i })));
    }),
  );
});

test('the cluster time of a resume token is read from its KeyString prefix', () => {
  assert.deepEqual(resumeTokenTime({ _data: '826A92A31D000001032B042C0100296E5A1004' }), { t: 0x6a92a31d, i: 0x103 });
  assert.equal(resumeTokenTime({ _data: 'opaque' }), undefined);
  assert.equal(resumeTokenTime(null), undefined);
  assert.equal(resumeTokenTime({}), undefined);
});
