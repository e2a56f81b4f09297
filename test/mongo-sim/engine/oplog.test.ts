import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, Timestamp, type Document } from 'bson';
import { Oplog, compareTimestamps } from './oplog';
import { assertCommandError, firstBatch, testEngine } from './test-support';

test('timestamps: t = max(now, last.t), i increments within a second and restarts at 1', () => {
  let now = 1_700_000_000_500;
  const oplog = new Oplog(1 << 30, () => now);
  const a = oplog.append({ op: 'n', ns: '', o: {} });
  const b = oplog.append({ op: 'n', ns: '', o: {} });
  assert.deepEqual([a.ts.t, a.ts.i, b.ts.t, b.ts.i], [1_700_000_000, 1, 1_700_000_000, 2]);
  now -= 10_000; // the wall clock going back never moves time backwards
  const c = oplog.append({ op: 'n', ns: '', o: {} });
  assert.deepEqual([c.ts.t, c.ts.i], [1_700_000_000, 3]);
  now += 20_000;
  const d = oplog.append({ op: 'n', ns: '', o: {} });
  assert.deepEqual([d.ts.t, d.ts.i], [1_700_000_010, 1]);
  assert.ok(d.t.equals(Long.fromNumber(1)) && d.v.equals(Long.fromNumber(2)));
});

test('the cap removes the oldest entries by serialized size but always keeps the newest', () => {
  const oplog = new Oplog(400);
  for (let i = 0; i < 10; i++) oplog.append({ op: 'n', ns: '', o: { msg: 'x'.repeat(50) } });
  assert.ok(oplog.sizeBytes() <= 400);
  assert.ok(oplog.count() < 10 && oplog.count() > 0);
  oplog.append({ op: 'n', ns: '', o: { big: 'y'.repeat(2000) } });
  assert.equal(oplog.count(), 1);
  assert.equal(compareTimestamps(oplog.oldest(), oplog.latest()), 0);
});

test('waitForNewer wakes on append, on timeout and on abort', async () => {
  const oplog = new Oplog(1 << 30);
  const first = oplog.append({ op: 'n', ns: '', o: {} });
  const ac = new AbortController();
  const started = Date.now();
  const waiting = oplog.waitForNewer(first.ts, 5000, ac.signal);
  setTimeout(() => oplog.append({ op: 'n', ns: '', o: {} }), 20);
  await waiting;
  assert.ok(Date.now() - started < 1000);
  const t0 = Date.now();
  await oplog.waitForNewer(oplog.latest(), 30, ac.signal);
  assert.ok(Date.now() - t0 >= 25);
  const aborted = oplog.waitForNewer(oplog.latest(), 5000, ac.signal);
  ac.abort();
  await aborted;
  assert.deepEqual(
    oplog.readFrom(first.ts).map((e) => e.ts.i),
    oplog.all().map((e) => e.ts.i),
  );
});

test('CRUD writes log one entry per document in the 7.0 format', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{ _id: 1, a: 1 }, { _id: 2, a: 1 }] });
  await t.run({ update: 'c', updates: [{ q: {}, u: { $set: { b: 1 } }, multi: true }] });
  await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { $set: { b: 1 } } }] }); // no-op: nothing logged
  await t.run({ update: 'c', updates: [{ q: { _id: 1 }, u: { z: 1 } }] });
  await t.run({ delete: 'c', deletes: [{ q: { _id: 2 }, limit: 1 }] });
  const entries = t.oplog();
  const uuid = entries[0].ui;
  assert.deepEqual(
    entries.map((e) => [e.op, e.ns]),
    [
      ['c', 'test.$cmd'],
      ['i', 'test.c'],
      ['i', 'test.c'],
      ['u', 'test.c'],
      ['u', 'test.c'],
      ['u', 'test.c'],
      ['d', 'test.c'],
    ],
  );
  assert.deepEqual(entries[0].o, { create: 'c', idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } });
  assert.deepEqual(entries[1].o, { _id: 1, a: 1 });
  assert.deepEqual(entries[1].o2, { _id: 1 });
  assert.deepEqual(entries[3].o, { $v: 2, diff: { i: { b: 1 } } });
  assert.deepEqual(entries[3].o2, { _id: 1 });
  assert.deepEqual(entries[5].o, { _id: 1, z: 1 });
  assert.deepEqual(entries[6].o, { _id: 2 });
  for (const e of entries) assert.ok(e.ui?.equals(uuid!));
  for (let i = 1; i < entries.length; i++) assert.ok(compareTimestamps(entries[i - 1].ts, entries[i].ts) < 0);
  assert.equal(entries[1].preImage, undefined);
  t.close();
});

