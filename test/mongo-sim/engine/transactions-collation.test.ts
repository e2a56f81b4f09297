// Transactions, snapshot reads and $merge together with collations and exact numeric comparison:
// a transaction's private copy of a collection keeps its default collation, and $merge matches
// under the aggregate's collation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Long, type Document } from 'bson';
import { testEngine, assertCommandError, firstBatch } from './test-support';
import type { RequestContext } from './types';

const lsid = { id: new Binary(Buffer.alloc(16, 9), 4) };
const CASE_INSENSITIVE = { locale: 'en', strength: 2 };

function inSession(engine: ReturnType<typeof testEngine>['engine'], cmd: Document, db = 'test'): Promise<Document> {
  const ctx: RequestContext = { db, mayBypassWriteBlocking: false, signal: new AbortController().signal, lsid };
  if (cmd.txnNumber instanceof Long) ctx.txnNumber = cmd.txnNumber;
  return engine.runCommand({ ...cmd, lsid }, ctx);
}

/** The code of a write's first write error, or of the error it threw. */
async function writeErrorCode(p: Promise<Document>): Promise<number | undefined> {
  try {
    const reply = await p;
    const errors = reply.writeErrors as Document[] | undefined;
    return errors?.[0]?.code as number | undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
}

test("a transaction's copy of a collection keeps the collection's default collation for _id", async () => {
  const t = testEngine();
  try {
    await t.run({ create: 'c', collation: CASE_INSENSITIVE });
    await t.run({ insert: 'c', documents: [{ _id: 'abc' }] });
    const txnNumber = Long.fromNumber(1);
    const found = await inSession(t.engine, { find: 'c', filter: { _id: 'ABC' }, txnNumber, autocommit: false, startTransaction: true });
    assert.deepEqual(firstBatch(found), [{ _id: 'abc' }]);
    assert.equal(await writeErrorCode(inSession(t.engine, { insert: 'c', documents: [{ _id: 'ABC' }], txnNumber, autocommit: false })), 11000);
  } finally {
    t.close();
  }
});

test('a collection created inside a transaction takes its collation for _id before commit', async () => {
  const t = testEngine();
  try {
    const txnNumber = Long.fromNumber(1);
    await inSession(t.engine, { create: 'fresh', collation: CASE_INSENSITIVE, txnNumber, autocommit: false, startTransaction: true });
    await inSession(t.engine, { insert: 'fresh', documents: [{ _id: 'abc' }], txnNumber, autocommit: false });
    assert.equal(await writeErrorCode(inSession(t.engine, { insert: 'fresh', documents: [{ _id: 'ABC' }], txnNumber, autocommit: false })), 11000);
  } finally {
    t.close();
  }
});

test('reads in a transaction and snapshot reads compare int64 values exactly beyond 2^53', async () => {
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, x: Long.fromString('9007199254740993') }] });
    const txnNumber = Long.fromNumber(1);
    const inTxn = await inSession(t.engine, { find: 'c', filter: { x: Long.fromString('9007199254740992') }, txnNumber, autocommit: false, startTransaction: true });
    assert.deepEqual(firstBatch(inTxn), []);
    const snapshot = await inSession(t.engine, { find: 'c', filter: { x: { $gt: Long.fromString('9007199254740992') } }, readConcern: { level: 'snapshot' } });
    assert.deepEqual(firstBatch(snapshot).map((d) => d._id), [1]);
  } finally {
    t.close();
  }
});

test("$merge matches its 'on' fields under the aggregate's collation, through a unique index with that collation", async () => {
  const t = testEngine();
  try {
    await t.run({ insert: 'src', documents: [{ _id: 1, k: 'ABC', v: 2 }] });
    await t.run({ insert: 'dst', documents: [{ _id: 10, k: 'abc', v: 1 }] });
    await t.run({ createIndexes: 'dst', indexes: [{ key: { k: 1 }, name: 'k_ci', unique: true, collation: CASE_INSENSITIVE }] });
    const pipeline = [{ $project: { _id: 0, k: 1, v: 1 } }, { $merge: { into: 'dst', on: 'k', whenMatched: 'merge', whenNotMatched: 'insert' } }];
    // no unique index on k with the simple collation the aggregate uses by default
    await assertCommandError(t.run({ aggregate: 'src', pipeline, cursor: {} }), 51183);
    await t.run({ aggregate: 'src', pipeline, cursor: {}, collation: CASE_INSENSITIVE });
    // matched the existing document (no second one), whose fields whenMatched 'merge' then set
    const docs = firstBatch(await t.run({ find: 'dst', filter: {} }));
    assert.deepEqual(docs.map((d) => [d._id, d.k, Number(d.v)]), [[10, 'ABC', 2]]);
  } finally {
    t.close();
  }
});
