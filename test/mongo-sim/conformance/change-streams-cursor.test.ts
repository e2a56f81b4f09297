// Change stream cursors with raw aggregate and getMore commands: cursor ids and ns per level,
// postBatchResumeToken on every batch, awaitData waits, invalidation, validation errors, large
// events and history loss (cursor protocol, opening a change stream, change stream getMore, invalidate events, resume tokens, logical time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, MongoClient, MongoServerError, Timestamp, type ClientSession, type Document } from 'mongodb';
import { simulatorOnly, startSimulator, startTarget, type Target } from './target';
import { RawStream, rejection, tokenData, tokenTime } from './change-streams-support';

let target: Target;
let client: MongoClient;
let session: ClientSession;

before(async () => {
  target = await startTarget();
  client = target.client();
  session = client.startSession();
});
after(async () => {
  await session.endSession();
  await target.close();
});

function assertCursorId(id: unknown, open: boolean): void {
  assert.ok(id instanceof Long, 'cursor.id is an int64');
  assert.equal(id.isZero(), !open);
}

function batchOf(reply: Document): Document[] {
  return (reply.cursor.firstBatch ?? reply.cursor.nextBatch) as Document[];
}

test('the aggregate answers at once: empty first batch, live cursor, ns per level, a high-water mark past the last write', async () => {
  const db = client.db(target.uniqueDb('cs_raw_open'));
  await db.collection('c').insertOne({ _id: 1 } as Document, { session });
  const lastWrite = session.operationTime as Timestamp;
  const cases: [string, 1 | string, Document, string][] = [
    [db.databaseName, 'c', {}, `${db.databaseName}.c`],
    [db.databaseName, 1, {}, `${db.databaseName}.$cmd.aggregate`],
    ['admin', 1, { allChangesForCluster: true }, 'admin.$cmd.aggregate'],
  ];
  for (const [dbName, aggregate, options, ns] of cases) {
    const started = Date.now();
    const { stream, reply } = await RawStream.open(client.db(dbName), session, aggregate, options);
    assert.ok(Date.now() - started < 900, 'the aggregate does not wait for events');
    assert.deepEqual(reply.cursor.firstBatch, []);
    assertCursorId(reply.cursor.id, true);
    assert.equal(reply.cursor.ns, ns);
    assert.ok(tokenTime(reply.cursor.postBatchResumeToken).greaterThan(lastWrite), 'the stream starts after the last write');
    assert.ok(reply.operationTime instanceof Timestamp);
    await stream.kill();
  }
});

test('getMore: events with the last token, then empty batches that keep the cursor and token', async () => {
  const db = client.db(target.uniqueDb('cs_raw_getmore'));
  for (const aggregate of ['c', 1] as const) {
    const { stream, reply } = await RawStream.open(db, session, aggregate);
    let token = tokenData(reply.cursor.postBatchResumeToken);
    await db.collection('c').insertMany([{ _id: `${aggregate}-1` }, { _id: `${aggregate}-2` }] as Document[]);
    const replies = await stream.getMoreUntil(2);
    const events = replies.flatMap(batchOf);
    assert.deepEqual(events.map((e) => (e.documentKey as Document)._id), [`${aggregate}-1`, `${aggregate}-2`]);
    for (const r of replies) {
      assertCursorId(r.cursor.id, true);
      const pbrt = tokenData(r.cursor.postBatchResumeToken);
      assert.ok(pbrt >= token, 'the token never goes backwards');
      const docs = batchOf(r);
      if (docs.length > 0) assert.ok(pbrt >= tokenData(docs[docs.length - 1]._id), 'the token covers the last event');
      token = pbrt;
    }
    const idle = await stream.getMore(100);
    assert.deepEqual(idle.cursor.nextBatch, []);
    assertCursorId(idle.cursor.id, true);
    assert.ok(tokenData(idle.cursor.postBatchResumeToken) >= token);
    await stream.kill();
  }
});

