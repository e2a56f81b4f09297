// Byte-level wire protocol behaviour of the server layer, against a fake engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSONRegExp, deserialize, Double, Int32, Long, Timestamp } from 'bson';
import { startSimulatorServer, type RunningSimulatorServer } from './simulator-server';
import { createFakeEngine, type FakeEngine } from './testing/fake-engine';
import { encodeOpMsg, encodeOpQuery, WireClient } from './testing/wire-client';

let server: RunningSimulatorServer;
let engine: FakeEngine;

before(async () => {
  server = await startSimulatorServer({
    createEngine: () => {
      engine = createFakeEngine();
      return engine;
    },
  });
});
after(() => server.stop());

async function connect(): Promise<WireClient> {
  return WireClient.connect(server.port);
}

describe('OP_QUERY handshake', () => {
  test('legacy hello gets an OP_REPLY with numberReturned 1, responseFlags 8 and responseTo set', async () => {
    const client = await connect();
    const { bytes, requestId } = encodeOpQuery('admin.$cmd', { ismaster: 1, helloOk: true, client: { application: { name: 'x' } } });
    client.send(bytes);
    const reply = await client.next();
    assert.ok(reply);
    assert.equal(reply.opCode, 1);
    assert.equal(reply.responseTo, requestId);
    assert.equal(reply.flags, 8);
    assert.equal(reply.numberReturned, 1);
    assert.equal(reply.raw.readBigInt64LE(4), 0n, 'cursorID');
    assert.equal(reply.raw.readInt32LE(12), 0, 'startingFrom');
    assert.equal(reply.body.ismaster, true);
    assert.equal(reply.body.isWritablePrimary, undefined);
    assert.equal(reply.body.helloOk, true);
    assert.equal(reply.body.ok, 1);
    client.close();
  });

  test('OP_QUERY for any other command is 352 UnsupportedOpQueryCommand', async () => {
    const client = await connect();
    client.send(encodeOpQuery('test.$cmd', { find: 'c' }).bytes);
    const reply = await client.next();
    assert.ok(reply);
    assert.equal(reply.opCode, 1);
    assert.equal(reply.body.ok, 0);
    assert.equal(reply.body.code, 352);
    assert.equal(reply.body.codeName, 'UnsupportedOpQueryCommand');
    assert.ok(reply.body.operationTime instanceof Timestamp);
    client.close();
  });

  test('OP_QUERY on a collection namespace is 352 as well', async () => {
    const client = await connect();
    client.send(encodeOpQuery('test.c', { isMaster: 1 }).bytes);
    const reply = await client.next();
    assert.equal(reply?.body.code, 352);
    client.close();
  });
});

