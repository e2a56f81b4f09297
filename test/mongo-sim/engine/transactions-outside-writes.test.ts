// A write outside transactions that meets a document (or unique key) an open transaction wrote
// waits until the transaction ends, as the server's does, then runs on what the transaction left;
// its maxTimeMS bounds the wait (50 MaxTimeMSExpired for the whole command).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Int32, Long, type Document } from 'bson';
import { testEngine, assertCommandError } from './test-support';
import type { RequestContext } from './types';

type TestEngine = ReturnType<typeof testEngine>;

function session(t: TestEngine, n: number): (cmd: Document, db?: string) => Promise<Document> {
  const lsid = { id: new Binary(Buffer.alloc(16, n), 4) };
  return (cmd, db = 'test') => {
    const ctx: RequestContext = { db, mayBypassWriteBlocking: false, signal: new AbortController().signal, lsid };
    if (cmd.txnNumber instanceof Long) ctx.txnNumber = cmd.txnNumber;
    return t.engine.runCommand({ ...cmd, lsid }, ctx);
  };
}

const txn = (first = false): Document => ({ txnNumber: Long.fromNumber(1), autocommit: false, ...(first ? { startTransaction: true } : {}) });

/** Tracks a command's promise; `settled` turns true once it resolved or rejected. */
function track<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { p, settled: () => done };
}

/** Lets the event loop run several turns (a write that does not wait completes within one). */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

async function docs(t: TestEngine): Promise<Document[]> {
  return (await t.run({ find: 'c', filter: {}, sort: { _id: 1 } })).cursor.firstBatch as Document[];
}

test('an outside update of a document a transaction wrote waits for the commit, then applies on top of it', async () => {
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, n: 0 }] });
    const s1 = session(t, 1);
    await s1({ update: 'c', updates: [{ q: { _id: 1 }, u: { $inc: { n: 10 } } }], ...txn(true) });
    const outside = track(t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }] }));
    await turns();
    assert.equal(outside.settled(), false, 'the outside write waits');
    assert.deepEqual(await docs(t), [{ _id: 1, n: 0 }]);
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await outside.p, { n: 1, nModified: 1 });
    assert.deepEqual(await docs(t), [{ _id: 1, n: new Int32(11) }]);
  } finally {
    t.close();
  }
});

test('an outside insert of an _id a transaction inserted waits: DuplicateKey after a commit, inserted after an abort', async () => {
  const t = testEngine();
  try {
    await t.run({ create: 'c' });
    const s1 = session(t, 1);
    await s1({ insert: 'c', documents: [{ _id: 1, by: 'txn' }], ...txn(true) });
    const first = track(t.run({ insert: 'c', documents: [{ _id: 1, by: 'outside' }] }));
    await turns();
    assert.equal(first.settled(), false);
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    const reply = await first.p;
    assert.equal(reply.n, 0);
    assert.equal(reply.writeErrors?.[0]?.code, 11000);

    const s2 = session(t, 2);
    await s2({ insert: 'c', documents: [{ _id: 2, by: 'txn' }], ...txn(true) });
    const second = track(t.run({ insert: 'c', documents: [{ _id: 2, by: 'outside' }] }));
    await turns();
    assert.equal(second.settled(), false);
    await s2({ abortTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await second.p, { n: 1 });
    assert.deepEqual(await docs(t), [{ _id: 1, by: 'txn' }, { _id: 2, by: 'outside' }]);
  } finally {
    t.close();
  }
});

test('an outside write of a unique key a transaction wrote waits, then gets DuplicateKey when it committed', async () => {
  const t = testEngine();
  try {
    await t.run({ createIndexes: 'c', indexes: [{ key: { u: 1 }, name: 'u_1', unique: true }] });
    const s1 = session(t, 1);
    await s1({ insert: 'c', documents: [{ _id: 1, u: 'x' }], ...txn(true) });
    const outside = track(t.run({ insert: 'c', documents: [{ _id: 2, u: 'x' }] }));
    await turns();
    assert.equal(outside.settled(), false);
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    const reply = await outside.p;
    assert.equal(reply.writeErrors?.[0]?.code, 11000);
    assert.deepEqual(reply.writeErrors[0].keyValue, { u: 'x' });
    assert.deepEqual(await docs(t), [{ _id: 1, u: 'x' }]);
  } finally {
    t.close();
  }
});

test('a multi-document update that waits midway updates every document exactly once', async () => {
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, n: 0 }, { _id: 2, n: 0 }, { _id: 3, n: 0 }] });
    const s1 = session(t, 1);
    await s1({ update: 'c', updates: [{ q: { _id: 2 }, u: { $set: { t: true } } }], ...txn(true) });
    const outside = track(t.run({ update: 'c', updates: [{ q: {}, u: { $inc: { n: 1 } }, multi: true }] }));
    await turns();
    assert.equal(outside.settled(), false);
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await outside.p, { n: 3, nModified: 3 });
    assert.deepEqual(await docs(t), [
      { _id: 1, n: new Int32(1) },
      { _id: 2, n: new Int32(1), t: true },
      { _id: 3, n: new Int32(1) },
    ]);
    const deleting = session(t, 2);
    await deleting({ update: 'c', updates: [{ q: { _id: 3 }, u: { $set: { t: true } } }], ...txn(true) });
    const removal = track(t.run({ delete: 'c', deletes: [{ q: {}, limit: 0 }] }));
    await turns();
    assert.equal(removal.settled(), false);
    await deleting({ abortTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await removal.p, { n: 3 });
  } finally {
    t.close();
  }
});

