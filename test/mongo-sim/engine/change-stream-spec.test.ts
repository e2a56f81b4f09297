import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timestamp, UUID, type Document } from 'bson';
import { openChangeStream } from './change-stream';
import { FakeCatalog, FakeOplog } from './change-stream-fakes';
import { CommandError } from './types';
import { encodeResumeToken } from './change-stream-token';
import { timestampValue } from './change-stream-timestamps';

function open(cmd: Document, db = 'app', version = '7.0.14', oplog = new FakeOplog()) {
  return openChangeStream({ cmd, db, oplog, catalog: new FakeCatalog(), version });
}

function stream(options: Document, extraStages: Document[] = [], aggregate: unknown = 'c'): Document {
  return { aggregate, pipeline: [{ $changeStream: options }, ...extraStages], cursor: {} };
}

function failure(fn: () => unknown): CommandError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CommandError, String(err));
    return err;
  }
  assert.fail('expected a CommandError');
}

function assertCode(fn: () => unknown, code: number, codeName?: string, message?: RegExp): void {
  const err = failure(fn);
  assert.equal(err.code, code, err.message);
  if (codeName) assert.equal(err.codeName, codeName);
  if (message) assert.match(err.message, message);
}

const eventToken = (extra: Document = {}): Document =>
  encodeResumeToken({
    tokenType: 'event',
    clusterTime: 1_800_000_000n << 32n,
    txnOpIndex: 0,
    fromInvalidate: false,
    uuid: '0A0B0C0D0E0F40118213141516171819',
    eventId: '0123456789ABCDEF',
    ...extra,
  });

test('cursor ns per level', () => {
  assert.equal(open(stream({})).ns, 'app.c');
  assert.equal(open(stream({}, [], 1)).ns, 'app.$cmd.aggregate');
  assert.equal(open(stream({ allChangesForCluster: true }, [], 1), 'admin').ns, 'admin.$cmd.aggregate');
  assert.equal(open(stream({})).awaitData, true);
});

test('unknown $changeStream options and wrong types fail like the IDL parser', () => {
  assertCode(() => open(stream({ foo: 1 })), 40415, 'IDLUnknownField', /BSON field '\$changeStream.foo' is an unknown field./);
  assertCode(() => open(stream({ fullDocument: 1 })), 14, 'TypeMismatch', /'\$changeStream.fullDocument' is the wrong type 'int', expected type 'string'/);
  assertCode(() => open(stream({ fullDocument: 'always' })), 2, 'BadValue', /Enumeration value 'always'/);
  assertCode(() => open(stream({ fullDocumentBeforeChange: 'default' })), 2, 'BadValue');
  assertCode(() => open(stream({ showExpandedEvents: 'yes' })), 14);
  assertCode(() => open(stream({ startAtOperationTime: 5 })), 14);
  assertCode(() => open(stream({ resumeAfter: 'token' })), 14);
  assertCode(() => open({ aggregate: 'c', pipeline: [{ $changeStream: 5 }], cursor: {} }), 50808);
});

test('allChangesForCluster misuse is 72', () => {
  assertCode(() => open(stream({ allChangesForCluster: true }, [], 1), 'app'), 72, 'InvalidOptions', /found app\.\$cmd\.aggregate/);
  assertCode(() => open(stream({ allChangesForCluster: true }), 'admin'), 72, 'InvalidOptions', /found admin\.c$/);
});

test('internal databases and system collections are 73', () => {
  assertCode(() => open(stream({}), 'local'), 73, 'InvalidNamespace', /internal local database/);
  assertCode(() => open(stream({}, [], 1), 'config'), 73);
  assertCode(() => open(stream({}, [], 1), 'admin'), 73, 'InvalidNamespace', /internal admin database/);
  assertCode(() => open(stream({}, [], 'system.views')), 73, 'InvalidNamespace', /internal app\.system\.views collection/);
});

test('streams on collections and databases that do not exist are allowed', () => {
  assert.ok(open(stream({}, [], 'nope'), 'nodb'));
  assert.ok(open(stream({}, [], 1), 'nodb'));
});

