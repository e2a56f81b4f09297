// Multi-document transactions and snapshot reads through the driver's session API: isolation,
// atomic commit, abort, write conflicts, the oplog's applyOps entries and the change events a
// committed transaction produces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Long, Timestamp, type ClientSession, type Document, type MongoClient } from 'mongodb';
import { failure, startTarget, type Loose, type Target } from './target';
import { take, started, tokenData } from './change-streams-support';

let target: Target;
let client: MongoClient;

before(async () => {
  target = await startTarget();
  client = target.client();
});
after(() => target.close());

async function freshCollection(prefix: string) {
  const coll = client.db(target.uniqueDb(prefix)).collection<Loose>('c');
  await coll.insertOne({ _id: 0, v: 0 });
  return coll;
}

async function oplogEntriesSince(ts: Timestamp): Promise<Document[]> {
  return client.db('local').collection('oplog.rs').find({ ts: { $gt: ts } }).sort({ $natural: 1 }).toArray();
}

async function lastOplogTs(): Promise<Timestamp> {
  const [last] = await client.db('local').collection('oplog.rs').find({}).sort({ $natural: -1 }).limit(1).toArray();
  return last.ts as Timestamp;
}

test('a transaction reads its own writes; nobody else sees them until commit, then all at once', async () => {
  const coll = await freshCollection('txn');
  const session = client.startSession();
  try {
    session.startTransaction();
    await coll.insertOne({ _id: 1 }, { session });
    await coll.updateOne({ _id: 0 }, { $set: { v: 1 } }, { session });
    assert.deepEqual(await coll.find({}, { session }).sort({ _id: 1 }).toArray(), [{ _id: 0, v: 1 }, { _id: 1 }]);
    assert.deepEqual(await coll.find({}).toArray(), [{ _id: 0, v: 0 }], 'outside the transaction nothing changed');
    await session.commitTransaction();
    assert.deepEqual(await coll.find({}).sort({ _id: 1 }).toArray(), [{ _id: 0, v: 1 }, { _id: 1 }]);
  } finally {
    await session.endSession();
  }
});

test('a transaction reads a stable snapshot: a write committed after its first statement stays invisible', async () => {
  const coll = await freshCollection('txn');
  const session = client.startSession();
  try {
    session.startTransaction();
    assert.deepEqual(await coll.findOne({ _id: 0 }, { session }), { _id: 0, v: 0 });
    await coll.updateOne({ _id: 0 }, { $set: { v: 5 } });
    await coll.insertOne({ _id: 9 });
    assert.deepEqual(await coll.find({}, { session }).toArray(), [{ _id: 0, v: 0 }]);
    await session.commitTransaction();
  } finally {
    await session.endSession();
  }
});

test('abortTransaction discards every write and logs nothing', async () => {
  const coll = await freshCollection('txn');
  const from = await lastOplogTs();
  const session = client.startSession();
  try {
    session.startTransaction();
    await coll.insertOne({ _id: 1 }, { session });
    await coll.deleteOne({ _id: 0 }, { session });
    await session.abortTransaction();
  } finally {
    await session.endSession();
  }
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 0, v: 0 }]);
  const entries = (await oplogEntriesSince(from)).filter((e) => e.op !== 'n');
  assert.deepEqual(entries, []);
});

test('a second transaction writing the same document gets WriteConflict (TransientTransactionError) and is aborted', async () => {
  const coll = await freshCollection('txn');
  const first = client.startSession();
  const second = client.startSession();
  try {
    first.startTransaction();
    second.startTransaction();
    await coll.updateOne({ _id: 0 }, { $set: { v: 1 } }, { session: first });
    const conflict = await failure(coll.updateOne({ _id: 0 }, { $set: { v: 2 } }, { session: second }));
    assert.equal(conflict.code, 112);
    assert.equal(conflict.codeName, 'WriteConflict');
    assert.ok(conflict.hasErrorLabel('TransientTransactionError'));
    await first.commitTransaction();
    const gone = await failure(second.commitTransaction());
    assert.equal(gone.code, 251);
    assert.ok(gone.hasErrorLabel('TransientTransactionError'));
    assert.deepEqual(await coll.find({}).toArray(), [{ _id: 0, v: 1 }]);
  } finally {
    await first.endSession();
    await second.endSession();
  }
});

