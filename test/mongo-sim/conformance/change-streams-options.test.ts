// $changeStream options through the driver: fullDocument, fullDocumentBeforeChange, resumeAfter,
// startAfter, startAtOperationTime, and how the driver resumes (opening a change stream,
// change events, resume tokens, driver resume rules).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoServerError, type Document, type MongoClient } from 'mongodb';
import { disableFailCommand, startTarget, type Target } from './target';
import { rejection, started, take } from './change-streams-support';

let target: Target;
let client: MongoClient;

before(async () => {
  target = await startTarget();
  client = target.client();
});
after(() => target.close());

const FAST = { maxAwaitTimeMS: 50 };

test('fullDocument updateLookup: the current document when the batch is built, null once deleted', async () => {
  const db = client.db(target.uniqueDb('cs_lookup'));
  const coll = db.collection('c');
  const stream = coll.watch<Document, Document>([], { ...FAST, fullDocument: 'updateLookup' });
  await started(stream);
  await coll.insertOne({ _id: 1, n: 0 } as Document);
  await coll.updateOne({ _id: 1 } as Document, { $set: { n: 1 } });
  await coll.updateOne({ _id: 1 } as Document, { $set: { n: 2 } });
  const [insert, first, second] = await take(stream, 3);
  assert.deepEqual(insert.fullDocument, { _id: 1, n: 0 });
  assert.deepEqual(first.fullDocument, { _id: 1, n: 2 });
  assert.deepEqual(first.updateDescription, { updatedFields: { n: 1 }, removedFields: [], truncatedArrays: [] });
  assert.deepEqual(second.fullDocument, { _id: 1, n: 2 });
  await coll.updateOne({ _id: 1 } as Document, { $set: { n: 3 } });
  await coll.deleteOne({ _id: 1 } as Document);
  const [third, del] = await take(stream, 2);
  await stream.close();
  assert.equal(third.fullDocument, null);
  assert.ok(!('fullDocument' in del));
});

test('pre- and post-images with changeStreamPreAndPostImages', async () => {
  const db = client.db(target.uniqueDb('cs_images'));
  await db.createCollection('c', { changeStreamPreAndPostImages: { enabled: true } });
  const coll = db.collection('c');
  const stream = coll.watch<Document, Document>([], { ...FAST, fullDocument: 'required', fullDocumentBeforeChange: 'required' });
  await started(stream);
  await coll.insertOne({ _id: 1, n: 0 } as Document);
  await coll.updateOne({ _id: 1 } as Document, { $inc: { n: 1 } });
  await coll.replaceOne({ _id: 1 } as Document, { m: 1 });
  await coll.deleteOne({ _id: 1 } as Document);
  const [insert, update, replace, del] = await take(stream, 4);
  await stream.close();
  assert.deepEqual([insert.fullDocument, 'fullDocumentBeforeChange' in insert], [{ _id: 1, n: 0 }, false]);
  assert.deepEqual([update.fullDocument, update.fullDocumentBeforeChange], [{ _id: 1, n: 1 }, { _id: 1, n: 0 }]);
  assert.deepEqual([replace.fullDocument, replace.fullDocumentBeforeChange], [{ _id: 1, m: 1 }, { _id: 1, n: 1 }]);
  assert.deepEqual([del.fullDocumentBeforeChange, 'fullDocument' in del], [{ _id: 1, m: 1 }, false]);
});

test('without pre- and post-images: whenAvailable gives null, required fails with 47', async () => {
  const db = client.db(target.uniqueDb('cs_noimages'));
  const coll = db.collection('c');
  await coll.insertOne({ _id: 1, n: 0 } as Document);
  const when = coll.watch<Document, Document>([], { ...FAST, fullDocument: 'whenAvailable', fullDocumentBeforeChange: 'whenAvailable' });
  const required = coll.watch<Document, Document>([], { ...FAST, fullDocumentBeforeChange: 'required' });
  await started(when);
  await started(required);
  await coll.updateOne({ _id: 1 } as Document, { $inc: { n: 1 } });
  const [update] = await take(when, 1);
  await when.close();
  assert.deepEqual([update.fullDocument, update.fullDocumentBeforeChange], [null, null]);
  const err = await rejection(take(required, 1));
  assert.ok(err instanceof MongoServerError, String(err));
  assert.equal(err.code, 47);
  assert.equal(err.codeName, 'NoMatchingDocument');
  assert.match(err.message, /pre-image was not found/);
  await required.close();
});

test('resumeAfter and startAfter an event continue strictly after it; startAtOperationTime is inclusive', async () => {
  const db = client.db(target.uniqueDb('cs_resume'));
  const coll = db.collection('c');
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }] as Document[]);
  const [e1, e2, e3] = await take(stream, 3);
  await stream.close();
  const ids = (events: Document[]) => events.map((e) => (e.documentKey as Document)._id);

  const afterFirst = coll.watch<Document, Document>([], { ...FAST, resumeAfter: e1._id });
  assert.deepEqual(ids(await take(afterFirst, 2)), [2, 3]);
  await afterFirst.close();

  const startAfter = coll.watch<Document, Document>([], { ...FAST, startAfter: e1._id });
  const [s2, s3] = await take(startAfter, 2);
  await startAfter.close();
  assert.deepEqual([s2._id, s3._id], [e2._id, e3._id]);

  const atSecond = coll.watch<Document, Document>([], { ...FAST, startAtOperationTime: e2.clusterTime });
  assert.deepEqual(ids(await take(atSecond, 2)), [2, 3]);
  await atSecond.close();
});

