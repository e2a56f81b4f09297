import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calculateObjectSize, Long, UUID, type Document, type Timestamp } from 'bson';
import { openChangeStream } from './change-stream';
import { ChangeStreamCursor, DEFAULT_LIMITS, type CursorLimits } from './change-stream-cursor';
import { parseChangeStreamSpec } from './change-stream-spec';
import { FakeCatalog, FakeOplog } from './change-stream-fakes';
import { decodeResumeToken, encodeResumeToken } from './change-stream-token';
import { nextTick, timestampValue } from './change-stream-timestamps';
import { CommandError } from './types';
import type { ServerCursor } from './internal';

const never = new AbortController().signal;

interface Fixture {
  oplog: FakeOplog;
  catalog: FakeCatalog;
  ui: UUID;
  open(options?: Document, stages?: Document[], target?: { aggregate?: unknown; db?: string }, limits?: CursorLimits): ServerCursor;
}

function fixture(): Fixture {
  const oplog = new FakeOplog();
  const catalog = new FakeCatalog();
  const ui = catalog.create('app', 'c');
  return {
    oplog,
    catalog,
    ui,
    open(options = {}, stages = [], target = {}, limits) {
      const cmd = { aggregate: target.aggregate ?? 'c', pipeline: [{ $changeStream: options }, ...stages], cursor: {} };
      const db = target.db ?? 'app';
      if (limits) return new ChangeStreamCursor(parseChangeStreamSpec(cmd, db, '7.0.14'), oplog, catalog, limits);
      return openChangeStream({ cmd, db, oplog, catalog, version: '7.0.14' });
    },
  };
}

async function batch(cursor: ServerCursor, limit = 101, maxTimeMS = 0) {
  return cursor.nextBatch(limit, maxTimeMS, never);
}

function types(docs: Document[]): string[] {
  return docs.map((d) => d.operationType as string);
}

function hwm(ts: Timestamp): Document {
  return encodeResumeToken({ tokenType: 'highWaterMark', clusterTime: timestampValue(ts) });
}

async function rejection(p: Promise<unknown>): Promise<CommandError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CommandError, String(err));
    return err;
  }
  assert.fail('expected a CommandError');
}

test('a new stream starts one tick after the last write; its first batch has a high-water mark', async () => {
  const f = fixture();
  f.oplog.insert('app.c', f.ui, { _id: 'before' });
  const last = f.oplog.latest();
  const cursor = f.open();
  assert.equal(cursor.ns, 'app.c');
  const first = await batch(cursor);
  assert.deepEqual(first.docs, []);
  assert.equal(first.exhausted, false);
  assert.deepEqual(first.postBatchResumeToken, hwm(nextTick(last)));
  const entry = f.oplog.insert('app.c', f.ui, { _id: 'after' });
  const next = await batch(cursor);
  assert.deepEqual(next.docs.map((d) => d.documentKey), [{ _id: 'after' }]);
  assert.deepEqual(next.postBatchResumeToken, next.docs[0]._id);
  assert.equal(decodeResumeToken(next.docs[0]._id as Document).clusterTime, timestampValue(entry.ts));
});

test('postBatchResumeToken advances over no-ops on an idle stream and never goes backwards', async () => {
  const f = fixture();
  const cursor = f.open();
  const tokens: string[] = [((await batch(cursor)).postBatchResumeToken as { _data: string })._data];
  for (let round = 0; round < 4; round++) {
    const note = f.oplog.noop({ appendOplogNote: round });
    const b = await batch(cursor);
    assert.deepEqual(b.docs, []);
    assert.deepEqual(b.postBatchResumeToken, hwm(note.ts));
    tokens.push((b.postBatchResumeToken as { _data: string })._data);
    if (round === 2) {
      f.oplog.insert('app.c', f.ui, { _id: round });
      const withEvent = await batch(cursor);
      tokens.push((withEvent.postBatchResumeToken as { _data: string })._data);
      // nothing new: the token stays where it was
      tokens.push(((await batch(cursor)).postBatchResumeToken as { _data: string })._data);
    }
  }
  for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i] >= tokens[i - 1], `token ${i} went backwards`);
  assert.ok(tokens[tokens.length - 1] > tokens[0]);
});