test('a transaction writing a document committed by someone else after its snapshot gets WriteConflict', async () => {
  const coll = await freshCollection('txn');
  const session = client.startSession();
  try {
    session.startTransaction();
    await coll.findOne({ _id: 0 }, { session });
    await coll.updateOne({ _id: 0 }, { $set: { v: 7 } });
    const conflict = await failure(coll.updateOne({ _id: 0 }, { $set: { v: 8 } }, { session }));
    assert.equal(conflict.code, 112);
    await session.abortTransaction();
  } finally {
    await session.endSession();
  }
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 0, v: 7 }]);
});

test('a retried commitTransaction answers as the first did and writes nothing again', async () => {
  const coll = await freshCollection('txn');
  const from = await lastOplogTs();
  const session = client.startSession();
  try {
    session.startTransaction();
    await coll.insertOne({ _id: 1 }, { session });
    await session.commitTransaction();
    await session.commitTransaction();
  } finally {
    await session.endSession();
  }
  const entries = (await oplogEntriesSince(from)).filter((e) => e.op !== 'n');
  assert.equal(entries.length, 1);
  assert.deepEqual(await coll.countDocuments({}), 2);
});

test('commands a transaction may not run fail with 263 OperationNotSupportedInTransaction', async () => {
  const coll = await freshCollection('txn');
  const session = client.startSession();
  try {
    session.startTransaction();
    await coll.findOne({}, { session });
    const error = await failure(coll.estimatedDocumentCount({ session }));
    assert.equal(error.code, 263);
    assert.equal(error.codeName, 'OperationNotSupportedInTransaction');
    assert.ok(!error.hasErrorLabel('TransientTransactionError'));
    await session.abortTransaction();
  } finally {
    await session.endSession();
  }
});

test('a statement after a failed one finds the transaction aborted: NoSuchTransaction', async () => {
  const coll = await freshCollection('txn');
  const session = client.startSession();
  try {
    session.startTransaction();
    const dup = await failure(coll.insertOne({ _id: 0 }, { session }));
    assert.equal(dup.code, 11000);
    const next = await failure(coll.insertOne({ _id: 5 }, { session }));
    assert.equal(next.code, 251);
    assert.ok(next.hasErrorLabel('TransientTransactionError'));
    await session.abortTransaction();
  } finally {
    await session.endSession();
  }
  assert.equal(await coll.countDocuments({ _id: 5 }), 0);
});

async function committedTransaction(session: ClientSession, work: () => Promise<void>): Promise<void> {
  session.startTransaction();
  await work();
  await session.commitTransaction();
}

test('a committed transaction is one applyOps entry on admin.$cmd with lsid, txnNumber and prevOpTime', async () => {
  const coll = await freshCollection('txn');
  const from = await lastOplogTs();
  const session = client.startSession();
  try {
    await committedTransaction(session, async () => {
      await coll.insertOne({ _id: 1, a: 1 }, { session });
      await coll.updateOne({ _id: 0 }, { $set: { v: 3 } }, { session });
      await coll.deleteOne({ _id: 1 }, { session });
    });
  } finally {
    await session.endSession();
  }
  const entries = (await oplogEntriesSince(from)).filter((e) => e.op !== 'n');
  assert.equal(entries.length, 1);
  const [entry] = entries;
  assert.equal(entry.op, 'c');
  assert.equal(entry.ns, 'admin.$cmd');
  assert.ok(entry.lsid?.id instanceof Binary);
  assert.ok(typeof entry.txnNumber === 'number' || entry.txnNumber instanceof Long, 'txnNumber');
  assert.deepEqual(entry.prevOpTime, { ts: new Timestamp({ t: 0, i: 0 }), t: -1 });
  const ops = entry.o.applyOps as Document[];
  assert.deepEqual(ops.map((o) => [o.op, o.ns]), [
    ['i', coll.namespace],
    ['u', coll.namespace],
    ['d', coll.namespace],
  ]);
  assert.deepEqual(ops[0].o, { _id: 1, a: 1 });
  assert.deepEqual(ops[1].o, { $v: 2, diff: { u: { v: 3 } } });
  assert.deepEqual(ops[2].o, { _id: 1 });
});