test('the wait is bounded by the write\'s maxTimeMS (50 MaxTimeMSExpired) and the transaction goes on', async () => {
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, n: 0 }] });
    const s1 = session(t, 1);
    await s1({ update: 'c', updates: [{ q: { _id: 1 }, u: { $set: { n: 5 } } }], ...txn(true) });
    await assertCommandError(t.run({ findAndModify: 'c', query: { _id: 1 }, update: { $set: { n: 6 } }, maxTimeMS: 50 }), 50, 'MaxTimeMSExpired');
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await docs(t), [{ _id: 1, n: 5 }]);
  } finally {
    t.close();
  }
});

test('an outside insert into a collection an open transaction created waits: into its collection after a commit, creating it after an abort', async () => {
  const t = testEngine();
  try {
    const s1 = session(t, 1);
    await s1({ insert: 'c', documents: [{ _id: 1, by: 'txn' }], ...txn(true) });
    const first = track(t.run({ insert: 'c', documents: [{ _id: 2, by: 'outside' }] }));
    await turns();
    assert.equal(first.settled(), false, 'the outside insert waits for the collection');
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await first.p, { n: 1 });
    assert.deepEqual(await docs(t), [{ _id: 1, by: 'txn' }, { _id: 2, by: 'outside' }]);

    const s2 = session(t, 2);
    await s2({ insert: 'd', documents: [{ _id: 1, by: 'txn' }], ...txn(true) });
    const upsert = track(t.run({ update: 'd', updates: [{ q: { _id: 5 }, u: { $set: { by: 'outside' } }, upsert: true }] }));
    await turns();
    assert.equal(upsert.settled(), false, 'an upsert waits as well');
    await s2({ abortTransaction: 1, ...txn() }, 'admin');
    assert.equal((await upsert.p).n, 1);
    const d = (await t.run({ find: 'd', filter: {} })).cursor.firstBatch as Document[];
    assert.deepEqual(d, [{ _id: 5, by: 'outside' }]);
  } finally {
    t.close();
  }
});

test('an outside insert waiting for a collection a transaction created is bounded by its maxTimeMS', async () => {
  const t = testEngine();
  try {
    const s1 = session(t, 1);
    await s1({ insert: 'c', documents: [{ _id: 1 }], ...txn(true) });
    await assertCommandError(t.run({ insert: 'c', documents: [{ _id: 2 }], maxTimeMS: 50 }), 50, 'MaxTimeMSExpired');
    await s1({ commitTransaction: 1, ...txn() }, 'admin');
    assert.deepEqual(await docs(t), [{ _id: 1 }]);
  } finally {
    t.close();
  }
});
