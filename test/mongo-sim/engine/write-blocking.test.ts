import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import { assertCommandError, firstBatch, testEngine } from './test-support';

test('setUserWriteBlockMode: admin only, strict, global required, enabling twice is ok', async () => {
  const t = testEngine();
  await assertCommandError(t.run({ setUserWriteBlockMode: 1, global: true }), 13, 'Unauthorized');
  await assertCommandError(t.run({ setUserWriteBlockMode: 1 }, 'admin'), 40414, 'IDLFailedToParse');
  await assertCommandError(t.run({ setUserWriteBlockMode: 1, global: true, bogus: 1 }, 'admin'), 40415, 'IDLUnknownField');
  await assertCommandError(
    t.run({ setUserWriteBlockMode: 1, global: true, reason: 'Unspecified' }, 'admin'),
    40415,
    'IDLUnknownField',
    "BSON field 'setUserWriteBlockMode.reason' is an unknown field.",
  );
  assert.equal(t.engine.userWriteBlockMode(), 1);
  assert.deepEqual(await t.run({ setUserWriteBlockMode: 1, global: true }, 'admin'), {});
  assert.deepEqual(await t.run({ setUserWriteBlockMode: 1, global: true }, 'admin'), {});
  assert.equal(t.engine.userWriteBlockMode(), 2);
  await t.run({ setUserWriteBlockMode: 1, global: false }, 'admin');
  assert.equal(t.engine.userWriteBlockMode(), 1);
  t.close();
});

test('CRUD writes get 371 as write errors (ordered stops at the first); DDL gets a top-level 371', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1 }] });
  await t.run({ setUserWriteBlockMode: 1, global: true }, 'admin');
  const ins = await t.run({ insert: 'c', documents: [{ _id: 2 }, { _id: 3 }] });
  assert.deepEqual(ins, { n: 0, writeErrors: [{ index: 0, code: 371, errmsg: 'User writes blocked' }] });
  const unordered = await t.run({ insert: 'c', documents: [{ _id: 2 }, { _id: 3 }], ordered: false });
  assert.equal((unordered.writeErrors as Document[]).length, 2);
  const upd = await t.run({ update: 'c', updates: [{ q: {}, u: { $set: { a: 1 } } }] });
  assert.equal((upd.writeErrors as Document[])[0].code, 371);
  const del = await t.run({ delete: 'c', deletes: [{ q: {}, limit: 0 }] });
  assert.equal((del.writeErrors as Document[])[0].code, 371);
  await assertCommandError(t.run({ findAndModify: 'c', query: {}, remove: true }), 371, 'UserWritesBlocked', 'User writes blocked');
  for (const cmd of [
    { create: 'n' },
    { drop: 'c' },
    { collMod: 'c' },
    { createIndexes: 'c', indexes: [{ key: { a: 1 }, name: 'a_1' }] },
    { dropDatabase: 1 },
  ]) {
    await assertCommandError(t.run(cmd), 371, 'UserWritesBlocked');
  }
  await assertCommandError(t.run({ renameCollection: 'test.c', to: 'test.d' }, 'admin'), 371, 'UserWritesBlocked');
  assert.deepEqual(firstBatch(await t.run({ find: 'c' })), [{ _id: 1 }]);
  t.close();
});

test('internal databases and system.profile are exempt; privileged connections bypass', async () => {
  const t = testEngine();
  await t.run({ setUserWriteBlockMode: 1, global: true }, 'admin');
  for (const db of ['admin', 'config', 'local']) {
    assert.deepEqual(await t.run({ insert: 'x', documents: [{}] }, db), { n: 1 });
  }
  assert.deepEqual(await t.run({ insert: 'system.profile', documents: [{}] }), { n: 1 });
  assert.deepEqual(await t.runPrivileged({ insert: 'c', documents: [{}] }), { n: 1 });
  assert.deepEqual(await t.runPrivileged({ create: 'd' }), {});
  t.close();
});

test('reason on 8.0.13+: default Unspecified, text names it, a different reason while enabled is 20', async () => {
  const t = testEngine({ version: '8.0.13' });
  await t.run({ setUserWriteBlockMode: 1, global: true, reason: 'ClusterToClusterMigrationInProgress' }, 'admin');
  const r = await t.run({ insert: 'c', documents: [{}] });
  assert.equal((r.writeErrors as Document[])[0].errmsg, 'User writes blocked, reason: ClusterToClusterMigrationInProgress');
  await assertCommandError(t.run({ setUserWriteBlockMode: 1, global: true }, 'admin'), 20, 'IllegalOperation');
  await assertCommandError(t.run({ setUserWriteBlockMode: 1, global: true, reason: 'Nope' }, 'admin'), 2, 'BadValue');
  await t.run({ setUserWriteBlockMode: 1, global: false }, 'admin');
  assert.deepEqual(await t.run({ insert: 'c', documents: [{}] }), { n: 1 });
  t.close();
});
