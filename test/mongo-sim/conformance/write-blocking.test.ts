// User write blocking through the driver: who is blocked, the 371 error, what is exempt.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { MongoSim } from '../index';
import { ON_SIMULATOR, simulatorOnly, startSimulator, startTarget, type Target, type Loose, failure } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
afterEach(() => target.client().db('admin').command({ setUserWriteBlockMode: 1, global: false }));
after(() => target.close());

const block = (client: MongoClient, global: boolean) => client.db('admin').command({ setUserWriteBlockMode: 1, global });

test('enabling write blocking shows in serverStatus.repl.userWriteBlockMode (1 -> 2 -> 1)', async () => {
  const client = target.client();
  const mode = async () => (await client.db('admin').command({ serverStatus: 1 })).repl.userWriteBlockMode;
  assert.equal(await mode(), 1);
  assert.equal((await block(client, true)).ok, 1);
  assert.equal(await mode(), 2);
  assert.equal((await block(client, true)).ok, 1, 'enabling twice is a no-op success');
  await block(client, false);
  assert.equal(await mode(), 1);
});

test('with auth off every client is blocked: CRUD writes get write error 371', async () => {
  const client = target.client();
  const db = client.db(target.uniqueDb('wb'));
  await db.collection<Loose>('c').insertOne({ _id: 1 });
  await block(client, true);
  const raw = await db.command({ insert: 'c', documents: [{ _id: 2 }, { _id: 3 }] });
  assert.equal(raw.ok, 1);
  assert.equal(raw.n, 0);
  assert.equal(raw.writeErrors.length, 1);
  assert.equal(raw.writeErrors[0].index, 0);
  assert.equal(raw.writeErrors[0].code, 371);
  assert.match(raw.writeErrors[0].errmsg, /^User writes blocked/);
  const error = await failure(db.collection<Loose>('c').updateOne({ _id: 1 }, { $set: { a: 1 } }));
  assert.equal(error.code, 371);
  assert.equal((await failure(db.collection<Loose>('c').deleteOne({ _id: 1 }))).code, 371);
  assert.deepEqual(await db.collection<Loose>('c').find({}).toArray(), [{ _id: 1 }], 'reads still work and nothing changed');
});

test('DDL under write blocking is a top-level 371 UserWritesBlocked', async () => {
  const client = target.client();
  const db = client.db(target.uniqueDb('wb'));
  await block(client, true);
  const error = await failure(db.command({ create: 'newColl' }));
  assert.equal(error.code, 371);
  assert.equal(error.codeName, 'UserWritesBlocked');
});

test('writes to admin, config and local are exempt', async () => {
  const client = target.client();
  await block(client, true);
  for (const dbName of ['admin', 'config', 'local']) {
    const coll = client.db(dbName).collection(`wb_exempt_${Date.now()}`);
    await coll.insertOne({ a: 1 });
    assert.equal(await coll.countDocuments(), 1, dbName);
    await coll.drop();
  }
});

test('setUserWriteBlockMode runs only on admin', async () => {
  const error = await failure(target.client().db('test').command({ setUserWriteBlockMode: 1, global: true }));
  assert.equal(error.code, 13);
});

let authSim: MongoSim | undefined;
const authClients: MongoClient[] = [];

function authClient(username: string, password: string, options: MongoClientOptions = {}): MongoClient {
  if (!authSim) throw new Error('no simulator');
  const client = new MongoClient(authSim.uri, { serverSelectionTimeoutMS: 5000, auth: { username, password }, ...options });
  authClients.push(client);
  return client;
}

before(async () => {
  if (!ON_SIMULATOR) return;
  authSim = await startSimulator({ auth: true, users: [{ user: 'root', password: 'rootPw' }] });
  const admin = authClient('root', 'rootPw').db('admin');
  await admin.command({ createUser: 'restorer', pwd: 'pw', roles: ['restore'] });
  await admin.command({ createUser: 'writer', pwd: 'pw', roles: ['readWriteAnyDatabase'] });
  await admin.command({ createUser: 'backuper', pwd: 'pw', roles: ['backup'] });
  await admin.command({
    createRole: 'writeBlocker',
    privileges: [{ resource: { cluster: true }, actions: ['setUserWriteBlockMode', 'bypassWriteBlockingMode'] }],
    roles: [],
  });
  await admin.command({ createUser: 'operator', pwd: 'pw', roles: ['readWriteAnyDatabase', 'writeBlocker'] });
});
after(async () => {
  await Promise.all(authClients.map((c) => c.close(true)));
  await authSim?.stop();
});

async function withAuthBlocking(fn: () => Promise<void>): Promise<void> {
  const root = authClient('root', 'rootPw');
  await block(root, true);
  try {
    await fn();
  } finally {
    await block(root, false);
  }
}

simulatorOnly('with auth on, root and restore bypass write blocking', async () => {
  await withAuthBlocking(async () => {
    await authClient('root', 'rootPw').db('wbauth').collection<Loose>('c').insertOne({ by: 'root' });
    await authClient('restorer', 'pw').db('wbauth').collection<Loose>('c').insertOne({ by: 'restore' });
    const count = await authClient('root', 'rootPw').db('wbauth').collection<Loose>('c').countDocuments();
    assert.equal(count, 2);
  });
});

simulatorOnly('with auth on, readWriteAnyDatabase is blocked with 371 but may write to admin', async () => {
  await withAuthBlocking(async () => {
    const writer = authClient('writer', 'pw');
    const error = await failure(writer.db('wbauth').collection<Loose>('c').insertOne({ by: 'writer' }));
    assert.equal(error.code, 371);
    await writer.db('admin').collection<Loose>('wb_writer').insertOne({ by: 'writer' });
  });
});

simulatorOnly('a custom role with setUserWriteBlockMode and bypassWriteBlockingMode can block and still write', async () => {
  const operator = authClient('operator', 'pw');
  await block(operator, true);
  try {
    await operator.db('wbauth').collection<Loose>('op').insertOne({ by: 'operator' });
    assert.equal((await failure(authClient('writer', 'pw').db('wbauth').collection<Loose>('op').insertOne({ by: 'writer' }))).code, 371);
  } finally {
    await block(operator, false);
  }
});

simulatorOnly('backup may set the mode but does not bypass it', async () => {
  const backuper = authClient('backuper', 'pw');
  await block(backuper, true);
  try {
    const status = await authClient('root', 'rootPw').db('admin').command({ serverStatus: 1 });
    assert.equal(status.repl.userWriteBlockMode, 2);
  } finally {
    await block(backuper, false);
  }
  assert.equal((await failure(authClient('writer', 'pw').db('admin').command({ setUserWriteBlockMode: 1, global: true }))).code, 13);
});

simulatorOnly('the bypass is computed at login: a role granted later applies to new connections only', async () => {
  const root = authClient('root', 'rootPw');
  await root.db('admin').command({ createUser: 'late', pwd: 'pw', roles: ['readWriteAnyDatabase'] });
  const late = authClient('late', 'pw', { maxPoolSize: 1 });
  await late.db('wbauth').collection<Loose>('late').insertOne({ phase: 'before' });
  await withAuthBlocking(async () => {
    await root.db('admin').command({ grantRolesToUser: 'late', roles: ['writeBlocker'] });
    const error = await failure(late.db('wbauth').collection<Loose>('late').insertOne({ phase: 'same connection' }));
    assert.equal(error.code, 371);
    await authClient('late', 'pw').db('wbauth').collection<Loose>('late').insertOne({ phase: 'new connection' });
  });
});
