// Authentication (SCRAM over saslStart/saslContinue, speculative in the handshake) and user/role
// management. These need a server started with authentication, so they run on the simulator only.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, UUID, type MongoClientOptions } from 'mongodb';
import type { MongoSim } from '../index';
import { ON_SIMULATOR, simulatorOnly, startSimulator, type Loose, failure } from './target';

let sim: MongoSim;
const clients: MongoClient[] = [];

before(async () => {
  if (ON_SIMULATOR) sim = await startSimulator({ auth: true, users: [{ user: 'admin', password: 'adminPw' }] });
});
after(async () => {
  await Promise.all(clients.map((c) => c.close(true)));
  await sim?.stop();
});

function connect(username?: string, password?: string, options: MongoClientOptions = {}): MongoClient {
  const client = new MongoClient(sim.uri, {
    serverSelectionTimeoutMS: 5000,
    ...(username === undefined ? {} : { auth: { username, password } }),
    ...options,
  });
  clients.push(client);
  return client;
}

const admin = () => connect('admin', 'adminPw').db('admin');

simulatorOnly('the URI never carries credentials', async () => {
  assert.doesNotMatch(sim.uri, /@/);
  assert.match(sim.uri, /^mongodb:\/\/[^/]+\/\?replicaSet=rs0$/);
});

simulatorOnly('SCRAM-SHA-256 (negotiated and speculative) authenticates the startup user', async () => {
  const status = await admin().command({ connectionStatus: 1 });
  assert.deepEqual(status.authInfo.authenticatedUsers, [{ user: 'admin', db: 'admin' }]);
  assert.deepEqual(status.authInfo.authenticatedUserRoles, [{ role: 'root', db: 'admin' }]);
});

simulatorOnly('explicit SCRAM-SHA-256 and SCRAM-SHA-1 both authenticate', async () => {
  for (const authMechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1'] as const) {
    const client = connect('admin', 'adminPw', { authMechanism });
    assert.equal((await client.db('admin').command({ connectionStatus: 1 })).authInfo.authenticatedUsers.length, 1, authMechanism);
  }
});

simulatorOnly('hello advertises the SCRAM mechanisms of the user named in saslSupportedMechs', async () => {
  const reply = await connect().db('admin').command({ hello: 1, saslSupportedMechs: 'admin.admin' });
  assert.deepEqual(reply.saslSupportedMechs, ['SCRAM-SHA-1', 'SCRAM-SHA-256']);
  const unknown = await connect().db('admin').command({ hello: 1, saslSupportedMechs: 'admin.nobody' });
  assert.equal(unknown.saslSupportedMechs, undefined);
});

simulatorOnly('a wrong password is 18 AuthenticationFailed', async () => {
  const error = await failure(connect('admin', 'wrong').connect());
  assert.equal(error.code, 18);
  assert.equal(error.codeName, 'AuthenticationFailed');
  assert.equal(error.message, 'Authentication failed.');
  assert.doesNotMatch(JSON.stringify(error), /wrong/);
});

simulatorOnly('an unknown user is 18 AuthenticationFailed as well', async () => {
  const error = await failure(connect('ghost', 'whatever').connect());
  assert.equal(error.code, 18);
});

simulatorOnly('an unauthenticated connection may run hello, ping and buildInfo only', async () => {
  const db = connect().db('admin');
  assert.equal((await db.command({ ping: 1 })).ok, 1);
  assert.equal((await db.command({ hello: 1 })).ok, 1);
  assert.equal((await db.command({ buildInfo: 1 })).ok, 1);
  const error = await failure(connect().db('test').collection<Loose>('c').findOne({}));
  assert.equal(error.code, 13);
  assert.equal(error.codeName, 'Unauthorized');
  assert.equal(error.message, 'Command find requires authentication');
  assert.equal((await failure(db.command({ listDatabases: 1 }))).code, 13);
  assert.equal((await failure(db.command({ serverStatus: 1 }))).code, 13);
});

