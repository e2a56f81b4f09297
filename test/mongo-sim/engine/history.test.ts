// The write history behind snapshots: kept only while a transaction or snapshot read may need it,
// bounded to the 300 s window in every collection, released when recording lapses, and a read at
// a cluster time older than the window answers 239 SnapshotTooOld.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document, Timestamp } from 'bson';
import { testEngine, assertCommandError } from './test-support';

function clockedEngine(): { t: ReturnType<typeof testEngine>; advance: (seconds: number) => void } {
  let now = 1_700_000_000_000;
  const t = testEngine({ nowMs: () => now });
  return { t, advance: (seconds) => (now += seconds * 1000) };
}

async function snapshotFind(t: ReturnType<typeof testEngine>, coll: string, atClusterTime?: Timestamp): Promise<Document> {
  return t.run({ find: coll, filter: {}, sort: { _id: 1 }, readConcern: { level: 'snapshot', ...(atClusterTime ? { atClusterTime } : {}) } });
}

test('history older than 300 s is dropped from every collection, not only the one written next', async () => {
  const { t, advance } = clockedEngine();
  try {
    await snapshotFind(t, 'a');
    await t.run({ insert: 'a', documents: [{ _id: 1 }] });
    await t.run({ insert: 'b', documents: [{ _id: 1 }] });
    assert.equal(t.engine.state.history.retainedRecords(), 2);
    advance(200);
    await snapshotFind(t, 'a');
    advance(101);
    await t.run({ insert: 'a', documents: [{ _id: 2 }] });
    assert.equal(t.engine.state.history.retainedRecords(), 1);
  } finally {
    t.close();
  }
});

test('once no transaction or snapshot read began for 300 s the history is released', async () => {
  const { t, advance } = clockedEngine();
  try {
    await snapshotFind(t, 'a');
    await t.run({ insert: 'a', documents: [{ _id: 1 }, { _id: 2 }] });
    assert.equal(t.engine.state.history.retainedRecords(), 2);
    advance(301);
    await t.run({ insert: 'a', documents: [{ _id: 3 }] });
    assert.equal(t.engine.state.history.retainedRecords(), 0);
  } finally {
    t.close();
  }
});

test('a snapshot read older than the 300 s window answers SnapshotTooOld; one inside it sees that time', async () => {
  const { t, advance } = clockedEngine();
  try {
    await t.run({ insert: 'a', documents: [{ _id: 0 }] });
    const old = (await snapshotFind(t, 'a')).cursor.atClusterTime as Timestamp;
    advance(200);
    await t.run({ insert: 'a', documents: [{ _id: 1 }] });
    const middle = (await snapshotFind(t, 'a')).cursor.atClusterTime as Timestamp;
    advance(150);
    await t.run({ insert: 'a', documents: [{ _id: 2 }] });
    await assertCommandError(snapshotFind(t, 'a', old), 239, 'SnapshotTooOld');
    const atMiddle = await snapshotFind(t, 'a', middle);
    assert.deepEqual(atMiddle.cursor.firstBatch, [{ _id: 0 }, { _id: 1 }]);
  } finally {
    t.close();
  }
});