test('start option conflicts', () => {
  const token = eventToken();
  assertCode(() => open(stream({ resumeAfter: token, startAfter: token })), 50865);
  assertCode(() => open(stream({ resumeAfter: token, startAtOperationTime: new Timestamp({ t: 1, i: 1 }) })), 40674);
  assertCode(() => open(stream({ resumeAfter: eventToken({ fromInvalidate: true }) })), 260, 'InvalidResumeToken', /invalidate notification/);
  assertCode(() => open(stream({ resumeAfter: eventToken({ uuid: undefined }) })), 260, 'InvalidResumeToken', /does not include a UUID/);
  // a database stream accepts a token without a UUID (e.g. from dropDatabase)
  assert.ok(open(stream({ resumeAfter: eventToken({ uuid: undefined }) }, [], 1)));
  // startAfter may name an invalidate
  assert.ok(open(stream({ startAfter: eventToken({ fromInvalidate: true }) })));
});

test('stages after $changeStream', () => {
  for (const stage of [
    { $match: { operationType: 'insert' } },
    { $project: { fullDocument: 1 } },
    { $addFields: { x: 1 } },
    { $set: { x: 1 } },
    { $unset: 'x' },
    { $replaceRoot: { newRoot: '$$ROOT' } },
    { $replaceWith: '$$ROOT' },
    { $redact: '$$KEEP' },
  ]) {
    assert.ok(open(stream({}, [stage])), JSON.stringify(stage));
  }
  assertCode(() => open(stream({}, [{ $group: { _id: null } }])), 20, 'IllegalOperation', /^\$group is not permitted in a \$changeStream pipeline$/);
  assertCode(() => open(stream({}, [{ $limit: 1 }])), 20);
  assertCode(() => open(stream({}, [{ $bogus: {} }])), 40324, 'Location40324');
  assertCode(() => open(stream({}, [{ $changeStream: {} }])), 40602, 'Location40602');
  assertCode(() => open(stream({}, [{ $match: {}, $project: {} }])), 40323);
  // the stages' own parse errors (codes owned by the aggregation runner) surface on the aggregate
  assert.ok(failure(() => open(stream({}, [{ $match: { $bogus: 1 } }]))).message.includes('$bogus'));
});

test('$changeStreamSplitLargeEvent: 7.0+ and 6.0.9+, last, empty spec', () => {
  assert.ok(open(stream({}, [{ $match: {} }, { $changeStreamSplitLargeEvent: {} }])));
  assertCode(() => open(stream({}, [{ $changeStreamSplitLargeEvent: {} }, { $match: {} }])), 7182802);
  assertCode(() => open(stream({}, [{ $changeStreamSplitLargeEvent: { a: 1 } }])), 7182800);
  assertCode(() => open(stream({}, [{ $changeStreamSplitLargeEvent: {} }]), 'app', '6.0.8'), 40324);
  assert.ok(open(stream({}, [{ $changeStreamSplitLargeEvent: {} }]), 'app', '6.0.9'));
  assert.ok(open(stream({}, [{ $changeStreamSplitLargeEvent: {} }]), 'app', '6.0.19'));
  assert.ok(open(stream({}, [{ $changeStreamSplitLargeEvent: {} }]), 'app', '8.0.13'));
  assertCode(() => open(stream({ resumeAfter: eventToken({ fragmentNum: 1 }) })), 280, 'ChangeStreamFatalError');
});

test('a start point older than the oldest oplog entry is 286 with the NonResumable label', () => {
  const oplog = new FakeOplog();
  for (let i = 0; i < 5; i++) oplog.noop();
  const second = oplog.entries[1].ts;
  oplog.truncateBefore(oplog.entries[2].ts);
  const err = failure(() => open(stream({ startAtOperationTime: second }), 'app', '7.0.14', oplog));
  assert.equal(err.code, 286);
  assert.equal(err.codeName, 'ChangeStreamHistoryLost');
  assert.equal(err.message, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
  assert.deepEqual(err.errorLabels, ['NonResumableChangeStreamError']);
  const hwm = encodeResumeToken({ tokenType: 'highWaterMark', clusterTime: timestampValue(second) });
  assert.equal(failure(() => open(stream({ resumeAfter: hwm }), 'app', '7.0.14', oplog)).code, 286);
  // the oldest entry itself is still in range
  assert.ok(open(stream({ startAtOperationTime: oplog.oldest() }), 'app', '7.0.14', oplog));
  // a future time is fine
  assert.ok(open(stream({ startAtOperationTime: new Timestamp({ t: 4_000_000_000, i: 1 }) }), 'app', '7.0.14', oplog));
});

test('the collection UUID in a token does not restrict which database stream may use it', () => {
  assert.ok(open(stream({ startAfter: eventToken({ uuid: new UUID().toHexString(false).toUpperCase() }) }, [], 1)));
});
