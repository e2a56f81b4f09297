import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32 } from 'bson';
import { runTtlPass } from './ttl-monitor';
import { firstBatch, testEngine } from './test-support';

test('a TTL pass deletes expired documents (earliest date of arrays) and logs normal deletes', async () => {
  let now = 1_700_000_000_000;
  const t = testEngine({ nowMs: () => now });
  await t.run({ createIndexes: 'c', indexes: [{ key: { at: 1 }, name: 'at_1', expireAfterSeconds: new Int32(60) }] });
  await t.run({
    insert: 'c',
    documents: [
      { _id: 1, at: new Date(now - 120_000) },
      { _id: 2, at: new Date(now) },
      { _id: 3, at: [new Date(now + 1000), new Date(now - 61_000)] },
      { _id: 4, at: 'not a date' },
      { _id: 5 },
    ],
  });
  t.mark();
  assert.equal(runTtlPass(t.engine.state), 2);
  assert.deepEqual(firstBatch(await t.run({ find: 'c' })).map((d) => d._id), [2, 4, 5]);
  assert.deepEqual(t.since().map((e) => [e.op, e.o]), [['d', { _id: 1 }], ['d', { _id: 3 }]]);
  now += 120_000;
  assert.equal(runTtlPass(t.engine.state), 1);
  t.close();
});

test('clustered collections expire by their _id date; blocked user writes pause TTL', async () => {
  const now = 1_700_000_000_000;
  const t = testEngine({ nowMs: () => now });
  await t.run({ create: 'cl', clusteredIndex: { key: { _id: 1 }, unique: true }, expireAfterSeconds: new Int32(10) });
  await t.run({ insert: 'cl', documents: [{ _id: new Date(now - 20_000) }, { _id: new Date(now) }] });
  await t.run({ setUserWriteBlockMode: 1, global: true }, 'admin');
  assert.equal(runTtlPass(t.engine.state), 0);
  await t.run({ setUserWriteBlockMode: 1, global: false }, 'admin');
  assert.equal(runTtlPass(t.engine.state), 1);
  t.close();
});

test('the monitor runs on its interval', async () => {
  const t = testEngine({ ttlMonitorIntervalMs: 20 });
  await t.run({ createIndexes: 'c', indexes: [{ key: { at: 1 }, name: 'at_1', expireAfterSeconds: new Int32(0) }] });
  await t.run({ insert: 'c', documents: [{ _id: 1, at: new Date(Date.now() - 1000) }] });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(firstBatch(await t.run({ find: 'c' })), []);
  t.close();
});