test('batches stop at the limit and the token is the last event returned', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  for (let i = 0; i < 3; i++) f.oplog.insert('app.c', f.ui, { _id: i });
  f.oplog.noop();
  const first = await batch(cursor, 2);
  assert.deepEqual(first.docs.map((d) => d.fullDocument), [{ _id: 0 }, { _id: 1 }]);
  assert.deepEqual(first.postBatchResumeToken, first.docs[1]._id);
  const second = await batch(cursor, 2);
  assert.deepEqual(second.docs.map((d) => d.fullDocument), [{ _id: 2 }]);
  // the batch drained the oplog, so the high-water mark of the trailing no-op is reported
  assert.deepEqual(second.postBatchResumeToken, hwm(f.oplog.latest()));
});

test('a batch holds at most maxBatchBytes, but always one event', async () => {
  const f = fixture();
  const cursor = f.open({}, [], {}, { ...DEFAULT_LIMITS, maxBatchBytes: 1000 });
  await batch(cursor);
  for (let i = 0; i < 3; i++) f.oplog.insert('app.c', f.ui, { _id: i, pad: 'x'.repeat(600) });
  assert.equal((await batch(cursor)).docs.length, 1);
  assert.equal((await batch(cursor)).docs.length, 1);
});

test('aggregate batchSize 0 returns no events but a token', async () => {
  const f = fixture();
  const start = f.oplog.insert('app.c', f.ui, { _id: 1 }).ts;
  const cursor = f.open({ startAtOperationTime: start });
  const first = await batch(cursor, 0);
  assert.deepEqual(first.docs, []);
  assert.deepEqual(first.postBatchResumeToken, hwm(start));
  assert.equal((await batch(cursor)).docs.length, 1);
});

test('startAtOperationTime is inclusive and the first batch returns what exists', async () => {
  const f = fixture();
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  const second = f.oplog.insert('app.c', f.ui, { _id: 2 });
  f.oplog.insert('app.c', f.ui, { _id: 3 });
  const cursor = f.open({ startAtOperationTime: second.ts });
  assert.deepEqual((await batch(cursor)).docs.map((d) => d.fullDocument), [{ _id: 2 }, { _id: 3 }]);
  const viaHwm = f.open({ resumeAfter: hwm(second.ts) });
  assert.deepEqual((await batch(viaHwm)).docs.map((d) => d.fullDocument), [{ _id: 2 }, { _id: 3 }]);
});

test('resumeAfter and startAfter an event token continue strictly after it', async () => {
  const f = fixture();
  const start = nextTick(f.oplog.latest());
  for (let i = 1; i <= 3; i++) f.oplog.insert('app.c', f.ui, { _id: i });
  const all = (await batch(f.open({ startAtOperationTime: start }))).docs;
  for (const option of ['resumeAfter', 'startAfter']) {
    const resumed = f.open({ [option]: all[0]._id });
    const first = await batch(resumed);
    assert.deepEqual(first.docs.map((d) => d.fullDocument), [{ _id: 2 }, { _id: 3 }], option);
    assert.deepEqual(first.docs, all.slice(1));
  }
  // before anything is returned, the token of a resumed stream is the one it resumed from
  const atEnd = f.open({ resumeAfter: all[2]._id });
  assert.deepEqual((await batch(atEnd)).postBatchResumeToken, all[2]._id);
});

test('resuming inside a transaction includes its later operations', async () => {
  const f = fixture();
  const start = nextTick(f.oplog.latest());
  f.oplog.append({
    op: 'c',
    ns: 'admin.$cmd',
    o: { applyOps: [1, 2, 3].map((i) => ({ op: 'i', ns: 'app.c', ui: f.ui, o: { _id: i }, o2: { _id: i } })) },
    lsid: { id: new UUID() },
    txnNumber: Long.fromNumber(1),
  });
  const cursor = f.open({ startAtOperationTime: start });
  const one = await batch(cursor, 1);
  assert.deepEqual(one.postBatchResumeToken, one.docs[0]._id);
  const resumed = f.open({ resumeAfter: one.docs[0]._id });
  assert.deepEqual((await batch(resumed)).docs.map((d) => d.fullDocument), [{ _id: 2 }, { _id: 3 }]);
  assert.deepEqual((await batch(cursor)).docs.map((d) => d.fullDocument), [{ _id: 2 }, { _id: 3 }]);
});