simulatorOnly('passwords go through SASLprep for SCRAM-SHA-256', async () => {
  await admin().command({ createUser: 'roman', pwd: '\u2168', roles: [] });
  const client = connect('roman', 'IX', { authMechanism: 'SCRAM-SHA-256' });
  assert.equal((await client.db('admin').command({ connectionStatus: 1 })).authInfo.authenticatedUsers[0].user, 'roman');
});

simulatorOnly('createUser makes a user that can log in with both mechanisms; usersInfo shows it', async () => {
  await admin().command({ createUser: 'reader', pwd: 'readerPw', roles: [{ role: 'read', db: 'app' }], customData: { team: 'x' } });
  const info = await admin().command({ usersInfo: 'reader' });
  assert.equal(info.users.length, 1);
  const [user] = info.users;
  assert.equal(user._id, 'admin.reader');
  assert.ok(user.userId instanceof UUID);
  assert.equal(user.user, 'reader');
  assert.equal(user.db, 'admin');
  assert.deepEqual(user.roles, [{ role: 'read', db: 'app' }]);
  assert.deepEqual(user.customData, { team: 'x' });
  assert.deepEqual(user.mechanisms, ['SCRAM-SHA-1', 'SCRAM-SHA-256']);
  assert.equal(user.credentials, undefined);
  for (const authMechanism of ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
    await connect('reader', 'readerPw', { authMechanism }).db('admin').command({ connectionStatus: 1 });
  }
});

simulatorOnly('usersInfo with showPrivileges lists inherited roles and privileges', async () => {
  await admin().command({ createUser: 'rw', pwd: 'rwPw', roles: ['readWriteAnyDatabase'] });
  const [user] = (await admin().command({ usersInfo: { user: 'rw', db: 'admin' }, showPrivileges: true })).users;
  assert.deepEqual(user.inheritedRoles, [{ role: 'readWriteAnyDatabase', db: 'admin' }]);
  const anyNormal = user.inheritedPrivileges.find((p: { resource: unknown }) => JSON.stringify(p.resource) === JSON.stringify({ db: '', collection: '' }));
  assert.ok(anyNormal.actions.includes('insert'));
  assert.ok(anyNormal.actions.includes('find'));
});

simulatorOnly('createUser of an existing user is 51003 and an unknown role is 31 RoleNotFound', async () => {
  const db = admin();
  assert.equal((await failure(db.command({ createUser: 'admin', pwd: 'x', roles: [] }))).code, 51003);
  const error = await failure(db.command({ createUser: 'nobody', pwd: 'x', roles: ['noSuchRole'] }));
  assert.equal(error.code, 31);
  assert.equal(error.codeName, 'RoleNotFound');
  assert.equal(error.message, 'Could not find role: noSuchRole@admin');
});

simulatorOnly('createUser needs roles (40414) and rejects unknown fields (40415)', async () => {
  assert.equal((await failure(admin().command({ createUser: 'x1', pwd: 'x' }))).code, 40414);
  assert.equal((await failure(admin().command({ createUser: 'x2', pwd: 'x', roles: [], bogus: 1 }))).code, 40415);
});

