// configureFailPoint failCommand: modes and each data field.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoNetworkError, MongoServerError, MongoWriteConcernError } from 'mongodb';
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

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

test('{times: 1} fails the next matching command once with the given code', async () => {
  const client = target.client({ retryReads: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['find'], errorCode: 2 });
  const error = await errorOf(coll.findOne({}));
  assert.ok(error instanceof MongoServerError);
  assert.equal(error.code, 2);
  assert.equal(error.codeName, 'BadValue');
  assert.equal(error.message, "Failing command via 'failCommand' failpoint");
  assert.equal(await coll.findOne({}), null);
});

test('alwaysOn keeps failing until the fail point is turned off', async () => {
  const client = target.client({ retryReads: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await failCommand('alwaysOn', { failCommands: ['find'], errorCode: 8 });
  for (let i = 0; i < 3; i++) await assert.rejects(coll.findOne({}), { code: 8, codeName: 'UnknownError' });
  await failCommand('off', {});
  assert.equal(await coll.findOne({}), null);
});

test('{skip: n} lets n matching commands through, then fails', async () => {
  const client = target.client({ retryReads: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await failCommand({ skip: 2 }, { failCommands: ['find'], errorCode: 2 });
  assert.equal(await coll.findOne({}), null);
  assert.equal(await coll.findOne({}), null);
  await assert.rejects(coll.findOne({}), { code: 2 });
  await assert.rejects(coll.findOne({}), { code: 2 });
});

test('only the listed commands fail', async () => {
  const client = target.client({ retryReads: false });
  const db = client.db(target.uniqueDb('fp'));
  await failCommand('alwaysOn', { failCommands: ['insert'], errorCode: 2 });
  assert.equal(await db.collection<Loose>('c').findOne({}), null);
  assert.equal((await db.command({ ping: 1 })).ok, 1);
});

test('errorLabels replace the labels the server would add', async () => {
  const client = target.client({ retryWrites: true });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91, errorLabels: ['CustomLabel'] });
  const error = await errorOf(coll.insertOne({ a: 1 }));
  assert.ok(error instanceof MongoServerError);
  assert.equal(error.code, 91);
  assert.ok(error.hasErrorLabel('CustomLabel'));
  assert.ok(!error.hasErrorLabel('RetryableWriteError'), 'the server label is replaced, so the driver does not retry');
});

test('an unnamed error code gets codeName Location<code>', async () => {
  const client = target.client({ retryReads: false });
  await failCommand({ times: 1 }, { failCommands: ['find'], errorCode: 4999999 });
  await assert.rejects(client.db(target.uniqueDb('fp')).collection<Loose>('c').findOne({}), { code: 4999999, codeName: 'Location4999999' });
});

test('closeConnection closes the connection without a reply', async () => {
  const client = target.client({ retryReads: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await failCommand({ times: 1 }, { failCommands: ['find'], closeConnection: true });
  const error = await errorOf(coll.findOne({}));
  assert.ok(error instanceof MongoNetworkError, String(error));
  assert.equal(await coll.findOne({}), null);
});

test('blockConnection delays the command by blockTimeMS, then runs it', async () => {
  const client = target.client();
  const db = client.db(target.uniqueDb('fp'));
  await db.command({ ping: 1 });
  await failCommand({ times: 1 }, { failCommands: ['ping'], blockConnection: true, blockTimeMS: 300 });
  const started = Date.now();
  assert.equal((await db.command({ ping: 1 })).ok, 1);
  assert.ok(Date.now() - started >= 290, `took ${Date.now() - started} ms`);
});

test('blockConnection with errorCode delays, then fails', async () => {
  const client = target.client({ retryReads: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await coll.findOne({});
  await failCommand({ times: 1 }, { failCommands: ['find'], blockConnection: true, blockTimeMS: 200, errorCode: 2 });
  const started = Date.now();
  await assert.rejects(coll.findOne({}), { code: 2 });
  assert.ok(Date.now() - started >= 190);
});

test('writeConcernError is added to the reply of a command that ran', async () => {
  const client = target.client({ retryWrites: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  await failCommand(
    { times: 1 },
    { failCommands: ['insert'], writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } } },
  );
  const error = await errorOf(coll.insertOne({ _id: 1 }));
  assert.ok(error instanceof MongoWriteConcernError, String(error));
  assert.equal(error.code, 64);
  assert.deepEqual(await coll.find({ _id: 1 }).toArray(), [{ _id: 1 }]);
});

test('appName restricts the fail point to clients with that application name', async () => {
  const other = target.client({ appName: 'someoneElse', retryReads: false });
  const mine = target.client({ appName: 'failMe', retryReads: false });
  const dbName = target.uniqueDb('fp');
  await other.db(dbName).command({ ping: 1 });
  await mine.db(dbName).command({ ping: 1 });
  await failCommand('alwaysOn', { failCommands: ['find'], errorCode: 2, appName: 'failMe' });
  assert.equal(await other.db(dbName).collection<Loose>('c').findOne({}), null);
  await assert.rejects(mine.db(dbName).collection<Loose>('c').findOne({}), { code: 2 });
});

test('failInternalCommands is accepted and external commands still fail', async () => {
  const client = target.client({ retryReads: false });
  await failCommand({ times: 1 }, { failCommands: ['find'], errorCode: 2, failInternalCommands: true });
  await assert.rejects(client.db(target.uniqueDb('fp')).collection<Loose>('c').findOne({}), { code: 2 });
});

test('configureFailPoint replies with the count of activations so far', async () => {
  const client = target.client({ retryReads: false });
  const coll = client.db(target.uniqueDb('fp')).collection<Loose>('c');
  const first = await failCommand({ times: 2 }, { failCommands: ['find'], errorCode: 2 });
  assert.equal(typeof first.count, 'number');
  await assert.rejects(coll.findOne({}), { code: 2 });
  await assert.rejects(coll.findOne({}), { code: 2 });
  const second = await failCommand('off', {});
  assert.equal(second.count - first.count, 2);
});

test('configureFailPoint itself never fails and runs only on admin', async () => {
  await failCommand('alwaysOn', { failCommands: ['configureFailPoint'], errorCode: 2 });
  await failCommand('off', {});
  await assert.rejects(target.client().db('test').command({ configureFailPoint: 'failCommand', mode: 'off' }), { code: 13 });
});
