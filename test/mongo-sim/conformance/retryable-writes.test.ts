// Retryable writes (sessions and generic command arguments): the driver retries, the server labels and deduplicates.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoServerError, type Document, type CommandFailedEvent, type CommandStartedEvent, type CommandSucceededEvent } from 'mongodb';
import { disableFailCommand, startTarget, type Target, type Loose } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
afterEach(() => disableFailCommand(target.client()));
after(() => target.close());

function failCommand(mode: unknown, data: Record<string, unknown>) {
  return target.client().db('admin').command({ configureFailPoint: 'failCommand', mode, data });
}

test('an insert cut off by closeConnection is retried once and written once', async () => {
  const client = target.client({ monitorCommands: true });
  const started: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => {
    if (e.commandName === 'insert') started.push(e);
  });
  const coll = client.db(target.uniqueDb('rw')).collection<Loose>('c');
  await coll.insertOne({ _id: 0 });
  started.length = 0;
  await failCommand({ times: 1 }, { failCommands: ['insert'], closeConnection: true });
  await coll.insertOne({ _id: 1 });
  assert.equal(started.length, 2, 'one attempt and one retry');
  assert.ok(started[0].command.txnNumber !== undefined);
  assert.deepEqual(started[1].command.txnNumber, started[0].command.txnNumber, 'the retry reuses the txnNumber');
  assert.deepEqual(await coll.find({}).sort({ _id: 1 }).toArray(), [{ _id: 0 }, { _id: 1 }]);
});

test('a retriable error on a write with txnNumber carries RetryableWriteError and is retried', async () => {
  const client = target.client({ monitorCommands: true });
  const failures: CommandFailedEvent[] = [];
  client.on('commandFailed', (e) => failures.push(e));
  const coll = client.db(target.uniqueDb('rw')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 189 });
  await coll.insertOne({ _id: 1 });
  assert.equal(failures.length, 1);
  const failure = failures[0].failure as MongoServerError;
  assert.equal(failure.code, 189);
  assert.ok(failure.hasErrorLabel('RetryableWriteError'));
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 1 }]);
});

test('without txnNumber the same error has no RetryableWriteError label', async () => {
  const client = target.client({ retryWrites: false });
  const coll = client.db(target.uniqueDb('rw')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 189 });
  const error = await coll.insertOne({ _id: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof MongoServerError);
  assert.equal(error.code, 189);
  assert.ok(!error.hasErrorLabel('RetryableWriteError'));
});

test('a non-retriable code gets no RetryableWriteError label', async () => {
  const client = target.client();
  const coll = client.db(target.uniqueDb('rw')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 2 });
  const error = await coll.insertOne({ _id: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof MongoServerError);
  assert.ok(!error.hasErrorLabel('RetryableWriteError'));
});

test('a retry of a write that already ran returns the stored result instead of writing again', async () => {
  const client = target.client({ monitorCommands: true });
  const succeeded: CommandSucceededEvent[] = [];
  client.on('commandSucceeded', (e) => {
    if (e.commandName === 'insert') succeeded.push(e);
  });
  const coll = client.db(target.uniqueDb('rw')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['insert'], writeConcernError: { code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down' } });
  const result = await coll.insertOne({ _id: 7 });
  assert.equal(result.acknowledged, true);
  assert.equal(succeeded.length, 2, 'the first reply had a writeConcernError, the retry succeeded');
  const [first, retry] = succeeded.map((e) => e.reply as Document);
  assert.deepEqual(first.errorLabels, ['RetryableWriteError']);
  assert.equal(retry.n, 1, 'the retry reports the original insert');
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 7 }], 'no duplicate key error and one document');
});

test('updateMany is not retryable, so it carries no txnNumber', async () => {
  const client = target.client({ monitorCommands: true });
  const started: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => {
    if (e.commandName === 'update') started.push(e);
  });
  const coll = client.db(target.uniqueDb('rw')).collection<Loose>('c');
  await coll.insertMany([{ a: 1 }, { a: 1 }]);
  await failCommand({ times: 1 }, { failCommands: ['update'], errorCode: 189 });
  await assert.rejects(coll.updateMany({ a: 1 }, { $set: { b: 1 } }), (e: unknown) => e instanceof MongoServerError && e.code === 189 && !e.hasErrorLabel('RetryableWriteError'));
  assert.equal(started.length, 1);
  assert.equal(started[0].command.txnNumber, undefined);
});

function onPrimaryTransactionalWrite(mode: unknown, data?: Record<string, unknown>) {
  return target.client().db('admin').command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode, ...(data ? { data } : {}) });
}

test('onPrimaryTransactionalWrite: a write committed before the connection closed is not written again by the retry', async () => {
  const coll = target.client().db(target.uniqueDb('rw_optw')).collection<Loose>('c');
  await coll.insertOne({ _id: 1, x: 11 });
  await onPrimaryTransactionalWrite({ times: 1 });
  try {
    const r = await coll.updateOne({ _id: 1 }, { $inc: { x: 1 } } as Document);
    assert.equal(r.modifiedCount, 1);
  } finally {
    await onPrimaryTransactionalWrite('off');
  }
  assert.deepEqual(await coll.find({}).toArray(), [{ _id: 1, x: 12 }]);
});

test('onPrimaryTransactionalWrite: a write that fails before commit once is written once by the retry', async () => {
  const coll = target.client().db(target.uniqueDb('rw_optw')).collection<Loose>('c');
  await onPrimaryTransactionalWrite({ times: 1 }, { failBeforeCommitExceptionCode: 1 });
  try {
    const r = await coll.insertMany([{ _id: 1 }, { _id: 2 }]);
    assert.equal(r.insertedCount, 2);
  } finally {
    await onPrimaryTransactionalWrite('off');
  }
  assert.deepEqual(await coll.find({}).sort({ _id: 1 }).toArray(), [{ _id: 1 }, { _id: 2 }]);
});

test('onPrimaryTransactionalWrite: a write that fails before commit on every attempt is never written', async () => {
  const coll = target.client().db(target.uniqueDb('rw_optw')).collection<Loose>('c');
  await onPrimaryTransactionalWrite({ times: 2 }, { failBeforeCommitExceptionCode: 1 });
  try {
    await assert.rejects(coll.insertOne({ _id: 1 }));
  } finally {
    await onPrimaryTransactionalWrite('off');
  }
  assert.deepEqual(await coll.find({}).toArray(), []);
});