test('a token whose event is not in the oplog fails with 280 once the stream passes it', async () => {
  const f = fixture();
  const entry = f.oplog.insert('app.c', f.ui, { _id: 1 });
  const real = decodeResumeToken((await batch(f.open({ startAtOperationTime: entry.ts }))).docs[0]._id as Document);
  assert.ok(real.tokenType === 'event');
  // a token for an event one tick later, which never happened
  const forged = encodeResumeToken({ ...real, clusterTime: real.clusterTime + 1n });
  const cursor = f.open({ resumeAfter: forged });
  // nothing after the token yet: no verdict, even when entries without events pass it
  assert.deepEqual((await batch(cursor)).docs, []);
  f.oplog.noop();
  f.oplog.noop();
  assert.deepEqual((await batch(cursor)).docs, []);
  const later = f.oplog.insert('app.c', f.ui, { _id: 2 });
  const err = await rejection(batch(cursor));
  assert.equal(err.code, 280);
  assert.equal(err.codeName, 'ChangeStreamFatalError');
  assert.deepEqual(err.errorLabels, ['NonResumableChangeStreamError']);
  const laterEvent = (await batch(f.open({ startAtOperationTime: later.ts }))).docs[0];
  assert.equal(err.message, `cannot resume stream; the resume token was not found. { _data: "${(laterEvent._id as { _data: string })._data}" }`);
});

test('a token naming a different event at the same position fails with 280 at once', async () => {
  const f = fixture();
  const entry = f.oplog.insert('app.c', f.ui, { _id: 1 });
  const real = decodeResumeToken((await batch(f.open({ startAtOperationTime: entry.ts }))).docs[0]._id as Document);
  assert.ok(real.tokenType === 'event');
  const other = encodeResumeToken({ ...real, eventId: '0000000000000000' });
  const err = await rejection(batch(f.open({ resumeAfter: other })));
  assert.equal(err.code, 280);
});

test('the oplog rolling past an open stream fails the next getMore with 286', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  assert.equal((await batch(cursor)).docs.length, 1);
  const lost = f.oplog.insert('app.c', f.ui, { _id: 2 });
  f.oplog.insert('app.c', f.ui, { _id: 3 });
  f.oplog.truncateBefore(nextTick(lost.ts));
  const err = await rejection(batch(cursor));
  assert.equal(err.code, 286);
  assert.deepEqual(err.errorLabels, ['NonResumableChangeStreamError']);
});

test('a stream whose entries are still in the oplog survives truncation of older ones', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  const kept = f.oplog.insert('app.c', f.ui, { _id: 1 });
  f.oplog.truncateBefore(kept.ts);
  assert.equal((await batch(cursor)).docs.length, 1);
});

test('collection stream: drop, then invalidate, then the cursor is closed', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  f.oplog.command('app', { drop: 'c' }, f.ui);
  f.oplog.insert('app.c', new UUID(), { _id: 'recreated' });
  const b = await batch(cursor);
  assert.deepEqual(types(b.docs), ['insert', 'drop', 'invalidate']);
  assert.equal(b.exhausted, true);
  assert.deepEqual(b.postBatchResumeToken, b.docs[2]._id);
});

test('when the invalidate fills the batch, the cursor closes on the next getMore', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  f.oplog.command('app', { drop: 'c' }, f.ui);
  const one = await batch(cursor, 1);
  assert.deepEqual([types(one.docs), one.exhausted], [['drop'], false]);
  const two = await batch(cursor, 1);
  assert.deepEqual([types(two.docs), two.exhausted], [['invalidate'], false]);
  const three = await batch(cursor, 1);
  assert.deepEqual([three.docs, three.exhausted], [[], true]);
  assert.deepEqual(three.postBatchResumeToken, two.docs[0]._id);
});

test('a user filter that hides the invalidate still closes the stream', async () => {
  const f = fixture();
  const cursor = f.open({}, [{ $match: { operationType: 'insert' } }]);
  await batch(cursor);
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  const drop = f.oplog.command('app', { drop: 'c' }, f.ui);
  const b = await batch(cursor);
  assert.deepEqual([types(b.docs), b.exhausted], [['insert'], true]);
  const token = decodeResumeToken(b.postBatchResumeToken as Document);
  assert.equal(token.tokenType === 'event' && token.fromInvalidate, true);
  assert.equal(token.clusterTime, timestampValue(drop.ts));
});

