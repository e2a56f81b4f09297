// buildInfo, serverStatus, replSetGetStatus, getParameter and the other diagnostic commands
// (administrative commands, the write-blocking mode in serverStatus), and CommandNotFound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Int32, Long, Timestamp } from 'mongodb';
import { startTarget, type Target, type Loose } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

test('buildInfo reports version, versionArray, gitVersion, bits and sizes', async () => {
  const info = await target.client().db('admin').command({ buildInfo: 1 }, { promoteValues: false });
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.versionArray.length, 4);
  assert.ok(info.versionArray.every((n: unknown) => n instanceof Int32));
  assert.deepEqual(
    info.versionArray.slice(0, 3).map((n: Int32) => n.value),
    (info.version as string).split(/[.-]/).slice(0, 3).map(Number),
  );
  assert.match(info.gitVersion, /^[0-9a-f]{40}$/);
  assert.equal(info.bits.value, 64);
  assert.equal(info.debug, false);
  assert.equal(info.maxBsonObjectSize.value, 16777216);
  assert.ok(Array.isArray(info.modules));
  assert.ok(Array.isArray(info.storageEngines) && info.storageEngines.includes('wiredTiger'));
  assert.equal(typeof info.openssl, 'object');
  assert.equal(typeof info.buildEnvironment, 'object');
});

test('buildInfo runs on any database and in lower case', async () => {
  const client = target.client();
  assert.equal((await client.db('some_db').command({ buildinfo: 1 })).ok, 1);
});

test('serverStatus reports the process, connections, opcounters, storage engine and repl', async () => {
  const client = target.client();
  const status = await client.db('admin').command({ serverStatus: 1 }, { promoteValues: false });
  const info = await client.db('admin').command({ buildInfo: 1 });
  assert.equal(typeof status.host, 'string');
  assert.equal(status.version, info.version);
  assert.equal(status.process, 'mongod');
  assert.ok(status.pid instanceof Long);
  assert.ok(status.uptime instanceof Double);
  assert.ok(status.localTime instanceof Date);
  assert.ok(status.connections.current.value >= 1);
  assert.ok(status.connections.available.value > 0);
  assert.ok(status.connections.totalCreated.value >= 1);
  for (const counter of ['insert', 'query', 'update', 'delete', 'getmore', 'command']) {
    assert.ok(status.opcounters[counter] instanceof Long, counter);
  }
  assert.equal(status.storageEngine.name, 'wiredTiger');
  assert.equal(status.storageEngine.supportsCommittedReads, true);
  assert.equal(status.storageEngine.persistent, true);
  assert.equal(status.repl.isWritablePrimary, true);
  assert.equal(typeof status.repl.setName, 'string');
  assert.ok(Array.isArray(status.repl.hosts));
  assert.ok(status.repl.userWriteBlockMode instanceof Int32);
  assert.equal(status.repl.userWriteBlockMode.value, 1);
  assert.equal(status.oplog, undefined);
});

test('serverStatus counts inserted documents in opcounters.insert', async () => {
  const client = target.client();
  const before = await client.db('admin').command({ serverStatus: 1 });
  await client.db(target.uniqueDb('ss')).collection<Loose>('c').insertMany([{ a: 1 }, { a: 2 }, { a: 3 }]);
  const after = await client.db('admin').command({ serverStatus: 1 });
  assert.ok(after.opcounters.insert - before.opcounters.insert >= 3);
});

test('serverStatus with oplog: 1 adds earliest and latest optimes', async () => {
  const status = await target.client().db('admin').command({ serverStatus: 1, oplog: 1 });
  assert.ok(status.oplog.latestOptime instanceof Timestamp);
  assert.ok(status.oplog.earliestOptime instanceof Timestamp);
  assert.ok(status.oplog.latestOptime.greaterThanOrEqual(status.oplog.earliestOptime));
});