test('startAfter an invalidate starts a stream after it; resumeAfter an invalidate is 260', async () => {
  const db = client.db(target.uniqueDb('cs_startafter'));
  const coll = db.collection('c');
  await coll.insertOne({ _id: 0 } as Document);
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.drop();
  const [, invalidate] = await take(stream, 2);
  assert.equal(invalidate.operationType, 'invalidate');
  await coll.insertOne({ _id: 'recreated' } as Document);

  const after = coll.watch<Document, Document>([], { ...FAST, startAfter: invalidate._id });
  const [event] = await take(after, 1);
  await after.close();
  assert.deepEqual([event.operationType, event.documentKey], ['insert', { _id: 'recreated' }]);

  const resumed = coll.watch<Document, Document>([], { ...FAST, resumeAfter: invalidate._id });
  const err = await rejection(resumed.tryNext());
  assert.ok(err instanceof MongoServerError, String(err));
  assert.equal(err.code, 260);
  await resumed.close();
});

test('the driver resumes after a ResumableChangeStreamError without losing or repeating events', async () => {
  const watcher = target.client({ monitorCommands: true });
  const aggregates: Document[] = [];
  const failedGetMores: Document[] = [];
  watcher.on('commandStarted', (e) => {
    if (e.commandName === 'aggregate') aggregates.push(e.command);
  });
  watcher.on('commandFailed', (e) => {
    if (e.commandName === 'getMore') failedGetMores.push(e.failure as unknown as Document);
  });
  const db = watcher.db(target.uniqueDb('cs_driver_resume'));
  const coll = db.collection('c');
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await coll.insertOne({ _id: 1 } as Document);
  const [first] = await take(stream, 1);
  // failGetMoreAfterCursorCheckout, not failCommand: mongod labels a getMore error as a change
  // stream's only once the getMore has checked out its cursor, which failCommand precedes
  await client.db('admin').command({ configureFailPoint: 'failGetMoreAfterCursorCheckout', mode: { times: 1 }, data: { errorCode: 234 } });
  try {
    await coll.insertMany([{ _id: 2 }, { _id: 3 }] as Document[]);
    const rest = await take(stream, 2);
    assert.deepEqual([first, ...rest].map((e) => (e.documentKey as Document)._id), [1, 2, 3]);
  } finally {
    await client.db('admin').command({ configureFailPoint: 'failGetMoreAfterCursorCheckout', mode: 'off' });
    await stream.close();
  }
  assert.equal(failedGetMores.length, 1, 'the fail point failed one getMore');
  assert.ok((failedGetMores[0] as { hasErrorLabel?: (l: string) => boolean }).hasErrorLabel?.('ResumableChangeStreamError'));
  assert.equal(aggregates.length, 2, 'the driver re-ran the aggregate');
  const resumedStage = (aggregates[1].pipeline as Document[])[0].$changeStream as Document;
  assert.ok(resumedStage.resumeAfter, 'the resumed aggregate carries resumeAfter');
});

test('a failCommand error on a change-stream getMore carries no change-stream label, so the driver does not resume', async () => {
  const db = client.db(target.uniqueDb('cs_failcommand_label'));
  const coll = db.collection('c');
  const stream = coll.watch<Document, Document>([], FAST);
  await started(stream);
  await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['getMore'], errorCode: 6 } });
  try {
    await coll.insertOne({ _id: 1 } as Document);
    const err = await rejection(stream.next());
    assert.ok(err instanceof MongoServerError, String(err));
    assert.equal(err.code, 6);
    assert.equal(err.hasErrorLabel('ResumableChangeStreamError'), false);
  } finally {
    await disableFailCommand(client);
    await stream.close();
  }
});

test('a token from another collection fails with 280 and NonResumableChangeStreamError once this one has an event', async () => {
  const db = client.db(target.uniqueDb('cs_foreign'));
  const a = db.collection('a');
  const b = db.collection('b');
  await b.insertOne({ _id: 0 } as Document);
  const streamA = a.watch<Document, Document>([], FAST);
  await started(streamA);
  await a.insertOne({ _id: 1 } as Document);
  const [eventA] = await take(streamA, 1);
  await streamA.close();
  const streamB = b.watch<Document, Document>([], { ...FAST, resumeAfter: eventA._id });
  await b.insertOne({ _id: 2 } as Document);
  const err = await rejection(take(streamB, 1));
  assert.ok(err instanceof MongoServerError, String(err));
  assert.equal(err.code, 280);
  assert.ok(err.hasErrorLabel('NonResumableChangeStreamError'));
  assert.match(err.message, /cannot resume stream; the resume token was not found/);
  await streamB.close();
});

test('$changeStream must be the first stage (40602) and cannot watch a view (166)', async () => {
  const db = client.db(target.uniqueDb('cs_placement'));
  await db.createCollection('c');
  await db.createCollection('v', { viewOn: 'c', pipeline: [] });
  await assert.rejects(
    db.command({ aggregate: 'c', pipeline: [{ $match: {} }, { $changeStream: {} }], cursor: {} }),
    (error: unknown) => error instanceof MongoServerError && Number(error.code) === 40602,
  );
  await assert.rejects(
    db.command({ aggregate: 'v', pipeline: [{ $changeStream: {} }], cursor: {} }),
    (error: unknown) => error instanceof MongoServerError && Number(error.code) === 166 && error.codeName === 'CommandNotSupportedOnView',
  );
});