test('awaitData: an idle getMore waits maxTimeMS and returns an empty batch on a live cursor', async () => {
  const db = client.db(target.uniqueDb('cs_raw_wait'));
  const { stream } = await RawStream.open(db, session, 'c');
  const started = Date.now();
  const reply = await stream.getMore(300);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 2500, `waited ${elapsed} ms`);
  assert.deepEqual(reply.cursor.nextBatch, []);
  assertCursorId(reply.cursor.id, true);
  assert.ok(reply.cursor.postBatchResumeToken);
  await stream.kill();
});

test('awaitData: an insert during the wait ends it early', async () => {
  const db = client.db(target.uniqueDb('cs_raw_wake'));
  const { stream } = await RawStream.open(db, session, 'c');
  const timer = setTimeout(() => void db.collection('c').insertOne({ _id: 'late' } as Document), 150);
  const started = Date.now();
  const reply = await stream.getMore(10_000);
  clearTimeout(timer);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `waited ${elapsed} ms`);
  assert.deepEqual(reply.cursor.nextBatch.map((e: Document) => (e.documentKey as Document)._id), ['late']);
  await stream.kill();
});

test('appendOplogNote moves the high-water mark of an idle stream', async () => {
  const db = client.db(target.uniqueDb('cs_raw_note'));
  const { stream } = await RawStream.open(db, session, 'c');
  const note = await client.db('admin').command({ appendOplogNote: 1, data: { note: 'change stream test' } });
  const noteTime = note.operationTime as Timestamp;
  let reply = await stream.getMore(200);
  for (let i = 0; i < 10 && !tokenTime(reply.cursor.postBatchResumeToken).greaterThanOrEqual(noteTime); i++) reply = await stream.getMore(200);
  assert.deepEqual(reply.cursor.nextBatch, []);
  assert.ok(tokenTime(reply.cursor.postBatchResumeToken).greaterThanOrEqual(noteTime));
  await stream.kill();
});

test('the batch that carries invalidate closes the cursor (id 0)', async () => {
  const db = client.db(target.uniqueDb('cs_raw_invalidate'));
  await db.collection('c').insertOne({ _id: 1 } as Document);
  const { stream } = await RawStream.open(db, session, 'c');
  await db.collection('c').drop();
  const replies = await stream.getMoreUntil(2);
  const last = replies[replies.length - 1];
  const events = replies.flatMap(batchOf);
  assert.deepEqual(events.map((e) => e.operationType), ['drop', 'invalidate']);
  assertCursorId(last.cursor.id, false);
  assert.equal(batchOf(last).at(-1)?.operationType, 'invalidate');
  assert.equal(tokenData(last.cursor.postBatchResumeToken), tokenData(events[1]._id));
});

test('validation errors of the aggregate', async () => {
  const db = client.db(target.uniqueDb('cs_raw_errors'));
  const open = (dbName: string, aggregate: 1 | string, options: Document, stages: Document[] = []) =>
    rejection(RawStream.open(client.db(dbName), session, aggregate, options, stages));
  const expectCode = async (p: ReturnType<typeof open>, code: number, what: string) => {
    const err = await p;
    assert.ok(err instanceof MongoServerError, `${what}: ${String(err)}`);
    assert.equal(err.code, code, `${what}: ${err.message}`);
  };
  await expectCode(open(db.databaseName, 'c', { noSuchOption: true }), 40415, 'unknown option');
  await expectCode(open(db.databaseName, 1, { allChangesForCluster: true }), 72, 'allChangesForCluster off admin');
  await expectCode(open('admin', 'c', { allChangesForCluster: true }), 72, 'allChangesForCluster with a collection');
  await expectCode(open('admin', 1, {}), 73, 'admin without allChangesForCluster');
  await expectCode(open('local', 1, {}), 73, 'local');
  await expectCode(open('config', 'c', {}), 73, 'config');
  await expectCode(open(db.databaseName, 'system.views', {}), 73, 'system collection');

  const { stream, reply } = await RawStream.open(db, session, 'c');
  await stream.kill();
  const token = reply.cursor.postBatchResumeToken as Document;
  await expectCode(open(db.databaseName, 'c', { resumeAfter: token, startAfter: token }), 50865, 'resumeAfter + startAfter');
  await expectCode(open(db.databaseName, 'c', { resumeAfter: token, startAtOperationTime: tokenTime(token) }), 40674, 'token + time');
  await expectCode(open(db.databaseName, 'c', {}, [{ $group: { _id: null } }]), 20, '$group after $changeStream');
  await expectCode(open(db.databaseName, 'c', {}, [{ $match: {} }, { $changeStream: {} }]), 40602, 'second $changeStream');
  await expectCode(open(db.databaseName, 'c', { fullDocument: 'sometimes' }), 2, 'bad fullDocument');
});

