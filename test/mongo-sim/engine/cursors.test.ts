import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, type Document } from 'bson';
import type { ServerCursor } from './internal';
import { CursorManager } from './cursors';
import { assertCommandError, testEngine } from './test-support';

function cursorOf(reply: Document): Document {
  return reply.cursor as Document;
}

async function seed(n: number, pad = 0): Promise<ReturnType<typeof testEngine>> {
  const t = testEngine();
  const docs = Array.from({ length: n }, (_, i) => ({ _id: i, pad: 'p'.repeat(pad) }));
  await t.run({ insert: 'c', documents: docs });
  return t;
}

test('find: first batch 101 by default, getMore drains the rest, the last batch has id Long(0)', async () => {
  const t = await seed(250);
  const first = cursorOf(await t.run({ find: 'c' }));
  assert.equal((first.firstBatch as unknown[]).length, 101);
  assert.ok(first.id instanceof Long && !first.id.isZero());
  const more = cursorOf(await t.run({ getMore: first.id, collection: 'c', batchSize: 100 }));
  assert.equal((more.nextBatch as unknown[]).length, 100);
  assert.equal(more.ns, 'test.c');
  const last = cursorOf(await t.run({ getMore: first.id, collection: 'c' }));
  assert.equal((last.nextBatch as unknown[]).length, 49);
  assert.ok(last.id instanceof Long && last.id.isZero());
  await assertCommandError(t.run({ getMore: first.id, collection: 'c' }), 43, 'CursorNotFound', `cursor id ${first.id.toString()} not found`);
  t.close();
});

test('batchSize 0 gives an empty first batch with a live cursor; negative limit is a single batch', async () => {
  const t = await seed(10);
  const zero = cursorOf(await t.run({ find: 'c', batchSize: 0 }));
  assert.deepEqual(zero.firstBatch, []);
  assert.ok(!(zero.id as Long).isZero());
  const single = cursorOf(await t.run({ find: 'c', limit: -3 }));
  assert.equal((single.firstBatch as unknown[]).length, 3);
  assert.ok((single.id as Long).isZero());
  const sb = cursorOf(await t.run({ find: 'c', batchSize: 2, singleBatch: true }));
  assert.ok((sb.id as Long).isZero());
  t.close();
});

test('getMore: other namespace 13, maxTimeMS on a non-awaitData cursor 2', async () => {
  const t = await seed(5);
  const c = cursorOf(await t.run({ find: 'c', batchSize: 1 }));
  await assertCommandError(t.run({ getMore: c.id, collection: 'other' }), 13, 'Unauthorized');
  await assertCommandError(t.run({ getMore: c.id, collection: 'c', maxTimeMS: 100 }), 2, 'BadValue');
  t.close();
});

test('killCursors reports killed and not-found ids', async () => {
  const t = await seed(5);
  const c = cursorOf(await t.run({ find: 'c', batchSize: 1 }));
  const r = await t.run({ killCursors: 'c', cursors: [c.id, Long.fromNumber(12345)] });
  assert.deepEqual(r, { cursorsKilled: [c.id], cursorsNotFound: [Long.fromNumber(12345)], cursorsAlive: [], cursorsUnknown: [] });
  await assertCommandError(t.run({ getMore: c.id, collection: 'c' }), 43);
  t.close();
});

test('list cursors use db.$cmd.listCollections and db.coll namespaces', async () => {
  const t = await seed(1);
  await t.run({ create: 'd' });
  const lc = cursorOf(await t.run({ listCollections: 1, cursor: { batchSize: 1 } }));
  assert.equal(lc.ns, 'test.$cmd.listCollections');
  const more = cursorOf(await t.run({ getMore: lc.id, collection: '$cmd.listCollections' }));
  assert.equal((more.nextBatch as unknown[]).length, 1);
  const li = cursorOf(await t.run({ listIndexes: 'c', cursor: {} }));
  assert.equal(li.ns, 'test.c');
  t.close();
});