test('DDL entries: create with options, commitIndexBuild, collMod, drop', async () => {
  const t = testEngine();
  await t.run({ create: 'c', capped: true, size: 1000 });
  await t.run({ createIndexes: 'c', indexes: [{ key: { a: 1 }, name: 'a_1' }, { key: { b: 1 }, name: 'b_1' }] });
  await t.run({ collMod: 'c', validator: { a: { $exists: true } } });
  await t.run({ create: 'v', viewOn: 'c', pipeline: [] });
  const [create, build, mod, view] = t.oplog();
  assert.deepEqual(create.o, { create: 'c', capped: true, size: 1000, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } });
  assert.equal(build.o.commitIndexBuild, 'c');
  assert.deepEqual(build.o.indexes, [{ v: 2, key: { a: 1 }, name: 'a_1' }, { v: 2, key: { b: 1 }, name: 'b_1' }]);
  assert.deepEqual(mod.o, { collMod: 'c', validator: { a: { $exists: true } } });
  assert.deepEqual(((mod.o2 as Document).collectionOptions_old as Document).capped, true);
  assert.deepEqual(view.o, { create: 'v', viewOn: 'c', pipeline: [] });
  assert.equal(view.ui, undefined);
  t.close();
});

test('implicit creation by insert, upsert and createIndexes logs create first', async () => {
  const t = testEngine();
  await t.run({ update: 'u', updates: [{ q: { _id: 1 }, u: { $set: { a: 1 } }, upsert: true }] });
  await t.run({ createIndexes: 'x', indexes: [{ key: { a: 1 }, name: 'a_1' }] });
  assert.deepEqual(
    t.oplog().map((e) => Object.keys(e.o)[0]),
    ['create', '_id', 'create', 'commitIndexBuild'],
  );
  t.close();
});

test('appendOplogNote: no-op with the data, 4/14 on bad data, 209 when maxClusterTime is not ahead', async () => {
  const t = testEngine();
  const r = await t.run({ appendOplogNote: 1, data: { hello: 'world' } }, 'admin');
  const last = t.oplog().at(-1)!;
  assert.equal(last.op, 'n');
  assert.equal(last.ns, '');
  assert.deepEqual(last.o, { hello: 'world' });
  assert.ok((r.operationTime as Timestamp).equals(last.ts));
  await assertCommandError(t.run({ appendOplogNote: 1 }, 'admin'), 4, 'NoSuchKey', 'Missing expected field "data"');
  await assertCommandError(t.run({ appendOplogNote: 1, data: 5 }, 'admin'), 14, 'TypeMismatch');
  await assertCommandError(t.run({ appendOplogNote: 1, data: {} }), 13, 'Unauthorized');
  const ts = last.ts;
  await assertCommandError(
    t.run({ appendOplogNote: 1, data: {}, maxClusterTime: ts }, 'admin'),
    209,
    'StaleClusterTime',
    `Requested maxClusterTime { ts: Timestamp(${ts.t}, ${ts.i}) } is less or equal to the last primary OpTime: { ts: Timestamp(${ts.t}, ${ts.i}) }`,
  );
  const future = new Timestamp({ t: ts.t + 100, i: 1 });
  await t.run({ appendOplogNote: 1, data: { x: 1 }, maxClusterTime: future }, 'admin');
  assert.deepEqual(t.oplog().at(-1)!.o, { x: 1 });
  t.close();
});

test('the periodic no-op writer writes only when idle; an initial no-op exists', async () => {
  const t = testEngine({ periodicNoopIntervalMs: 30 });
  assert.deepEqual(t.engine.state.oplog.all()[0].o, { msg: 'new primary' });
  await new Promise((r) => setTimeout(r, 120));
  const noops = t.oplog().filter((e) => (e.o as Document).msg === 'periodic noop');
  assert.ok(noops.length >= 1);
  t.close();
});