test('startAfter an invalidate begins after it; resumeAfter the drop is invalidated again', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  f.oplog.command('app', { drop: 'c' }, f.ui);
  const [drop, invalidate] = (await batch(cursor)).docs;
  const ui2 = new UUID();
  f.oplog.command('app', { create: 'c', idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } }, ui2);
  f.oplog.insert('app.c', ui2, { _id: 'new' });
  const after = f.open({ startAfter: invalidate._id });
  const b = await batch(after);
  assert.deepEqual(types(b.docs), ['insert']);
  assert.equal(b.exhausted, false);
  const again = f.open({ resumeAfter: drop._id });
  const c = await batch(again);
  assert.deepEqual([types(c.docs), c.exhausted], [['invalidate'], true]);
  assert.deepEqual(c.docs[0], invalidate);
});

test('database stream: drops, dropDatabase, invalidate; cluster stream continues', async () => {
  const f = fixture();
  const dbStream = f.open({}, [], { aggregate: 1 });
  const cluster = f.open({ allChangesForCluster: true }, [], { aggregate: 1, db: 'admin' });
  assert.equal(dbStream.ns, 'app.$cmd.aggregate');
  assert.equal(cluster.ns, 'admin.$cmd.aggregate');
  await batch(dbStream);
  await batch(cluster);
  f.oplog.command('app', { drop: 'c' }, f.ui);
  f.oplog.command('app', { drop: 'd' }, new UUID());
  f.oplog.command('app', { dropDatabase: 1 });
  f.oplog.insert('other.c', new UUID(), { _id: 1 });
  const db = await batch(dbStream);
  assert.deepEqual([types(db.docs), db.exhausted], [['drop', 'drop', 'dropDatabase', 'invalidate'], true]);
  const all = await batch(cluster);
  assert.deepEqual([types(all.docs), all.exhausted], [['drop', 'drop', 'dropDatabase', 'insert'], false]);
});

test('DDL events other than drop/rename/dropDatabase need showExpandedEvents', async () => {
  const f = fixture();
  const classic = f.open();
  const expanded = f.open({ showExpandedEvents: true });
  await batch(classic);
  await batch(expanded);
  f.oplog.command('app', { create: 'c', idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } }, f.ui);
  f.oplog.command('app', { commitIndexBuild: 'c', indexBuildUUID: new UUID(), indexes: [{ v: 2, key: { x: 1 }, name: 'x_1' }] }, f.ui);
  f.oplog.command('app', { collMod: 'c' }, f.ui, { collectionOptions_old: {} });
  f.oplog.command('app', { dropIndexes: 'c', index: 'x_1' }, f.ui, { v: 2, key: { x: 1 }, name: 'x_1' });
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  assert.deepEqual(types((await batch(classic)).docs), ['insert']);
  assert.deepEqual(types((await batch(expanded)).docs), ['create', 'createIndexes', 'modify', 'dropIndexes', 'insert']);
});

test('updateLookup reads the current document when the batch is built', async () => {
  const f = fixture();
  const cursor = f.open({ fullDocument: 'updateLookup' });
  await batch(cursor);
  f.catalog.put('app', 'c', { _id: 1, n: 1 });
  f.oplog.update('app.c', f.ui, 1, { u: { n: 1 } });
  f.oplog.update('app.c', f.ui, 2, { u: { n: 1 } });
  f.catalog.put('app', 'c', { _id: 1, n: 5 });
  const b = await batch(cursor);
  assert.deepEqual(b.docs.map((d) => d.fullDocument), [{ _id: 1, n: 5 }, null]);
  // the collection was dropped and re-created: the old UUID no longer matches
  f.oplog.update('app.c', f.ui, 1, { u: { n: 6 } });
  f.catalog.create('app', 'c');
  f.catalog.put('app', 'c', { _id: 1, n: 6 });
  assert.deepEqual((await batch(cursor)).docs.map((d) => d.fullDocument), [null]);
});