test('change streams emit one event per operation of a transaction, with lsid, txnNumber, one clusterTime and ordered tokens', async () => {
  const coll = await freshCollection('txn');
  const stream = coll.watch();
  await started(stream);
  const session = client.startSession();
  try {
    await committedTransaction(session, async () => {
      await coll.insertOne({ _id: 1 }, { session });
      await coll.insertOne({ _id: 2 }, { session });
      await coll.updateOne({ _id: 0 }, { $set: { v: 1 } }, { session });
    });
  } finally {
    await session.endSession();
  }
  const events = await take(stream, 3);
  await stream.close();
  assert.deepEqual(events.map((e) => e.operationType), ['insert', 'insert', 'update']);
  for (const e of events) {
    assert.ok(e.lsid?.id instanceof Binary, 'lsid');
    assert.ok(typeof e.txnNumber === 'number' || e.txnNumber instanceof Long, 'txnNumber');
    assert.ok((e.clusterTime as Timestamp).equals(events[0].clusterTime as Timestamp), 'one clusterTime');
  }
  const tokens = events.map((e) => tokenData(e._id));
  assert.deepEqual([...tokens].sort(), tokens, 'tokens sort in event order');
  assert.equal(new Set(tokens).size, 3);

  const resumed = coll.watch([], { resumeAfter: events[0]._id });
  const rest = await take(resumed, 2);
  await resumed.close();
  assert.deepEqual(rest.map((e) => e.documentKey), [{ _id: 2 }, { _id: 0 }], 'resuming inside the transaction continues with its next operation');
});

test('a transaction over 16 MiB is logged as a partialTxn chain; the stream still gets every operation at the commit time', async () => {
  const coll = await freshCollection('txn');
  const from = await lastOplogTs();
  const big = 'x'.repeat(1024 * 1024);
  const stream = coll.watch();
  await started(stream);
  const session = client.startSession();
  try {
    await committedTransaction(session, async () => {
      for (let i = 1; i <= 20; i++) await coll.insertOne({ _id: i, big }, { session });
    });
  } finally {
    await session.endSession();
  }
  const entries = (await oplogEntriesSince(from)).filter((e) => e.op !== 'n');
  assert.ok(entries.length >= 2, `a chain, got ${entries.length} entries`);
  for (const partial of entries.slice(0, -1)) assert.equal(partial.o.partialTxn, true);
  const commit = entries[entries.length - 1];
  assert.equal(commit.o.partialTxn, undefined);
  for (let i = 1; i < entries.length; i++) assert.ok((entries[i].prevOpTime.ts as Timestamp).equals(entries[i - 1].ts as Timestamp), 'prevOpTime links the chain');
  const total = entries.reduce((n, e) => n + (e.o.applyOps as unknown[]).length, 0);
  assert.equal(total, 20);

  const events = await take(stream, 20, 30_000);
  await stream.close();
  assert.deepEqual(events.map((e) => e.documentKey._id), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const e of events) assert.ok((e.clusterTime as Timestamp).equals(commit.ts as Timestamp), 'every event carries the commit time');
});

test('snapshot reads at atClusterTime see the collection as it was then', async () => {
  const coll = await freshCollection('snap');
  const session = client.startSession({ snapshot: true });
  try {
    assert.deepEqual(await coll.find({}, { session }).toArray(), [{ _id: 0, v: 0 }]);
    await coll.updateOne({ _id: 0 }, { $set: { v: 1 } });
    await coll.insertOne({ _id: 1 });
    assert.deepEqual(await coll.find({}, { session }).toArray(), [{ _id: 0, v: 0 }]);
    assert.deepEqual(await coll.distinct('v', {}, { session }), [0]);
  } finally {
    await session.endSession();
  }
  const error = await failure(client.db(coll.dbName).command({ insert: 'c', documents: [{ _id: 4 }], readConcern: { level: 'snapshot' } }));
  assert.equal(error.code, 72);
});

