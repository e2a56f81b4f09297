// Engine-level transaction rules that need a controlled clock or direct oplog access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Long, type Document } from 'bson';
import { testEngine, assertCommandError } from './test-support';
import type { RequestContext } from './types';

const lsid = { id: new Binary(Buffer.alloc(16, 7), 4) };

function inSession(engine: ReturnType<typeof testEngine>['engine'], cmd: Document, db = 'test'): Promise<Document> {
  const ctx: RequestContext = { db, mayBypassWriteBlocking: false, signal: new AbortController().signal, lsid };
  if (cmd.txnNumber instanceof Long) ctx.txnNumber = cmd.txnNumber;
  return engine.runCommand({ ...cmd, lsid }, ctx);
}

test('a transaction older than transactionLifetimeLimitSeconds (60 s) is aborted: its next statement gets NoSuchTransaction', async () => {
  let now = 1_700_000_000_000;
  const t = testEngine({ nowMs: () => now });
  try {
    const txnNumber = Long.fromNumber(1);
    await inSession(t.engine, { insert: 'c', documents: [{ _id: 1 }], txnNumber, autocommit: false, startTransaction: true });
    now += 61_000;
    await assertCommandError(inSession(t.engine, { insert: 'c', documents: [{ _id: 2 }], txnNumber, autocommit: false }), 251, 'NoSuchTransaction');
    await assertCommandError(inSession(t.engine, { commitTransaction: 1, txnNumber, autocommit: false }, 'admin'), 251);
    assert.deepEqual(await t.run({ find: 'c', filter: {} }).then((r) => r.cursor.firstBatch), []);
  } finally {
    t.close();
  }
});

test('a statement of a transaction may not carry a write concern, and only the first one a read concern', async () => {
  const t = testEngine();
  try {
    const txnNumber = Long.fromNumber(1);
    await assertCommandError(
      inSession(t.engine, { insert: 'c', documents: [{ _id: 1 }], txnNumber, autocommit: false, startTransaction: true, writeConcern: { w: 1 } }),
      72,
      'InvalidOptions',
    );
    const next = Long.fromNumber(2);
    await inSession(t.engine, { find: 'c', filter: {}, txnNumber: next, autocommit: false, startTransaction: true, readConcern: { level: 'snapshot' } });
    await assertCommandError(inSession(t.engine, { find: 'c', filter: {}, txnNumber: next, autocommit: false, readConcern: { level: 'snapshot' } }), 72);
  } finally {
    t.close();
  }
});

test('a transaction that creates a collection and an index keeps both private until commit, then logs them in applyOps', async () => {
  const t = testEngine();
  try {
    const txnNumber = Long.fromNumber(1);
    await inSession(t.engine, { create: 'fresh', txnNumber, autocommit: false, startTransaction: true });
    await inSession(t.engine, { createIndexes: 'fresh', indexes: [{ key: { x: 1 }, name: 'x_1' }], txnNumber, autocommit: false });
    await inSession(t.engine, { insert: 'fresh', documents: [{ _id: 1, x: 1 }], txnNumber, autocommit: false });
    const outside = await t.run({ listCollections: 1, filter: { name: 'fresh' } });
    assert.deepEqual(outside.cursor.firstBatch, []);
    t.mark();
    await inSession(t.engine, { commitTransaction: 1, txnNumber, autocommit: false }, 'admin');
    const [entry] = t.since();
    assert.equal(entry.ns, 'admin.$cmd');
    const ops = entry.o.applyOps as Document[];
    assert.deepEqual(ops.map((o) => Object.keys(o.o)[0]), ['create', 'createIndexes', '_id']);
    const indexes = await t.run({ listIndexes: 'fresh', cursor: {} });
    assert.deepEqual(indexes.cursor.firstBatch.map((i: Document) => i.name), ['_id_', 'x_1']);
    assert.deepEqual((await t.run({ find: 'fresh', filter: {} })).cursor.firstBatch, [{ _id: 1, x: 1 }]);
  } finally {
    t.close();
  }
});

test('an outside write of a unique key an open transaction wrote waits for the commit and then fails with DuplicateKey', async () => {
  const t = testEngine();
  try {
    await t.run({ createIndexes: 'c', indexes: [{ key: { u: 1 }, name: 'u_1', unique: true }] });
    await t.run({ insert: 'c', documents: [{ _id: 0, u: 0 }] });
    const other = { id: new Binary(Buffer.alloc(16, 9), 4) };
    const txnNumber = Long.fromNumber(1);
    await inSession(t.engine, { insert: 'c', documents: [{ _id: 1, u: 5 }], txnNumber, autocommit: false, startTransaction: true });
    await inSession(t.engine, { update: 'c', updates: [{ q: { _id: 0 }, u: { $set: { touched: true } } }], txnNumber, autocommit: false });
    const ctx: RequestContext = { db: 'test', mayBypassWriteBlocking: false, signal: new AbortController().signal, lsid: other };
    const outside = t.engine.runCommand({ insert: 'c', documents: [{ _id: 2, u: 5 }], lsid: other }, ctx);
    t.mark();
    await inSession(t.engine, { commitTransaction: 1, txnNumber, autocommit: false }, 'admin');
    const reply = await outside;
    assert.equal(reply.writeErrors?.[0]?.code, 11000);
    assert.deepEqual(t.since().map((e) => e.ns), ['admin.$cmd']);
    assert.deepEqual((await t.run({ find: 'c', filter: {}, sort: { _id: 1 } })).cursor.firstBatch, [
      { _id: 0, u: 0, touched: true },
      { _id: 1, u: 5 },
    ]);
  } finally {
    t.close();
  }
});