describe('OP_MSG', () => {
  test('replies are one kind-0 section with flagBits 0 and responseTo set', async () => {
    const client = await connect();
    const { bytes, requestId } = encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }]);
    client.send(bytes);
    const reply = await client.next();
    assert.ok(reply);
    assert.equal(reply.opCode, 2013);
    assert.equal(reply.responseTo, requestId);
    assert.equal(reply.flags, 0);
    assert.equal(reply.raw[4], 0, 'section kind');
    assert.equal(reply.raw.readInt32LE(5), reply.raw.length - 5, 'the body document fills the rest: no checksum');
    assert.equal(reply.body.ok, 1);
    assert.ok(reply.body.$clusterTime.clusterTime instanceof Timestamp);
    assert.equal(reply.body.$clusterTime.signature.hash.buffer.length, 20);
    assert.ok(reply.body.$clusterTime.signature.keyId instanceof Long || reply.body.$clusterTime.signature.keyId === 0);
    client.close();
  });

  test('missing $db is 40571', async () => {
    const client = await connect();
    const body = await client.command({ ping: 1 });
    assert.equal(body.ok, 0);
    assert.equal(body.code, 40571);
    assert.equal(body.codeName, 'Location40571');
    client.close();
  });

  test('an unknown required flag bit is 223 IllegalOpMsgFlag; unknown optional bits are ignored', async () => {
    const client = await connect();
    client.send(encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }], 1 << 4).bytes);
    const bad = await client.next();
    assert.equal(bad?.body.code, 223);
    assert.equal(bad?.body.codeName, 'IllegalOpMsgFlag');
    client.send(encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }], 1 << 20).bytes);
    const good = await client.next();
    assert.equal(good?.body.ok, 1);
    client.close();
  });

  test('a request checksum is accepted and stripped; a wrong one is 288 ChecksumMismatch', async () => {
    const client = await connect();
    client.send(encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }], 1, true).bytes);
    assert.equal((await client.next())?.body.ok, 1);
    client.send(encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }], 1, true, true).bytes);
    const bad = await client.next();
    assert.equal(bad?.body.code, 288);
    client.close();
  });

  test('kind-1 document sequences are merged into the body as arrays, in any section order', async () => {
    const client = await connect();
    client.send(
      encodeOpMsg([
        { kind: 1, identifier: 'documents', docs: [{ _id: 1 }, { _id: 2 }] },
        { kind: 0, docs: [{ echo: 'c', $db: 'test' }] },
      ]).bytes,
    );
    const reply = await client.next();
    assert.deepEqual(reply?.body.echoed.documents, [{ _id: 1 }, { _id: 2 }]);
    client.close();
  });

  test('a repeated sequence identifier is 40431 and one that duplicates a body field is 40433', async () => {
    const client = await connect();
    client.send(
      encodeOpMsg([
        { kind: 0, docs: [{ echo: 'c', $db: 'test' }] },
        { kind: 1, identifier: 'documents', docs: [{ _id: 1 }] },
        { kind: 1, identifier: 'documents', docs: [{ _id: 2 }] },
      ]).bytes,
    );
    assert.equal((await client.next())?.body.code, 40431);
    client.send(
      encodeOpMsg([
        { kind: 0, docs: [{ echo: 'c', documents: [], $db: 'test' }] },
        { kind: 1, identifier: 'documents', docs: [{ _id: 2 }] },
      ]).bytes,
    );
    assert.equal((await client.next())?.body.code, 40433);
    client.close();
  });

  test('an unknown section kind closes the connection', async () => {
    const client = await connect();
    const { bytes } = encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }]);
    bytes[20] = 7;
    client.send(bytes);
    assert.equal(await client.next(1000), undefined);
    assert.equal(client.closed, true);
  });

  test('moreToCome requests get no reply, and later replies still match their requests', async () => {
    const client = await connect();
    client.send(encodeOpMsg([{ kind: 0, docs: [{ insert: 'mtc', documents: [{ _id: 1 }], writeConcern: { w: 0 }, $db: 'test' }] }], 2).bytes);
    client.send(encodeOpMsg([{ kind: 0, docs: [{ endSessions: [], $db: 'admin' }] }], 2).bytes);
    client.send(encodeOpMsg([{ kind: 0, docs: [{ nosuch: 1, $db: 'admin' }] }], 2).bytes);
    const { bytes, requestId } = encodeOpMsg([{ kind: 0, docs: [{ find: 'mtc', $db: 'test' }] }]);
    client.send(bytes);
    const reply = await client.next();
    assert.equal(reply?.responseTo, requestId);
    assert.deepEqual(reply?.body.cursor.firstBatch, [{ _id: 1 }]);
    assert.equal(await client.next(300), undefined, 'nothing else arrives');
    client.close();
  });

  test('requests on one connection are answered in order even when the first is slow', async () => {
    const client = await connect();
    const slow = encodeOpMsg([{ kind: 0, docs: [{ sleep: 1, $db: 'admin' }] }]);
    const fast = encodeOpMsg([{ kind: 0, docs: [{ ping: 1, $db: 'admin' }] }]);
    client.send(Buffer.concat([slow.bytes, fast.bytes]));
    const first = await client.next();
    const second = await client.next();
    assert.equal(first?.responseTo, slow.requestId);
    assert.equal(first?.body.slept, true);
    assert.equal(second?.responseTo, fast.requestId);
    client.close();
  });

  test('a message split across many TCP writes is reassembled', async () => {
    const client = await connect();
    const { bytes, requestId } = encodeOpMsg([{ kind: 0, docs: [{ ping: 1, pad: 'x'.repeat(5000), $db: 'admin' }] }]);
    for (let i = 0; i < bytes.length; i += 7) client.send(bytes.subarray(i, i + 7));
    const reply = await client.next();
    assert.equal(reply?.responseTo, requestId);
    assert.equal(reply?.body.ok, 1);
    client.close();
  });

  test('a messageLength below the header size closes the connection', async () => {
    const client = await connect();
    const bytes = Buffer.alloc(16);
    bytes.writeInt32LE(8, 0);
    client.send(bytes);
    assert.equal(await client.next(1000), undefined);
    assert.equal(client.closed, true);
  });

  test('numbers and regular expressions reach the engine typed and come back with their BSON types', async () => {
    const client = await connect();
    client.send(encodeOpMsg([{ kind: 0, docs: [{ echo: 'c', n: new Double(1), i: new Int32(2), l: Long.fromNumber(3), re: new BSONRegExp('a', 'x'), $db: 'test' }] }]).bytes);
    const reply = await client.next();
    const seen = engine.commands.at(-1)?.cmd;
    assert.ok(seen?.n instanceof Double);
    assert.ok(seen?.i instanceof Int32);
    assert.ok(seen?.l instanceof Long);
    assert.ok(seen?.re instanceof BSONRegExp);
    const raw = reply?.raw;
    assert.ok(raw);
    const typed = deserialize(raw.subarray(5), { promoteValues: false, bsonRegExp: true });
    assert.ok(typed.echoed.n instanceof Double);
    assert.ok(typed.echoed.i instanceof Int32);
    assert.ok(typed.echoed.l instanceof Long);
    assert.equal(typed.echoed.re.options, 'x');
    client.close();
  });
});