async function configureFailPoint(name: string, mode: unknown, data?: Document): Promise<void> {
  await client.db('admin').command({ configureFailPoint: name, mode, ...(data ? { data } : {}) });
}

test('onPrimaryTransactionalWrite closes the connection after the write committed: the retry returns it, written once', async () => {
  const coll = await freshCollection('fp');
  await configureFailPoint('onPrimaryTransactionalWrite', { times: 1 });
  try {
    await coll.insertOne({ _id: 1 });
  } finally {
    await configureFailPoint('onPrimaryTransactionalWrite', 'off');
  }
  assert.deepEqual(await coll.find({}).sort({ _id: 1 }).toArray(), [{ _id: 0, v: 0 }, { _id: 1 }]);
});

test('onPrimaryTransactionalWrite with failBeforeCommitExceptionCode fails the write before anything is written', async () => {
  const coll = await freshCollection('fp');
  await configureFailPoint('onPrimaryTransactionalWrite', 'alwaysOn', { closeConnection: false, failBeforeCommitExceptionCode: 2 });
  try {
    const error = await failure(coll.insertOne({ _id: 1 }));
    assert.equal(error.code, 2);
  } finally {
    await configureFailPoint('onPrimaryTransactionalWrite', 'off');
  }
  assert.equal(await coll.countDocuments({ _id: 1 }), 0);
});

test('failGetMoreAfterCursorCheckout fails a change-stream getMore with ResumableChangeStreamError; failCommand on getMore gets no such label', async () => {
  const coll = await freshCollection('fp');
  const db = client.db(coll.dbName);
  const agg = await db.command({ aggregate: 'c', pipeline: [{ $changeStream: {} }], cursor: {} });
  const id = agg.cursor.id as Long;
  await configureFailPoint('failGetMoreAfterCursorCheckout', { times: 1 }, { errorCode: 6 });
  const checkedOut = await failure(db.command({ getMore: id, collection: 'c' }));
  assert.equal(checkedOut.code, 6);
  assert.ok(checkedOut.hasErrorLabel('ResumableChangeStreamError'));
  assert.equal((await failure(db.command({ getMore: id, collection: 'c' }))).code, 43, 'the failed getMore destroyed its cursor');

  const again = await db.command({ aggregate: 'c', pipeline: [{ $changeStream: {} }], cursor: {} });
  await configureFailPoint('failCommand', { times: 1 }, { failCommands: ['getMore'], errorCode: 6 });
  try {
    const early = await failure(db.command({ getMore: again.cursor.id as Long, collection: 'c' }));
    assert.equal(early.code, 6);
    assert.ok(!early.hasErrorLabel('ResumableChangeStreamError'));
  } finally {
    await configureFailPoint('failCommand', 'off');
  }
});

test('events of a transaction carry pre- and post-images when the collection records them', async () => {
  const db = client.db(target.uniqueDb('txn_images'));
  await db.createCollection('c', { changeStreamPreAndPostImages: { enabled: true } });
  const coll = db.collection<Loose>('c');
  await coll.insertOne({ _id: 1, v: 1 });
  const stream = coll.watch([], { fullDocument: 'required', fullDocumentBeforeChange: 'required' });
  await started(stream);
  const session = client.startSession();
  try {
    await committedTransaction(session, async () => {
      await coll.updateOne({ _id: 1 }, { $set: { v: 2 } }, { session });
      await coll.deleteOne({ _id: 1 }, { session });
    });
  } finally {
    await session.endSession();
  }
  const [update, del] = await take(stream, 2);
  await stream.close();
  assert.deepEqual(update.fullDocumentBeforeChange, { _id: 1, v: 1 });
  assert.deepEqual(update.fullDocument, { _id: 1, v: 2 });
  assert.deepEqual(del.fullDocumentBeforeChange, { _id: 1, v: 2 });
});