test('post-images and pre-images from the oplog, whenAvailable and required', async () => {
  const f = fixture();
  const when = f.open({ fullDocument: 'whenAvailable', fullDocumentBeforeChange: 'whenAvailable' });
  const required = f.open({ fullDocument: 'required', fullDocumentBeforeChange: 'required' });
  await batch(when);
  await batch(required);
  f.oplog.update('app.c', f.ui, 1, { u: { n: 2 } }, { preImage: { _id: 1, n: 1 }, postImage: { _id: 1, n: 2 } });
  f.oplog.replace('app.c', f.ui, { _id: 1, m: 1 }, { preImage: { _id: 1, n: 2 } });
  f.oplog.delete('app.c', f.ui, 1, { preImage: { _id: 1, m: 1 } });
  f.oplog.insert('app.c', f.ui, { _id: 2 });
  const w = (await batch(when)).docs;
  assert.deepEqual(w.map((d) => [d.operationType, d.fullDocument, d.fullDocumentBeforeChange]), [
    ['update', { _id: 1, n: 2 }, { _id: 1, n: 1 }],
    ['replace', { _id: 1, m: 1 }, { _id: 1, n: 2 }],
    ['delete', undefined, { _id: 1, m: 1 }],
    ['insert', { _id: 2 }, undefined],
  ]);
  assert.equal(Object.keys(w[0]).at(-1), 'fullDocumentBeforeChange');
  assert.deepEqual(Object.keys(w[0]).slice(0, 5), ['_id', 'operationType', 'clusterTime', 'wallTime', 'fullDocument']);
  assert.equal((await batch(required)).docs.length, 4);

  f.oplog.update('app.c', f.ui, 2, { u: { n: 3 } });
  const w2 = (await batch(when)).docs;
  assert.deepEqual([w2[0].fullDocument, w2[0].fullDocumentBeforeChange], [null, null]);
  const err = await rejection(batch(required));
  assert.equal(err.code, 47);
  assert.equal(err.codeName, 'NoMatchingDocument');
  assert.match(err.message, /^Change stream was configured to require a pre-image for all update, delete and replace events, but the pre-image was not found for event: \{ operationType: "update", ns: \{ db: "app", coll: "c" \}, clusterTime: Timestamp\(/);
});

test('a missing required post-image is 47; an event the user filters out does not fail', async () => {
  const f = fixture();
  const required = f.open({ fullDocument: 'required' });
  const filtered = f.open({ fullDocument: 'required' }, [{ $match: { 'ns.coll': 'other' } }]);
  await batch(required);
  await batch(filtered);
  f.oplog.update('app.c', f.ui, 1, { u: { n: 2 } });
  const err = await rejection(batch(required));
  assert.equal(err.code, 47);
  assert.match(err.message, /require a post-image for all update events/);
  assert.deepEqual((await batch(filtered)).docs, []);
});

test('the user stages run on each event', async () => {
  const f = fixture();
  const byType = f.open({}, [{ $match: { operationType: { $in: ['delete', 'update'] } } }]);
  const byDb = f.open({ allChangesForCluster: true }, [{ $match: { 'ns.db': 'other' } }, { $addFields: { seen: true } }, { $unset: 'wallTime' }], {
    aggregate: 1,
    db: 'admin',
  });
  await batch(byType);
  await batch(byDb);
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  f.oplog.update('app.c', f.ui, 1, { u: { a: 1 } });
  f.oplog.delete('app.c', f.ui, 1);
  f.oplog.insert('other.c', new UUID(), { _id: 2 });
  assert.deepEqual(types((await batch(byType)).docs), ['update', 'delete']);
  const other = (await batch(byDb)).docs;
  assert.deepEqual(other.map((d) => [d.ns, d.seen, d.wallTime]), [[{ db: 'other', coll: 'c' }, true, undefined]]);
});

test('$match stages compare exact typed values, with $regex, $expr and $match after other stages', async () => {
  const f = fixture();
  const wide = Long.fromString('9007199254740993');
  const exact = f.open({}, [{ $match: { 'fullDocument.n': wide } }]);
  const pattern = f.open({}, [{ $match: { $and: [{ 'ns.coll': { $regex: '^C$', $options: 'i' } }, { 'ns.db': { $not: { $regex: '^adm' } } }] } }]);
  const expr = f.open({}, [{ $match: { $expr: { $gt: ['$fullDocument.n', 5] } } }]);
  const later = f.open({}, [{ $addFields: { k: '$fullDocument.k' } }, { $match: { k: 'b' } }]);
  for (const cursor of [exact, pattern, expr, later]) await batch(cursor);
  f.oplog.insert('app.c', f.ui, { _id: 1, n: Long.fromString('9007199254740992'), k: 'a' });
  f.oplog.insert('app.c', f.ui, { _id: 2, n: wide, k: 'b' });
  f.oplog.insert('app.c', f.ui, { _id: 3, n: 4, k: 'c' });
  const ids = async (cursor: ServerCursor) => (await batch(cursor)).docs.map((d) => (d.documentKey as Document)._id as number);
  assert.deepEqual(await ids(exact), [2], 'only the exact int64 matches, not its double neighbour');
  assert.deepEqual(await ids(pattern), [1, 2, 3]);
  assert.deepEqual(await ids(expr), [1, 2]);
  assert.deepEqual(await ids(later), [2]);
});

test('a stage that changes _id fails the getMore with 280', async () => {
  const f = fixture();
  const cursor = f.open({}, [{ $project: { _id: 0 } }]);
  await batch(cursor);
  f.oplog.insert('app.c', f.ui, { _id: 1 });
  const err = await rejection(batch(cursor));
  assert.equal(err.code, 280);
  assert.match(err.message, /^Encountered an event whose _id field, which contains the resume token, was modified by the pipeline/);
});

test('events over the size limit: 10334, or fragments with $changeStreamSplitLargeEvent', async () => {
  const f = fixture();
  const limits = { ...DEFAULT_LIMITS, maxEventBytes: 1300, maxUnsplitEventBytes: 1200 };
  const options = { fullDocument: 'updateLookup' };
  const whole = f.open(options);
  const plain = f.open(options, [], {}, limits);
  const split = f.open(options, [{ $changeStreamSplitLargeEvent: {} }], {}, limits);
  for (const c of [whole, plain, split]) await batch(c);
  f.catalog.put('app', 'c', { _id: 1, big: 'y'.repeat(600) });
  f.oplog.update('app.c', f.ui, 1, { u: { big: 'y'.repeat(600) } });
  f.oplog.insert('app.c', f.ui, { _id: 2 });
  const [event] = (await batch(whole, 1)).docs;
  assert.ok(calculateObjectSize(event) > 1300);

  const err = await rejection(batch(plain));
  assert.equal(err.code, 10334);
  assert.equal(err.codeName, 'BSONObjectTooLarge');
  assert.match(err.message, /^BSONObj size: \d+ \(0x[0-9A-F]+\) is invalid\. Size must be between 0 and \d+\(16MB\) First element: _id: \{ _data: "82/);

  const docs = (await batch(split)).docs;
  assert.deepEqual(docs.map((d) => d.splitEvent), [{ fragment: 1, of: 2 }, { fragment: 2, of: 2 }, undefined]);
  const fragments = docs.slice(0, 2);
  for (const fragment of fragments) assert.ok(calculateObjectSize(fragment) <= 1200);
  // together the fragments hold every field of the event, the small ones first
  const merged: Document = {};
  for (const fragment of fragments) for (const [k, v] of Object.entries(fragment)) if (k !== '_id' && k !== 'splitEvent') merged[k] = v;
  assert.deepEqual(merged, Object.fromEntries(Object.entries(event).filter(([k]) => k !== '_id')));
  assert.deepEqual(Object.keys(fragments[1]).slice(2), ['updateDescription']);
  const tokens = fragments.map((d) => decodeResumeToken(d._id as Document));
  assert.deepEqual(tokens.map((t) => t.tokenType === 'event' && t.fragmentNum), [0, 1]);
  assert.equal(decodeResumeToken(event._id as Document).clusterTime, tokens[0].clusterTime);
  assert.ok((fragments[0]._id as { _data: string })._data < (fragments[1]._id as { _data: string })._data);
  // resuming from the first fragment delivers the second one, then the next event
  const resumed = f.open({ ...options, resumeAfter: fragments[0]._id }, [{ $changeStreamSplitLargeEvent: {} }], {}, limits);
  assert.deepEqual((await batch(resumed)).docs, docs.slice(1));
  // resuming from a fragment of an event that no longer needs splitting is 280
  const unsplit = f.open({ ...options, resumeAfter: fragments[0]._id }, [{ $changeStreamSplitLargeEvent: {} }]);
  assert.equal((await rejection(batch(unsplit))).code, 280);
});

test('awaitData: an idle getMore waits maxTimeMS without spinning and keeps the cursor open', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  const calls = f.oplog.waitCalls;
  const started = Date.now();
  const b = await cursor.nextBatch(101, 300, never);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 280 && elapsed < 800, `waited ${elapsed} ms`);
  assert.deepEqual([b.docs, b.exhausted], [[], false]);
  assert.ok(f.oplog.waitCalls - calls <= 2, `waitForNewer called ${f.oplog.waitCalls - calls} times`);
});

test('awaitData: an insert during the wait returns it at once', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  const started = Date.now();
  setTimeout(() => f.oplog.insert('app.c', f.ui, { _id: 'late' }), 50);
  const b = await cursor.nextBatch(101, 5000, never);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `waited ${elapsed} ms`);
  assert.deepEqual(b.docs.map((d) => d.fullDocument), [{ _id: 'late' }]);
});

