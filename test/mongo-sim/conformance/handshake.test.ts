// Handshake, topology and monitoring as the official driver sees them (handshake and monitoring).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Double,
  Int32,
  Long,
  ObjectId,
  Timestamp,
  type ConnectionPoolClearedEvent,
  type ServerHeartbeatFailedEvent,
  type TopologyDescription,
} from 'mongodb';
import { simulatorOnly, startTarget, type Target, type Loose } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

test('a plain replicaSet URI connects and pings', async () => {
  const client = target.client();
  const reply = await client.db('admin').command({ ping: 1 });
  assert.equal(reply.ok, 1);
});

test('hello reports a writable primary of the named set at the seed address', async () => {
  const client = target.client();
  const hello = await client.db('admin').command({ hello: 1 }, { promoteValues: false });
  assert.deepEqual(hello.hosts, [target.hostAndPort]);
  assert.equal(hello.primary, target.hostAndPort);
  assert.equal(hello.me, target.hostAndPort);
  assert.equal(typeof hello.setName, 'string');
  assert.ok(hello.setVersion instanceof Int32);
  assert.equal(hello.isWritablePrimary, true);
  assert.equal(hello.ismaster, undefined);
  assert.equal(hello.secondary, false);
  assert.ok(hello.electionId instanceof ObjectId);
  assert.equal(hello.electionId.toHexString().slice(0, 8), '7fffffff');
  assert.ok(hello.lastWrite.opTime.ts instanceof Timestamp);
  assert.ok(hello.lastWrite.opTime.t instanceof Long);
  assert.ok(hello.lastWrite.lastWriteDate instanceof Date);
  assert.ok(hello.lastWrite.majorityOpTime.ts instanceof Timestamp);
  assert.ok(hello.lastWrite.majorityWriteDate instanceof Date);
  assert.equal(hello.maxBsonObjectSize.value, 16777216);
  assert.equal(hello.maxMessageSizeBytes.value, 48000000);
  assert.equal(hello.maxWriteBatchSize.value, 100000);
  assert.ok(hello.localTime instanceof Date);
  assert.equal(hello.logicalSessionTimeoutMinutes.value, 30);
  assert.ok(hello.connectionId instanceof Int32 || hello.connectionId instanceof Long);
  assert.equal(hello.minWireVersion.value, 0);
  assert.equal(hello.readOnly, false);
  assert.ok(hello.ok instanceof Double);
  assert.equal(hello.isreplicaset, undefined);
  assert.equal(hello.msg, undefined);
});

test('maxWireVersion matches the version buildInfo reports', async () => {
  const client = target.client();
  const hello = await client.db('admin').command({ hello: 1 });
  const info = await client.db('admin').command({ buildInfo: 1 });
  const series = (info.version as string).split('.').slice(0, 2).join('.');
  const expected: Record<string, number> = { '6.0': 17, '7.0': 21, '8.0': 25 };
  assert.equal(hello.maxWireVersion, expected[series]);
});

test('electionId and setVersion stay constant between replies', async () => {
  const client = target.client();
  const first = await client.db('admin').command({ hello: 1 });
  await client.db(target.uniqueDb('hs')).collection<Loose>('c').insertOne({ a: 1 });
  const second = await client.db('admin').command({ hello: 1 });
  assert.equal(first.electionId.toHexString(), second.electionId.toHexString());
  assert.equal(first.setVersion, second.setVersion);
});

test('legacy isMaster and ismaster answer with ismaster instead of isWritablePrimary', async () => {
  const client = target.client();
  for (const name of ['isMaster', 'ismaster']) {
    const reply = await client.db('admin').command({ [name]: 1 });
    assert.equal(reply.ismaster, true, name);
    assert.equal(reply.isWritablePrimary, undefined, name);
  }
});

test('hello echoes helloOk only when the request has it', async () => {
  const client = target.client();
  assert.equal((await client.db('admin').command({ hello: 1, helloOk: true })).helloOk, true);
  assert.equal((await client.db('admin').command({ hello: 1 })).helloOk, undefined);
});

test('hello ignores fields it does not know', async () => {
  const client = target.client();
  const reply = await client.db('admin').command({ hello: 1, backpressure: '2', someFutureField: { x: 1 } });
  assert.equal(reply.ok, 1);
});

test('hello with maxAwaitTimeMS but no topologyVersion is 31368', async () => {
  const client = target.client();
  await assert.rejects(client.db('admin').command({ hello: 1, maxAwaitTimeMS: 100 }), { code: 31368 });
});

test('a later hello may not carry client metadata (186 ClientMetadataCannotBeMutated)', async () => {
  const client = target.client();
  await assert.rejects(client.db('admin').command({ hello: 1, client: { application: { name: 'again' } } }), {
    code: 186,
    codeName: 'ClientMetadataCannotBeMutated',
  });
});

simulatorOnly('hello leaves out topologyVersion so the driver polls, and never offers compression', async () => {
  const client = target.client();
  const hello = await client.db('admin').command({ hello: 1 });
  assert.equal(hello.topologyVersion, undefined);
  assert.equal(hello.compression, undefined);
});

test('explicit sessions work and lsid is attached to commands', async () => {
  const client = target.client({ monitorCommands: true });
  const lsids: unknown[] = [];
  client.on('commandStarted', (e) => {
    if (e.commandName === 'insert') lsids.push(e.command.lsid);
  });
  const coll = client.db(target.uniqueDb('sess')).collection<Loose>('c');
  await client.withSession(async (session) => {
    await coll.insertOne({ a: 1 }, { session });
    assert.equal((await coll.find({}, { session }).toArray()).length, 1);
  });
  assert.equal(lsids.length, 1);
  assert.ok(lsids[0] && typeof lsids[0] === 'object');
});

test('monitoring over several heartbeats never fails a heartbeat or clears the pool', async () => {
  const client = target.client({ heartbeatFrequencyMS: 500 });
  const cleared: ConnectionPoolClearedEvent[] = [];
  const failed: ServerHeartbeatFailedEvent[] = [];
  let succeeded = 0;
  client.on('connectionPoolCleared', (e) => cleared.push(e));
  client.on('serverHeartbeatFailed', (e) => failed.push(e));
  client.on('serverHeartbeatSucceeded', () => succeeded++);
  await client.connect();
  const coll = client.db(target.uniqueDb('mon')).collection<Loose>('c');
  const deadline = Date.now() + 2200;
  while (Date.now() < deadline) {
    await coll.insertOne({ at: new Date() });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(succeeded >= 3, `only ${succeeded} heartbeats`);
  assert.deepEqual(failed, []);
  assert.deepEqual(cleared, []);
});

test('the topology is a replica set with a primary at the seed address', async () => {
  const client = target.client();
  let description: TopologyDescription | undefined;
  client.on('topologyDescriptionChanged', (e) => {
    description = e.newDescription;
  });
  await client.db('admin').command({ ping: 1 });
  assert.ok(description);
  assert.equal(description.type, 'ReplicaSetWithPrimary');
  const seed = target.hostAndPort.toLowerCase();
  assert.deepEqual([...description.servers.keys()], [seed]);
  assert.equal(description.servers.get(seed)?.type, 'RSPrimary');
});