simulatorOnly('a user without a privilege gets 13 "not authorized on <db> to execute command"', async () => {
  await admin().command({ createUser: 'appReader', pwd: 'pw', roles: [{ role: 'read', db: 'app' }] });
  const client = connect('appReader', 'pw');
  assert.equal(await client.db('app').collection<Loose>('c').findOne({}), null);
  const error = await failure(client.db('app').collection<Loose>('c').insertOne({ a: 1 }));
  assert.equal(error.code, 13);
  assert.match(error.message, /^not authorized on app to execute command \{ insert: "c", /);
  assert.equal((await failure(client.db('other').collection<Loose>('c').findOne({}))).code, 13);
});

simulatorOnly('grantRolesToUser takes effect for the next command; revokeRolesFromUser removes it', async () => {
  await admin().command({ createUser: 'grower', pwd: 'pw', roles: [] });
  const client = connect('grower', 'pw');
  const coll = client.db('app').collection<Loose>('grown');
  assert.equal((await failure(coll.insertOne({ a: 1 }))).code, 13);
  await admin().command({ grantRolesToUser: 'grower', roles: [{ role: 'readWrite', db: 'app' }] });
  await coll.insertOne({ a: 1 });
  await admin().command({ revokeRolesFromUser: 'grower', roles: [{ role: 'readWrite', db: 'app' }] });
  assert.equal((await failure(coll.insertOne({ a: 2 }))).code, 13);
});

simulatorOnly('updateUser changes the password; dropUser removes the user', async () => {
  await admin().command({ createUser: 'changer', pwd: 'old', roles: [] });
  await admin().command({ updateUser: 'changer', pwd: 'new' });
  assert.equal((await failure(connect('changer', 'old').connect())).code, 18);
  await connect('changer', 'new').connect();
  await admin().command({ dropUser: 'changer' });
  assert.equal((await failure(connect('changer', 'new').connect())).code, 18);
  const error = await failure(admin().command({ dropUser: 'changer' }));
  assert.equal(error.code, 11);
  assert.equal(error.codeName, 'UserNotFound');
});

simulatorOnly('createRole with cluster privileges and an inherited role; rolesInfo shows both', async () => {
  await admin().command({
    createRole: 'blocker',
    privileges: [{ resource: { cluster: true }, actions: ['setUserWriteBlockMode', 'bypassWriteBlockingMode'] }],
    roles: [{ role: 'read', db: 'app' }],
  });
  const info = await admin().command({ rolesInfo: 'blocker', showPrivileges: true });
  assert.equal(info.roles.length, 1);
  const [role] = info.roles;
  assert.equal(role.role, 'blocker');
  assert.equal(role.db, 'admin');
  assert.equal(role.isBuiltin, false);
  assert.deepEqual(role.roles, [{ role: 'read', db: 'app' }]);
  assert.deepEqual(role.inheritedRoles, [{ role: 'read', db: 'app' }]);
  assert.deepEqual(role.privileges, [{ resource: { cluster: true }, actions: ['bypassWriteBlockingMode', 'setUserWriteBlockMode'] }]);
  const duplicate = await failure(admin().command({ createRole: 'blocker', privileges: [], roles: [] }));
  assert.equal(duplicate.code, 51002);
  const badAction = await failure(admin().command({ createRole: 'bad', privileges: [{ resource: { cluster: true }, actions: ['fly'] }], roles: [] }));
  assert.equal(badAction.code, 2);
});

simulatorOnly('rolesInfo of a built-in role reports isBuiltin', async () => {
  const info = await admin().command({ rolesInfo: { role: 'readWriteAnyDatabase', db: 'admin' } });
  assert.equal(info.roles[0].isBuiltin, true);
  assert.equal(info.roles[0].role, 'readWriteAnyDatabase');
});

simulatorOnly("getMore of another user's cursor is 13 Unauthorized", async () => {
  const adminDb = admin();
  const dbName = 'cursors';
  await adminDb.command({ createUser: 'owner', pwd: 'pw', roles: [{ role: 'readWrite', db: dbName }] });
  await adminDb.command({ createUser: 'intruder', pwd: 'pw', roles: [{ role: 'readWrite', db: dbName }] });
  const owner = connect('owner', 'pw');
  await owner.db(dbName).collection<Loose>('c').insertMany(Array.from({ length: 5 }, (_, i) => ({ i })));
  const opened = await owner.db(dbName).command({ find: 'c', batchSize: 1 });
  const intruder = connect('intruder', 'pw');
  const error = await failure(intruder.db(dbName).command({ getMore: opened.cursor.id, collection: 'c' }));
  assert.equal(error.code, 13);
  const more = await owner.db(dbName).command({ getMore: opened.cursor.id, collection: 'c' });
  assert.equal(more.cursor.nextBatch.length, 4);
});

simulatorOnly('logout ends the authentication of the connection', async () => {
  const client = connect('admin', 'adminPw', { maxPoolSize: 1 });
  const db = client.db('admin');
  await db.command({ logout: 1 });
  const status = await db.command({ connectionStatus: 1 });
  assert.deepEqual(status.authInfo.authenticatedUsers, []);
});