test('awaitData: entries that produce no event do not end the wait but move the token', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  const timer = setInterval(() => f.oplog.insert('app.elsewhere', new UUID(), { _id: 1 }), 40);
  const started = Date.now();
  const b = await cursor.nextBatch(101, 300, never);
  clearInterval(timer);
  assert.ok(Date.now() - started >= 280);
  assert.deepEqual(b.docs, []);
  assert.deepEqual(b.postBatchResumeToken, hwm(f.oplog.latest()));
});

test('awaitData: the default wait is the limit default (1000 ms unless overridden)', async () => {
  assert.equal(DEFAULT_LIMITS.defaultAwaitMs, 1000);
  const f = fixture();
  const cursor = f.open({}, [], {}, { ...DEFAULT_LIMITS, defaultAwaitMs: 200 });
  await batch(cursor);
  const started = Date.now();
  await cursor.nextBatch(101, undefined, never);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 180 && elapsed < 700, `waited ${elapsed} ms`);
});

test('killing the cursor during a wait fails the waiting getMore with 237; the client leaving ends it quietly', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  setTimeout(() => cursor.close(), 30);
  const err = await rejection(cursor.nextBatch(101, 5000, never));
  assert.equal(err.code, 237);

  const other = f.open();
  await batch(other);
  const client = new AbortController();
  setTimeout(() => client.abort(), 30);
  const started = Date.now();
  const b = await other.nextBatch(101, 5000, client.signal);
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(b.docs, []);
});

