import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Binary, Timestamp } from 'bson';
import {
  decodeResumeToken,
  encodeResumeToken,
  encodeTokenData,
  eventIdentifierHash,
  eventPrefix,
  type ResumeTokenData,
} from './change-stream-token';
import { CommandError } from './types';
import { timestampValue } from './change-stream-timestamps';

const hex16 = fc.stringMatching(/^[0-9A-F]{16}$/);
const hex32 = fc.stringMatching(/^[0-9A-F]{32}$/);

const eventToken = fc.record(
  {
    tokenType: fc.constant('event' as const),
    clusterTime: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    txnOpIndex: fc.nat({ max: 2 ** 31 - 1 }),
    fromInvalidate: fc.boolean(),
    uuid: hex32,
    eventId: hex16,
    fragmentNum: fc.nat({ max: 1000 }),
  },
  { requiredKeys: ['tokenType', 'clusterTime', 'txnOpIndex', 'fromInvalidate', 'eventId'] },
);
const hwmToken = fc.record({ tokenType: fc.constant('highWaterMark' as const), clusterTime: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) });
const anyToken: fc.Arbitrary<ResumeTokenData> = fc.oneof(eventToken, hwmToken);

/** Stream order: time, then high-water marks before events, then the position inside the time. */
function streamOrder(a: ResumeTokenData, b: ResumeTokenData): number {
  const cmp = (x: bigint | number | string, y: bigint | number | string): number => (x < y ? -1 : x > y ? 1 : 0);
  if (a.clusterTime !== b.clusterTime) return cmp(a.clusterTime, b.clusterTime);
  if (a.tokenType !== b.tokenType) return a.tokenType === 'highWaterMark' ? -1 : 1;
  if (a.tokenType === 'highWaterMark' || b.tokenType === 'highWaterMark') return 0;
  return (
    cmp(a.txnOpIndex, b.txnOpIndex) ||
    cmp(Number(a.fromInvalidate), Number(b.fromInvalidate)) ||
    cmp(a.uuid === undefined ? '' : '1' + a.uuid, b.uuid === undefined ? '' : '1' + b.uuid) ||
    cmp(a.eventId, b.eventId) ||
    cmp(a.fragmentNum ?? -1, b.fragmentNum ?? -1)
  );
}

test('token hex strings sort like (clusterTime, token type, txnOpIndex, fromInvalidate, ...)', () => {
  fc.assert(
    fc.property(anyToken, anyToken, (a, b) => {
      const ha = encodeTokenData(a);
      const hb = encodeTokenData(b);
      const byHex = ha < hb ? -1 : ha > hb ? 1 : 0;
      assert.equal(byHex, Math.sign(streamOrder(a, b)));
    }),
    { numRuns: 2000 },
  );
});

test('tokens round-trip through decode, and all have the same width', () => {
  fc.assert(
    fc.property(anyToken, (token) => {
      const doc = encodeResumeToken(token);
      assert.equal(doc._data.length, 92);
      assert.match(doc._data, /^82[0-9A-F]+$/);
      assert.deepEqual(decodeResumeToken(doc), { ...token });
    }),
  );
});

test('the cluster time is readable from _data like a server token', () => {
  const ts = new Timestamp({ t: 1705096131, i: 7 });
  const data = encodeTokenData({ tokenType: 'highWaterMark', clusterTime: timestampValue(ts) });
  assert.equal(data.slice(0, 2), '82');
  assert.equal(parseInt(data.slice(2, 10), 16), 1705096131);
  assert.equal(parseInt(data.slice(10, 18), 16), 7);
});

test('fragments of one event share the event prefix', () => {
  const base = { tokenType: 'event' as const, clusterTime: 5n, txnOpIndex: 0, fromInvalidate: false, eventId: 'ABCDEF0123456789' };
  const whole = encodeTokenData(base);
  const fragment = encodeTokenData({ ...base, fragmentNum: 3 });
  assert.equal(eventPrefix(whole), eventPrefix(fragment));
  assert.ok(whole < fragment);
});

test('lower-case hex is accepted', () => {
  const token = encodeTokenData({ tokenType: 'highWaterMark', clusterTime: 12345n });
  assert.deepEqual(decodeResumeToken({ _data: token.toLowerCase() }), { tokenType: 'highWaterMark', clusterTime: 12345n });
});

test('the event identifier hash is stable and depends on the identifier', () => {
  const a = eventIdentifierHash({ operationType: 'insert', documentKey: { _id: 1 } });
  assert.equal(a, eventIdentifierHash({ operationType: 'insert', documentKey: { _id: 1 } }));
  assert.notEqual(a, eventIdentifierHash({ operationType: 'insert', documentKey: { _id: 2 } }));
  assert.notEqual(a, eventIdentifierHash({ operationType: 'delete', documentKey: { _id: 1 } }));
  assert.match(a, /^[0-9A-F]{16}$/);
});

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CommandError);
    return err.code;
  }
  assert.fail('expected an error');
}

test('malformed tokens fail with the server codes', () => {
  assert.equal(codeOf(() => decodeResumeToken({})), 40647);
  assert.equal(codeOf(() => decodeResumeToken({ _data: 5 })), 40647);
  assert.equal(codeOf(() => decodeResumeToken({ _data: '' })), 40649);
  assert.equal(codeOf(() => decodeResumeToken({ _data: 'XYZ1' })), 9);
  assert.equal(codeOf(() => decodeResumeToken({ _data: '8200' })), 260);
  assert.equal(codeOf(() => decodeResumeToken({ _data: encodeTokenData({ tokenType: 'highWaterMark', clusterTime: 1n }), _typeBits: 'x' })), 40648);
  const good = encodeTokenData({ tokenType: 'highWaterMark', clusterTime: 1n });
  assert.deepEqual(decodeResumeToken({ _data: good, _typeBits: new Binary(Buffer.from([1])) }), { tokenType: 'highWaterMark', clusterTime: 1n });
  // a high-water mark with event fields set
  assert.equal(codeOf(() => decodeResumeToken({ _data: good.slice(0, 30) + '1' + good.slice(31) })), 6189504);
  // unknown token type
  assert.equal(codeOf(() => decodeResumeToken({ _data: good.slice(0, 20) + '40' + good.slice(22) })), 51057);
  // other version
  assert.equal(codeOf(() => decodeResumeToken({ _data: good.slice(0, 18) + '07' + good.slice(20) })), 50795);
});
