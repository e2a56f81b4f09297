// $clusterTime and operationTime gossip on every reply, success or error ($clusterTime gossip, logical time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Long, MongoServerError, Timestamp, type CommandFailedEvent, type CommandSucceededEvent, type Document } from 'mongodb';
import { startTarget, type Target, type Loose } from './target';

let target: Target;

before(async () => {
  target = await startTarget();
});
after(() => target.close());

function assertGossip(reply: Document, what: string): void {
  assert.ok(reply.operationTime instanceof Timestamp, `${what}: operationTime is a Timestamp`);
  assert.ok(reply.$clusterTime, `${what}: $clusterTime present`);
  const clusterTime = reply.$clusterTime as { clusterTime: Timestamp; signature: { hash: Binary; keyId: unknown } };
  assert.ok(clusterTime.clusterTime instanceof Timestamp, `${what}: $clusterTime.clusterTime is a Timestamp`);
  assert.ok(clusterTime.clusterTime.greaterThanOrEqual(reply.operationTime as Timestamp), `${what}: clusterTime >= operationTime`);
  assert.ok(clusterTime.signature.hash instanceof Binary, `${what}: signature.hash is binary`);
  assert.equal(clusterTime.signature.hash.length(), 20, `${what}: 20-byte hash`);
}

test('successful replies carry $clusterTime (with a signature) and operationTime', async () => {
  const client = target.client({ monitorCommands: true });
  const replies: CommandSucceededEvent[] = [];
  client.on('commandSucceeded', (e) => replies.push(e));
  const db = client.db(target.uniqueDb('ct'));
  await db.command({ ping: 1 });
  await db.collection<Loose>('c').insertOne({ a: 1 });
  await db.collection<Loose>('c').find().toArray();
  await client.db('admin').command({ hello: 1 });
  await client.db('admin').command({ buildInfo: 1 });
  const seen = replies.map((e) => e.commandName);
  for (const name of ['ping', 'insert', 'find', 'hello', 'buildInfo']) assert.ok(seen.includes(name), name);
  for (const e of replies) assertGossip(e.reply as Document, e.commandName);
});

test('with auth off the signature is a zero hash with keyId 0', async () => {
  const client = target.client();
  const reply = await client.db('admin').command({ ping: 1 }, { promoteLongs: false });
  const signature = reply.$clusterTime.signature as { hash: Binary; keyId: unknown };
  assert.deepEqual([...signature.hash.value()], new Array(20).fill(0));
  assert.ok(signature.keyId instanceof Long);
  assert.equal((signature.keyId as Long).toNumber(), 0);
});

test('error replies carry $clusterTime and operationTime too', async () => {
  const client = target.client({ monitorCommands: true });
  const failures: CommandFailedEvent[] = [];
  client.on('commandFailed', (e) => failures.push(e));
  const error = await client
    .db('admin')
    .command({ definitelyNotACommand: 1 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(error instanceof MongoServerError);
  assert.equal(error.code, 59);
  assertGossip(error.errorResponse, 'CommandNotFound');
  assert.equal(failures.length, 1);
});

test('a write moves operationTime forward and the next read reports at least that time', async () => {
  const client = target.client();
  const db = client.db(target.uniqueDb('ct'));
  const before = await db.command({ ping: 1 });
  const write = await db.command({ insert: 'c', documents: [{ a: 1 }] });
  assert.ok((write.operationTime as Timestamp).greaterThan(before.operationTime as Timestamp));
  const read = await db.command({ find: 'c', filter: {} });
  assert.ok((read.operationTime as Timestamp).greaterThanOrEqual(write.operationTime as Timestamp));
  assert.ok((read.$clusterTime.clusterTime as Timestamp).greaterThanOrEqual(write.operationTime as Timestamp));
});

test('the driver gossips the highest $clusterTime back and the server accepts it', async () => {
  const client = target.client({ monitorCommands: true });
  const sent: unknown[] = [];
  client.on('commandStarted', (e) => {
    if (e.commandName === 'ping') sent.push(e.command.$clusterTime);
  });
  await client.db('admin').command({ ping: 1 });
  await client.db('admin').command({ ping: 1 });
  assert.ok(sent.some((c) => c !== undefined), 'the second ping carries $clusterTime');
});

test('appendOplogNote takes a majority write concern; majority reads after its time see the writes before it', async () => {
  const client = target.client({ monitorCommands: true });
  const started: Document[] = [];
  client.on('commandStarted', (e) => started.push(e.command));
  const db = client.db(target.uniqueDb('ct_after'));
  await db.collection<Loose>('c').insertOne({ _id: 1 });
  const note = await client.db('admin').command({ appendOplogNote: 1, data: { test: 'after' }, writeConcern: { w: 'majority' } });
  assert.ok(note.operationTime instanceof Timestamp);
  const session = client.startSession({ causalConsistency: true });
  try {
    session.advanceOperationTime(note.operationTime as Timestamp);
    const options = { session, readConcern: { level: 'majority' as const } };
    assert.equal((await db.collection<Loose>('c').find({}, options).toArray()).length, 1);
    assert.equal((await db.collection<Loose>('c').aggregate([{ $match: {} }], options).toArray()).length, 1);
  } finally {
    await session.endSession();
  }
  const reads = started.filter((command) => command.find !== undefined || command.aggregate !== undefined);
  assert.equal(reads.length, 2);
  for (const command of reads) {
    const readConcern = command.readConcern as Document;
    assert.equal(readConcern.level, 'majority');
    assert.ok((readConcern.afterClusterTime as Timestamp).greaterThanOrEqual(note.operationTime as Timestamp));
  }
});
