// The retryable-write memory: a retry runs only the statements that did not execute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Int32, Long, type Document } from 'bson';
import { RetryableWrites } from './retryable-writes';

const lsid = { id: new Binary(Buffer.alloc(16, 7), 4) };

function insert(ordered: boolean): Document {
  return { insert: 'c', documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }], ordered, lsid, txnNumber: Long.fromNumber(1) };
}

test('retry of an ordered insert that stopped at a write error runs the rest and merges the replies', async () => {
  const rw = new RetryableWrites();
  const first = await rw.run('insert', insert(true), async () => ({ n: 1, writeErrors: [{ index: 1, code: 1, errmsg: 'failed' }] }));
  assert.equal(first.n, 1);
  const seen: Document[] = [];
  const retried = await rw.run('insert', insert(true), async (cmd) => {
    seen.push(cmd);
    return { n: 2 };
  });
  assert.deepEqual(
    seen.map((c) => c.documents),
    [[{ _id: 2 }, { _id: 3 }]],
  );
  assert.deepEqual(retried, { n: 3, retriedStmtIds: [new Int32(0)] });
  // a further retry runs nothing
  const again = await rw.run('insert', insert(true), async () => assert.fail('nothing left to run'));
  assert.equal(again.n, 3);
});

test('retry of an unordered update reruns only the failed statements and maps indices back', async () => {
  const rw = new RetryableWrites();
  const cmd: Document = { update: 'c', updates: [{ q: {}, u: {} }, { q: {}, u: {} }, { q: {}, u: {} }], ordered: false, lsid, txnNumber: Long.fromNumber(5) };
  await rw.run('update', cmd, async () => ({ n: 2, writeErrors: [{ index: 1, code: 1 }], nModified: 2 }));
  const retried = await rw.run('update', cmd, async (sub) => {
    assert.equal((sub.updates as unknown[]).length, 1);
    return { n: 1, upserted: [{ index: 0, _id: 9 }], nModified: 0 };
  });
  assert.deepEqual(retried, { n: 3, upserted: [{ index: 1, _id: 9 }], nModified: 2, retriedStmtIds: [new Int32(0), new Int32(2)] });
});