test('batches are capped at 16 MiB; the remainder comes with the next getMore', async () => {
  const t = await seed(40, 1024 * 1024);
  const first = cursorOf(await t.run({ find: 'c' }));
  const n1 = (first.firstBatch as unknown[]).length;
  assert.ok(n1 < 40 && n1 >= 15, `first batch ${n1}`);
  const rest = cursorOf(await t.run({ getMore: first.id, collection: 'c' }));
  const n2 = (rest.nextBatch as unknown[]).length;
  const rest2 = cursorOf(await t.run({ getMore: first.id, collection: 'c' }));
  assert.equal(n1 + n2 + (rest2.nextBatch as unknown[]).length, 40);
  t.close();
});

test('idle cursors expire', async () => {
  let now = 0;
  const t = testEngine({ cursorTimeoutMs: 1000, nowMs: () => now });
  await t.run({ insert: 'c', documents: [{}, {}, {}] });
  const c = cursorOf(await t.run({ find: 'c', batchSize: 1 }));
  now += 1500;
  t.engine.state.cursors.expireIdle();
  await assertCommandError(t.run({ getMore: c.id, collection: 'c' }), 43);
  t.close();
});

/** An awaitData cursor that waits until aborted. */
function waitingCursor(): ServerCursor {
  return {
    ns: 'test.c',
    awaitData: true,
    nextBatch: (_limit, maxTimeMS, signal) =>
      new Promise((resolve) => {
        if (!maxTimeMS) return resolve({ docs: [], exhausted: false, postBatchResumeToken: { _data: '00' } });
        const done = (): void => resolve({ docs: [], exhausted: false, postBatchResumeToken: { _data: '01' } });
        const timer = setTimeout(done, maxTimeMS);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          done();
        });
      }),
    close: () => undefined,
  };
}

test('awaitData: getMore waits, killCursors wakes it with 237', async () => {
  const manager = new CursorManager(60_000);
  const signal = new AbortController().signal;
  const opened = await manager.open(waitingCursor(), { signal });
  const id = cursorOf(opened).id as Long;
  assert.deepEqual(cursorOf(opened).postBatchResumeToken, { _data: '00' });
  const timed = await manager.getMore({ getMore: id, collection: 'c', maxTimeMS: 20 }, 'test', signal);
  assert.deepEqual(cursorOf(timed).postBatchResumeToken, { _data: '01' });
  const started = Date.now();
  const pending = manager.getMore({ getMore: id, collection: 'c', maxTimeMS: 10_000 }, 'test', signal);
  setTimeout(() => manager.killCursors({ killCursors: 'c', cursors: [id] }, 'test'), 20);
  await assertCommandError(pending, 237, 'CursorKilled');
  assert.ok(Date.now() - started < 2000);
  manager.close();
});

test('a scan cursor sees deletes and updates made between batches; a sorted one is a snapshot', async () => {
  const t = await seed(6);
  const c = cursorOf(await t.run({ find: 'c', filter: { pad: '' }, batchSize: 2 }));
  await t.run({ delete: 'c', deletes: [{ q: { _id: 2 }, limit: 1 }] });
  await t.run({ update: 'c', updates: [{ q: { _id: 3 }, u: { $set: { v: 1 } } }] });
  await t.run({ update: 'c', updates: [{ q: { _id: 4 }, u: { $set: { pad: 'changed' } } }] });
  const rest = cursorOf(await t.run({ getMore: c.id, collection: 'c' }));
  assert.deepEqual(rest.nextBatch, [{ _id: 3, pad: '', v: 1 }, { _id: 5, pad: '' }]);
  assert.ok((rest.id as Long).isZero());
  const sorted = cursorOf(await t.run({ find: 'c', sort: { pad: 1 }, batchSize: 1 }));
  await t.run({ delete: 'c', deletes: [{ q: {}, limit: 0 }] });
  const snap = cursorOf(await t.run({ getMore: sorted.id, collection: 'c' }));
  assert.equal((snap.nextBatch as unknown[]).length, 4);
  t.close();
});