test('a stream on a collection or database that does not exist yet reports events once it exists', async () => {
  const db = client.db(target.uniqueDb('cs_raw_missing'));
  const { stream } = await RawStream.open(db, session, 'later');
  await db.collection('later').insertOne({ _id: 1 } as Document);
  const events = (await stream.getMoreUntil(1)).flatMap(batchOf);
  assert.deepEqual(events.map((e) => e.operationType), ['insert']);
  await stream.kill();
});

test('events over 16 MiB: BSONObjectTooLarge, or fragments with $changeStreamSplitLargeEvent', async () => {
  const db = client.db(target.uniqueDb('cs_raw_large'));
  await db.createCollection('c', { changeStreamPreAndPostImages: { enabled: true } });
  const options = { fullDocumentBeforeChange: 'required' };
  const plain = await RawStream.open(db, session, 'c', options);
  const split = await RawStream.open(db, session, 'c', options, [{ $changeStreamSplitLargeEvent: {} }]);
  const big = 'x'.repeat(9 * 1024 * 1024);
  await db.collection('c').insertOne({ _id: 1, big } as Document);
  await db.collection('c').replaceOne({ _id: 1 } as Document, { big: big.replace(/^x/, 'y') });

  const err = await rejection(plain.stream.getMoreUntil(2));
  assert.ok(err instanceof MongoServerError, String(err));
  assert.equal(err.code, 10334);

  const events = (await split.stream.getMoreUntil(3, 30_000)).flatMap(batchOf);
  assert.equal(events[0].operationType, 'insert');
  const fragments = events.slice(1);
  assert.deepEqual(fragments.map((f) => f.splitEvent), [{ fragment: 1, of: 2 }, { fragment: 2, of: 2 }]);
  const fields = new Set(fragments.flatMap((f) => Object.keys(f)));
  for (const field of ['operationType', 'fullDocument', 'fullDocumentBeforeChange', 'documentKey', 'ns']) assert.ok(fields.has(field), field);
  assert.ok(tokenData(fragments[0]._id) < tokenData(fragments[1]._id));
  await split.stream.kill();
});

simulatorOnly('history lost: a start point older than the oplog, and an open stream the oplog rolled past, fail with 286', async () => {
  const sim = await startSimulator({ oplogSizeMB: 0.05, periodicNoopIntervalMs: 0 });
  const smallClient = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  const s = smallClient.startSession();
  try {
    const db = smallClient.db('history');
    await db.collection('c').insertOne({ _id: 'first' } as Document, { session: s });
    const early = s.operationTime as Timestamp;
    const { stream } = await RawStream.open(db, s, 'c');
    const pad = 'p'.repeat(1000);
    for (let i = 0; i < 120; i++) await db.collection('c').insertOne({ _id: i, pad } as Document);

    const lost = await rejection(stream.getMore(100));
    assert.ok(lost instanceof MongoServerError, String(lost));
    assert.equal(lost.code, 286);
    assert.equal(lost.codeName, 'ChangeStreamHistoryLost');
    assert.ok(lost.hasErrorLabel('NonResumableChangeStreamError'));

    const tooOld = await rejection(RawStream.open(db, s, 'c', { startAtOperationTime: early }));
    assert.ok(tooOld instanceof MongoServerError, String(tooOld));
    assert.equal(tooOld.code, 286);
    assert.equal(tooOld.message, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
  } finally {
    await s.endSession();
    await smallClient.close();
    await sim.stop();
  }
});