test('replSetGetStatus describes one PRIMARY member with optimes', async () => {
  const client = target.client();
  const status = await client.db('admin').command({ replSetGetStatus: 1 }, { promoteValues: false });
  const hello = await client.db('admin').command({ hello: 1 });
  assert.equal(status.set, hello.setName);
  assert.ok(status.date instanceof Date);
  assert.equal(status.myState.value, 1);
  assert.ok(status.term instanceof Long);
  assert.ok(status.heartbeatIntervalMillis instanceof Long);
  for (const field of ['lastCommittedOpTime', 'readConcernMajorityOpTime', 'appliedOpTime', 'durableOpTime']) {
    assert.ok(status.optimes[field].ts instanceof Timestamp, field);
    assert.ok(status.optimes[field].t instanceof Long, field);
  }
  assert.ok(status.optimes.lastAppliedWallTime instanceof Date);
  assert.equal(status.members.length, 1);
  const [member] = status.members;
  assert.equal(member.name, target.hostAndPort);
  assert.equal(member.stateStr, 'PRIMARY');
  assert.equal(member.state.value, 1);
  assert.equal(member.self, true);
  assert.ok(member.optime.ts instanceof Timestamp);
  assert.ok(member.optimeDate instanceof Date);
  assert.ok(member.electionTime instanceof Timestamp);
});

test('replSetGetStatus outside admin is 13 Unauthorized', async () => {
  await assert.rejects(target.client().db('test').command({ replSetGetStatus: 1 }), {
    code: 13,
    codeName: 'Unauthorized',
    message: 'replSetGetStatus may only be run against the admin database.',
  });
});

test('getParameter featureCompatibilityVersion matches the server series', async () => {
  const client = target.client();
  const reply = await client.db('admin').command({ getParameter: 1, featureCompatibilityVersion: 1 });
  const info = await client.db('admin').command({ buildInfo: 1 });
  assert.deepEqual(Object.keys(reply.featureCompatibilityVersion), ['version']);
  assert.equal(reply.featureCompatibilityVersion.version, (info.version as string).split('.').slice(0, 2).join('.'));
});

test('getParameter of an unknown parameter is 72 InvalidOptions', async () => {
  await assert.rejects(target.client().db('admin').command({ getParameter: 1, noSuchParameterAtAll: 1 }), {
    code: 72,
    codeName: 'InvalidOptions',
  });
});

test('hostInfo, whatsmyuri, getCmdLineOpts and connectionStatus answer', async () => {
  const admin = target.client().db('admin');
  const host = await admin.command({ hostInfo: 1 });
  assert.ok(host.system.currentTime instanceof Date);
  assert.equal(typeof host.system.hostname, 'string');
  assert.equal(typeof host.os.type, 'string');
  const uri = await admin.command({ whatsmyuri: 1 });
  assert.match(uri.you, /:\d+$/);
  const opts = await admin.command({ getCmdLineOpts: 1 });
  assert.ok(Array.isArray(opts.argv));
  assert.equal(typeof opts.parsed, 'object');
  const status = await admin.command({ connectionStatus: 1 });
  assert.deepEqual(status.authInfo.authenticatedUsers, []);
  assert.deepEqual(status.authInfo.authenticatedUserRoles, []);
});

test('an unknown command is 59 CommandNotFound', async () => {
  await assert.rejects(target.client().db('test').command({ noSuchCommandHere: 1 }), {
    code: 59,
    codeName: 'CommandNotFound',
    message: "no such command: 'noSuchCommandHere'",
  });
});

test('any casing of isMaster but the two legacy ones is CommandNotFound', async () => {
  await assert.rejects(target.client().db('admin').command({ ISMASTER: 1 }), { code: 59 });
});

test('generic arguments are accepted alongside command fields', async () => {
  const client = target.client();
  const db = client.db(target.uniqueDb('gen'));
  assert.equal((await db.command({ ping: 1, comment: 'hi', maxTimeMS: 1000 })).ok, 1);
  await db.command({ insert: 'c', documents: [{ a: 1 }], writeConcern: { w: 'majority' }, comment: { why: 'test' } });
  const found = await db.command({ find: 'c', filter: {}, readConcern: { level: 'local' }, maxTimeMS: 5000, comment: 'x' });
  assert.equal(found.cursor.firstBatch.length, 1);
});