test('local.oplog.rs: find with filter and $natural order, simulator fields hidden', async () => {
  const t = testEngine();
  await t.run({ create: 'c', changeStreamPreAndPostImages: { enabled: true } });
  await t.run({ insert: 'c', documents: [{ _id: 1 }] });
  await t.run({ delete: 'c', deletes: [{ q: {}, limit: 0 }] });
  const all = firstBatch(await t.run({ find: 'oplog.rs', filter: { ns: 'test.c' }, sort: { $natural: -1 } }, 'local'));
  assert.deepEqual(all.map((e) => e.op), ['d', 'i']);
  assert.deepEqual(Object.keys(all[0]), ['op', 'ns', 'ui', 'o', 'ts', 't', 'v', 'wall']);
  assert.ok(t.oplog().at(-1)!.preImage !== undefined);
  const listed = firstBatch(await t.run({ listCollections: 1, filter: { name: 'oplog.rs' } }, 'local'));
  assert.equal((listed[0].options as Document).capped, true);
  t.close();
});

test('local.oplog.rs: unfiltered reads in natural order (oldest, newest, skip, projection) match a full scan', async () => {
  const t = testEngine();
  for (let i = 0; i < 20; i++) await t.run({ insert: 'c', documents: [{ _id: i }] });
  const scan = firstBatch(await t.run({ find: 'oplog.rs', filter: { op: { $exists: true } }, batchSize: 1000 }, 'local'));
  const read = async (cmd: Document) => firstBatch(await t.run({ find: 'oplog.rs', batchSize: 1000, ...cmd }, 'local'));
  assert.deepEqual(await read({ sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } }), [{ ts: scan[0].ts }]);
  assert.deepEqual(await read({ sort: { $natural: -1 }, limit: 1 }), [scan.at(-1)]);
  assert.deepEqual(await read({ hint: { $natural: -1 }, skip: 2, limit: 3 }), scan.slice().reverse().slice(2, 5));
  assert.deepEqual(await read({ skip: 5, limit: 2 }), scan.slice(5, 7));
  assert.deepEqual(await read({}), scan);
  await assertCommandError(t.run({ find: 'oplog.rs', sort: 1, limit: 1 }, 'local'), 14);
  t.close();
});

test('local.oplog.rs: a find in natural order with a limit stops at the entries it needs', async () => {
  const t = testEngine();
  for (let i = 0; i < 20; i++) await t.run({ insert: 'c', documents: [{ _id: i }] });
  const oplog = t.engine.state.oplog;
  const all = oplog.all.bind(oplog);
  let read = 0;
  oplog.all = () =>
    new Proxy(all(), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) read++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  const find = async (cmd: Document): Promise<{ docs: Document[]; read: number }> => {
    read = 0;
    const docs = firstBatch(await t.run({ find: 'oplog.rs', ...cmd }, 'local'));
    return { docs, read };
  };
  try {
    const oldest = await find({ filter: {}, sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } });
    assert.deepEqual(oldest.docs.map((e) => e.ts), [all()[0].ts]);
    assert.equal(oldest.read, 1);
    const newest = await find({ sort: { $natural: -1 }, limit: 2, skip: 1 });
    assert.deepEqual(newest.docs.map((e) => (e.o as Document)._id), [18, 17]);
    assert.equal(newest.read, 3);
    const filtered = await find({ filter: { op: 'i', 'o._id': { $gte: 5 } }, limit: 2 });
    assert.deepEqual(filtered.docs.map((e) => (e.o as Document)._id), [5, 6]);
    assert.ok(filtered.read < all().length, `stopped after the second match (read ${filtered.read} of ${all().length})`);
    // without a limit, or sorted by a field, every entry is read
    assert.equal((await find({ filter: { op: 'i' } })).docs.length, 20);
    const sorted = await find({ filter: { op: 'i' }, sort: { 'o._id': -1 }, limit: 1 });
    assert.deepEqual(sorted.docs.map((e) => (e.o as Document)._id), [19]);
    assert.equal(sorted.read, all().length);
  } finally {
    oplog.all = all;
  }
  t.close();
});

test('engine clock accessors follow the oplog', async () => {
  const t = testEngine();
  await t.run({ insert: 'c', documents: [{}] });
  const last = t.oplog().at(-1)!;
  assert.ok(t.engine.lastApplied().equals(last.ts));
  assert.ok(compareTimestamps(t.engine.clusterTime(), last.ts) >= 0);
  assert.equal(t.engine.lastAppliedWall().getTime(), last.wall.getTime());
  const w = t.engine.oplogWindow();
  assert.ok(compareTimestamps(w.earliest, w.latest) < 0);
  t.close();
});