test('awaitData: an oplog that shuts down ends the wait at once instead of spinning', async () => {
  const f = fixture();
  const cursor = f.open();
  await batch(cursor);
  setTimeout(() => f.oplog.close(), 30);
  const calls = f.oplog.waitCalls;
  const started = Date.now();
  const b = await cursor.nextBatch(101, 5000, never);
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual([b.docs, b.exhausted], [[], false]);
  assert.equal(f.oplog.waitCalls - calls, 1);
});

test('a $match on the fields an event has before it is made decides as on the whole event; a resume still meets the events it rejects', async () => {
  const f = fixture();
  const start = nextTick(f.oplog.latest());
  const first = f.oplog.insert('app.c', f.ui, { _id: 1 });
  f.oplog.insert('app.c', f.ui, { _id: 2 });
  f.oplog.insert('app.c', f.ui, { _id: 3 });
  f.oplog.update('app.c', f.ui, 2, { u: { v: 1 } });
  f.oplog.delete('app.c', f.ui, 3);
  // reads operationType and documentKey only: decided before the event is made
  const early = [{ $match: { operationType: 'insert', 'documentKey._id': { $gte: 2 } } }];
  // the same verdicts through $expr, which reads the whole event
  const whole = [{ $match: { $expr: { $and: [{ $eq: ['$operationType', 'insert'] }, { $gte: ['$documentKey._id', 2] }] } } }];
  const decided = (await batch(f.open({ startAtOperationTime: start }, early))).docs;
  assert.deepEqual(decided.map((d) => d.fullDocument), [{ _id: 2 }, { _id: 3 }]);
  assert.deepEqual(decided, (await batch(f.open({ startAtOperationTime: start }, whole))).docs);

  // resuming after an event the $match rejects: it is found, and the stream goes on after it
  const all = (await batch(f.open({ startAtOperationTime: start }))).docs;
  assert.deepEqual((await batch(f.open({ resumeAfter: all[0]._id }, early))).docs, decided);
  // a token of an event that never happened (another event at the first insert's position) is still noticed
  const real = decodeResumeToken(all[0]._id as Document);
  assert.ok(real.tokenType === 'event');
  assert.equal(real.clusterTime, timestampValue(first.ts));
  const forged = encodeResumeToken({ ...real, eventId: '0000000000000000' });
  assert.equal((await rejection(batch(f.open({ resumeAfter: forged }, early)))).code, 280);
});
