// Unique secondary keys in transactions: a key that another open transaction wrote, or that a
// write committed after the transaction's snapshot holds, is a WriteConflict at the write (not at
// commit); a key visible in the snapshot is a DuplicateKey of the statement; and a transaction may
// swap unique values between its own documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Long, type Document } from 'bson';
import { testEngine, assertCommandError } from './test-support';
import type { RequestContext } from './types';

type Engine = ReturnType<typeof testEngine>['engine'];

function session(engine: Engine, n: number): (cmd: Document, db?: string) => Promise<Document> {
  const lsid = { id: new Binary(Buffer.alloc(16, n), 4) };
  return (cmd, db = 'test') => {
    const ctx: RequestContext = { db, mayBypassWriteBlocking: false, signal: new AbortController().signal, lsid };
    if (cmd.txnNumber instanceof Long) ctx.txnNumber = cmd.txnNumber;
    return engine.runCommand({ ...cmd, lsid }, ctx);
  };
}

const txn = (n: number, first = false): Document => ({ txnNumber: Long.fromNumber(n), autocommit: false, ...(first ? { startTransaction: true } : {}) });

async function withUniqueIndex(): Promise<ReturnType<typeof testEngine>> {
  const t = testEngine();
  await t.run({ createIndexes: 'c', indexes: [{ key: { u: 1 }, name: 'u_1', unique: true }] });
  await t.run({ insert: 'c', documents: [{ _id: 'a', u: 1 }, { _id: 'b', u: 2 }] });
  return t;
}

test('a unique key another open transaction wrote is a WriteConflict at the write', async () => {
  const t = await withUniqueIndex();
  try {
    const s1 = session(t.engine, 1);
    const s2 = session(t.engine, 2);
    await s1({ insert: 'c', documents: [{ _id: 1, u: 'x' }], ...txn(1, true) });
    await assertCommandError(s2({ insert: 'c', documents: [{ _id: 2, u: 'x' }], ...txn(1, true) }), 112, 'WriteConflict');
    await assertCommandError(s2({ commitTransaction: 1, ...txn(1) }, 'admin'), 251, 'NoSuchTransaction');
    await s1({ commitTransaction: 1, ...txn(1) }, 'admin');
    const docs = await t.run({ find: 'c', filter: { u: 'x' } });
    assert.deepEqual(docs.cursor.firstBatch, [{ _id: 1, u: 'x' }]);
  } finally {
    t.close();
  }
});

test('a unique key committed after the snapshot is a WriteConflict at the write; one in the snapshot a DuplicateKey', async () => {
  const t = await withUniqueIndex();
  try {
    const s1 = session(t.engine, 1);
    await s1({ find: 'c', filter: {}, ...txn(1, true) });
    await t.run({ insert: 'c', documents: [{ _id: 3, u: 'y' }] });
    await assertCommandError(s1({ insert: 'c', documents: [{ _id: 4, u: 'y' }], ...txn(1) }), 112, 'WriteConflict');

    await s1({ find: 'c', filter: {}, ...txn(2, true) });
    const reply = await s1({ insert: 'c', documents: [{ _id: 5, u: 1 }], ...txn(2) });
    assert.equal(reply.writeErrors?.[0]?.code, 11000);
    assert.deepEqual(reply.writeErrors[0].keyValue, { u: 1 });
  } finally {
    t.close();
  }
});

test('a transaction may swap unique values between its own documents', async () => {
  const t = await withUniqueIndex();
  try {
    const s1 = session(t.engine, 1);
    await s1({ update: 'c', updates: [{ q: { _id: 'a' }, u: { $set: { u: 3 } } }], ...txn(1, true) });
    await s1({ update: 'c', updates: [{ q: { _id: 'b' }, u: { $set: { u: 1 } } }], ...txn(1) });
    await s1({ update: 'c', updates: [{ q: { _id: 'a' }, u: { $set: { u: 2 } } }], ...txn(1) });
    await s1({ commitTransaction: 1, ...txn(1) }, 'admin');
    const docs = await t.run({ find: 'c', filter: {} });
    assert.deepEqual(docs.cursor.firstBatch, [{ _id: 'a', u: 2 }, { _id: 'b', u: 1 }]);
    const duplicate = await t.run({ insert: 'c', documents: [{ _id: 'z', u: 2 }] });
    assert.equal(duplicate.writeErrors?.[0]?.code, 11000);
  } finally {
    t.close();
  }
});
