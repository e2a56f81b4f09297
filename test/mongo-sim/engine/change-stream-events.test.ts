import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Long, UUID, type Document } from 'bson';
import { eventsFromOp, uuidHex, type RawEvent } from './change-stream-events';
import { parseChangeStreamSpec, type ChangeStreamSpec } from './change-stream-spec';
import { unwindEntry } from './change-stream-unwind';
import { FakeOplog } from './change-stream-fakes';
import { decodeResumeToken, type EventToken } from './change-stream-token';
import { timestampValue } from './change-stream-timestamps';
import type { OplogEntry } from './internal';

const UI = new UUID('0a0b0c0d-0e0f-4011-8213-141516171819');
const OTHER_UI = new UUID('1a0b0c0d-0e0f-4011-8213-141516171819');

function spec(level: 'collection' | 'database' | 'cluster', options: Document = {}, version = '7.0.14'): ChangeStreamSpec {
  const stage = { $changeStream: level === 'cluster' ? { ...options, allChangesForCluster: true } : options };
  const cmd = { aggregate: level === 'collection' ? 'c' : 1, pipeline: [stage], cursor: {} };
  return parseChangeStreamSpec(cmd, level === 'cluster' ? 'admin' : 'app', version);
}

function events(entry: OplogEntry, s: ChangeStreamSpec): RawEvent[] {
  return unwindEntry(entry).flatMap((op) => eventsFromOp(op, s));
}

function only(entry: OplogEntry, s: ChangeStreamSpec): Document {
  const out = events(entry, s);
  assert.equal(out.length, 1);
  return out[0].doc;
}

function token(doc: Document): EventToken {
  const t = decodeResumeToken(doc._id as Document);
  assert.equal(t.tokenType, 'event');
  return t as EventToken;
}

test('insert: exact shape and field order', () => {
  const oplog = new FakeOplog();
  const entry = oplog.insert('app.c', UI, { _id: 1, a: 'x' });
  const doc = only(entry, spec('collection'));
  assert.deepEqual(Object.keys(doc), ['_id', 'operationType', 'clusterTime', 'wallTime', 'fullDocument', 'ns', 'documentKey']);
  assert.deepEqual(doc, {
    _id: doc._id,
    operationType: 'insert',
    clusterTime: entry.ts,
    wallTime: entry.wall,
    fullDocument: { _id: 1, a: 'x' },
    ns: { db: 'app', coll: 'c' },
    documentKey: { _id: 1 },
  });
  const t = token(doc);
  assert.equal(t.clusterTime, timestampValue(entry.ts));
  assert.equal(t.txnOpIndex, 0);
  assert.equal(t.fromInvalidate, false);
  assert.equal(t.uuid, uuidHex(UI));
});

test('showExpandedEvents adds collectionUUID after clusterTime', () => {
  const oplog = new FakeOplog();
  const doc = only(oplog.insert('app.c', UI, { _id: 1 }), spec('collection', { showExpandedEvents: true }));
  assert.deepEqual(Object.keys(doc), ['_id', 'operationType', 'clusterTime', 'collectionUUID', 'wallTime', 'fullDocument', 'ns', 'documentKey']);
  assert.equal(doc.collectionUUID, UI);
});

test('update: updateDescription from the diff; disambiguatedPaths only with expanded events from 6.1', () => {
  const oplog = new FakeOplog();
  const entry = oplog.update('app.c', UI, 7, { u: { n: 2 }, sa: { u: { '1': true } }, d: { old: false } });
  const plain = only(entry, spec('collection'));
  assert.deepEqual(Object.keys(plain), ['_id', 'operationType', 'clusterTime', 'wallTime', 'ns', 'documentKey', 'updateDescription']);
  assert.deepEqual(plain.updateDescription, { updatedFields: { n: 2, 'a.1': true }, removedFields: ['old'], truncatedArrays: [] });
  assert.deepEqual(plain.documentKey, { _id: 7 });
  const expanded = only(entry, spec('collection', { showExpandedEvents: true }));
  assert.deepEqual(expanded.updateDescription, {
    updatedFields: { n: 2, 'a.1': true },
    removedFields: ['old'],
    truncatedArrays: [],
    disambiguatedPaths: { 'a.1': ['a', '1'] },
  });
  const on60 = only(entry, spec('collection', { showExpandedEvents: true }, '6.0.19'));
  assert.equal((on60.updateDescription as Document).disambiguatedPaths, undefined);
  const unambiguous = only(oplog.update('app.c', UI, 7, { u: { n: 3 } }), spec('collection', { showExpandedEvents: true }));
  assert.deepEqual((unambiguous.updateDescription as Document).disambiguatedPaths, {});
});

test('update with a post-image mode keeps a fullDocument slot before ns', () => {
  const oplog = new FakeOplog();
  const doc = only(oplog.update('app.c', UI, 7, { u: { n: 2 } }), spec('collection', { fullDocument: 'updateLookup' }));
  assert.deepEqual(Object.keys(doc), ['_id', 'operationType', 'clusterTime', 'wallTime', 'fullDocument', 'ns', 'documentKey', 'updateDescription']);
});

test('showRawUpdateDescription reports the oplog update as is', () => {
  const oplog = new FakeOplog();
  const doc = only(oplog.update('app.c', UI, 7, { u: { n: 2 } }), spec('collection', { showRawUpdateDescription: true }));
  assert.deepEqual(doc.rawUpdateDescription, { $v: 2, diff: { u: { n: 2 } } });
  assert.equal(doc.updateDescription, undefined);
});

test('an update in an unknown oplog format fails', () => {
  const oplog = new FakeOplog();
  const entry = oplog.append({ op: 'u', ns: 'app.c', ui: UI, o: { $v: 1, $set: { a: 1 } }, o2: { _id: 1 } });
  assert.throws(() => events(entry, spec('collection')), { code: 6741200 });
});

test('replace and delete', () => {
  const oplog = new FakeOplog();
  const replace = only(oplog.replace('app.c', UI, { _id: 3, b: 2 }), spec('collection'));
  assert.deepEqual(Object.keys(replace), ['_id', 'operationType', 'clusterTime', 'wallTime', 'fullDocument', 'ns', 'documentKey']);
  assert.equal(replace.operationType, 'replace');
  assert.deepEqual(replace.fullDocument, { _id: 3, b: 2 });
  const del = only(oplog.delete('app.c', UI, 3), spec('collection'));
  assert.deepEqual(Object.keys(del), ['_id', 'operationType', 'clusterTime', 'wallTime', 'ns', 'documentKey']);
  assert.equal(del.operationType, 'delete');
  assert.deepEqual(del.documentKey, { _id: 3 });
});

test('drop on a collection stream: drop, then invalidate with the same position and fromInvalidate', () => {
  const oplog = new FakeOplog();
  const entry = oplog.command('app', { drop: 'c' }, UI, { numRecords: Long.fromNumber(0) });
  const [drop, invalidate] = events(entry, spec('collection'));
  assert.deepEqual(drop.doc, { _id: drop.doc._id, operationType: 'drop', clusterTime: entry.ts, wallTime: entry.wall, ns: { db: 'app', coll: 'c' } });
  assert.deepEqual(invalidate.doc, { _id: invalidate.doc._id, operationType: 'invalidate', clusterTime: entry.ts, wallTime: entry.wall });
  const dt = token(drop.doc);
  const it = token(invalidate.doc);
  assert.equal(it.fromInvalidate, true);
  assert.deepEqual({ ...it, fromInvalidate: false }, dt);
  assert.ok(invalidate.tokenData > drop.tokenData);
});

test('drop on database and cluster streams does not invalidate; system and other collections are skipped', () => {
  const oplog = new FakeOplog();
  const entry = oplog.command('app', { drop: 'c' }, UI);
  assert.deepEqual(events(entry, spec('database')).map((e) => e.operationType), ['drop']);
  assert.deepEqual(events(entry, spec('cluster')).map((e) => e.operationType), ['drop']);
  assert.deepEqual(events(oplog.command('app', { drop: 'system.js' }, UI), spec('database')), []);
  assert.deepEqual(events(oplog.command('app', { drop: 'other' }, UI), spec('collection')), []);
});

test('rename: `to` first, operationDescription with expanded events, invalidates a collection stream', () => {
  const oplog = new FakeOplog();
  const entry = oplog.command('app', { renameCollection: 'app.c', to: 'app.d', stayTemp: false, dropTarget: OTHER_UI }, UI);
  const [rename, invalidate] = events(entry, spec('collection', { showExpandedEvents: true }));
  assert.deepEqual(Object.keys(rename.doc), ['to', '_id', 'operationType', 'clusterTime', 'collectionUUID', 'wallTime', 'ns', 'operationDescription']);
  assert.deepEqual(rename.doc.to, { db: 'app', coll: 'd' });
  assert.deepEqual(rename.doc.ns, { db: 'app', coll: 'c' });
  assert.deepEqual(rename.doc.operationDescription, { to: { db: 'app', coll: 'd' }, dropTarget: OTHER_UI });
  assert.equal(invalidate.operationType, 'invalidate');
  const classic = events(entry, spec('collection'));
  assert.deepEqual(Object.keys(classic[0].doc), ['to', '_id', 'operationType', 'clusterTime', 'wallTime', 'ns']);
});

test('a rename onto the watched collection is reported on it and invalidates it', () => {
  const oplog = new FakeOplog();
  const entry = oplog.command('app', { renameCollection: 'app.x', to: 'app.c', stayTemp: false }, OTHER_UI);
  const out = events(entry, spec('collection'));
  assert.deepEqual(out.map((e) => e.operationType), ['rename', 'invalidate']);
  assert.deepEqual(out[0].doc.ns, { db: 'app', coll: 'x' });
  assert.deepEqual(events(oplog.command('app', { renameCollection: 'app.x', to: 'app.y', stayTemp: false }, OTHER_UI), spec('collection')), []);
});

test('dropDatabase: database stream invalidated, cluster stream not, collection stream does not see it', () => {
  const oplog = new FakeOplog();
  const entry = oplog.command('app', { dropDatabase: 1 });
  const db = events(entry, spec('database', { showExpandedEvents: true }));
  assert.deepEqual(db.map((e) => e.operationType), ['dropDatabase', 'invalidate']);
  assert.deepEqual(db[0].doc, { _id: db[0].doc._id, operationType: 'dropDatabase', clusterTime: entry.ts, wallTime: entry.wall, ns: { db: 'app' } });
  assert.equal(token(db[0].doc).uuid, undefined);
  assert.deepEqual(events(entry, spec('cluster')).map((e) => e.operationType), ['dropDatabase']);
  assert.deepEqual(events(entry, spec('collection')), []);
  assert.deepEqual(events(oplog.command('other', { dropDatabase: 1 }), spec('database')), []);
});

test('create: operationDescription is the oplog o without create', () => {
  const oplog = new FakeOplog();
  const idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };
  const entry = oplog.command('app', { create: 'c', idIndex, capped: true, size: 4096 }, UI);
  const doc = only(entry, spec('database', { showExpandedEvents: true }));
  assert.deepEqual(Object.keys(doc), ['_id', 'operationType', 'clusterTime', 'collectionUUID', 'wallTime', 'ns', 'operationDescription']);
  assert.deepEqual(doc, {
    _id: doc._id,
    operationType: 'create',
    clusterTime: entry.ts,
    collectionUUID: UI,
    wallTime: entry.wall,
    ns: { db: 'app', coll: 'c' },
    operationDescription: { idIndex, capped: true, size: 4096 },
  });
});

test('createIndexes from commitIndexBuild and from a single-phase createIndexes entry', () => {
  const oplog = new FakeOplog();
  const s = spec('collection', { showExpandedEvents: true });
  const indexes = [{ v: 2, key: { x: 1 }, name: 'x_1' }, { v: 2, key: { y: -1 }, name: 'y_-1', unique: true }];
  const commit = only(oplog.command('app', { commitIndexBuild: 'c', indexBuildUUID: new UUID(), indexes }, UI), s);
  assert.equal(commit.operationType, 'createIndexes');
  assert.deepEqual(commit.operationDescription, { indexes });
  const single = only(oplog.command('app', { createIndexes: 'c', v: 2, key: { z: 1 }, name: 'z_1' }, UI), s);
  assert.deepEqual(single.operationDescription, { indexes: [{ v: 2, key: { z: 1 }, name: 'z_1' }] });
});

test('dropIndexes reports the full spec of the dropped index from o2', () => {
  const oplog = new FakeOplog();
  const spec2 = { v: 2, key: { x: 1 }, name: 'x_1', sparse: true };
  const doc = only(oplog.command('app', { dropIndexes: 'c', index: 'x_1' }, UI, spec2), spec('collection', { showExpandedEvents: true }));
  assert.equal(doc.operationType, 'dropIndexes');
  assert.deepEqual(doc.operationDescription, { indexes: [spec2] });
});

test('modify: collMod body and stateBeforeChange from o2', () => {
  const oplog = new FakeOplog();
  const entry = oplog.command(
    'app',
    { collMod: 'c', index: { name: 'x_1', expireAfterSeconds: 200 } },
    UI,
    { collectionOptions_old: { uuid: UI }, indexOptions_old: { expireAfterSeconds: 100 } },
  );
  const doc = only(entry, spec('collection', { showExpandedEvents: true }));
  assert.deepEqual(Object.keys(doc), ['_id', 'operationType', 'clusterTime', 'collectionUUID', 'wallTime', 'ns', 'operationDescription', 'stateBeforeChange']);
  assert.deepEqual(doc.operationDescription, { index: { name: 'x_1', expireAfterSeconds: 200 } });
  assert.deepEqual(doc.stateBeforeChange, { collectionOptions: { uuid: UI }, indexOptions: { expireAfterSeconds: 100 } });
  const bare = only(oplog.command('app', { collMod: 'c' }, UI, { collectionOptions_old: {} }), spec('collection', { showExpandedEvents: true }));
  assert.deepEqual(bare.operationDescription, {});
  assert.deepEqual(bare.stateBeforeChange, { collectionOptions: {} });
});

test('views: create/modify/drop on database and cluster streams only, without collectionUUID', () => {
  const oplog = new FakeOplog();
  const s = spec('database', { showExpandedEvents: true });
  const create = oplog.command('app', { create: 'v', viewOn: 'c', pipeline: [{ $match: { a: 1 } }] });
  const doc = only(create, s);
  assert.deepEqual(doc, {
    _id: doc._id,
    operationType: 'create',
    clusterTime: create.ts,
    wallTime: create.wall,
    ns: { db: 'app', coll: 'v' },
    operationDescription: { viewOn: 'c', pipeline: [{ $match: { a: 1 } }] },
  });
  const modify = only(oplog.command('app', { collMod: 'v', viewOn: 'c', pipeline: [] }), s);
  assert.equal(modify.operationType, 'modify');
  assert.deepEqual(modify.operationDescription, { viewOn: 'c', pipeline: [] });
  assert.equal(modify.stateBeforeChange, undefined);
  const drop = oplog.command('app', { drop: 'v' });
  assert.deepEqual(Object.keys(only(drop, s)), ['_id', 'operationType', 'clusterTime', 'wallTime', 'ns']);
  assert.deepEqual(events(drop, spec('database')), []);
  assert.deepEqual(events(create, spec('collection', { showExpandedEvents: true })), []);
});

test('transactions: one event per applyOps element, same clusterTime, growing txnOpIndex, lsid and txnNumber first', () => {
  const oplog = new FakeOplog();
  const lsid = { id: new UUID(), uid: new Uint8Array(32) };
  const entry = oplog.append({
    op: 'c',
    ns: 'admin.$cmd',
    o: {
      applyOps: [
        { op: 'i', ns: 'app.c', ui: UI, o: { _id: 1 }, o2: { _id: 1 } },
        { op: 'i', ns: 'app.other', ui: OTHER_UI, o: { _id: 2 }, o2: { _id: 2 } },
        { op: 'd', ns: 'app.c', ui: UI, o: { _id: 1 } },
      ],
    },
    lsid,
    txnNumber: Long.fromNumber(5),
  });
  const out = events(entry, spec('collection'));
  assert.deepEqual(out.map((e) => e.operationType), ['insert', 'delete']);
  assert.deepEqual(Object.keys(out[0].doc), ['txnNumber', 'lsid', '_id', 'operationType', 'clusterTime', 'wallTime', 'fullDocument', 'ns', 'documentKey']);
  assert.equal(out[0].doc.lsid, lsid);
  assert.deepEqual(out[0].doc.txnNumber, Long.fromNumber(5));
  assert.equal(out[0].doc.clusterTime, entry.ts);
  assert.equal(out[1].doc.clusterTime, entry.ts);
  assert.deepEqual([token(out[0].doc).txnOpIndex, token(out[1].doc).txnOpIndex], [0, 2]);
  assert.ok(out[0].tokenData < out[1].tokenData);
});

test('retryable-write entries outside applyOps do not report lsid/txnNumber', () => {
  const oplog = new FakeOplog();
  const entry = oplog.insert('app.c', UI, { _id: 1 }, { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1) });
  const doc = only(entry, spec('collection'));
  assert.equal(doc.lsid, undefined);
  assert.equal(doc.txnNumber, undefined);
});

test('namespace filtering per level', () => {
  const oplog = new FakeOplog();
  const entries = [
    oplog.insert('app.c', UI, { _id: 1 }),
    oplog.insert('app.d', OTHER_UI, { _id: 2 }),
    oplog.insert('app.system.js', OTHER_UI, { _id: 3 }),
    oplog.insert('other.c', OTHER_UI, { _id: 4 }),
    oplog.insert('admin.x', OTHER_UI, { _id: 5 }),
    oplog.insert('config.x', OTHER_UI, { _id: 6 }),
    oplog.insert('local.x', OTHER_UI, { _id: 7 }),
    oplog.noop(),
    oplog.command('app', { startIndexBuild: 'c', indexes: [] }, UI),
  ];
  const ids = (s: ChangeStreamSpec): unknown[] => entries.flatMap((e) => events(e, s)).map((e) => (e.doc.documentKey as Document)._id);
  assert.deepEqual(ids(spec('collection')), [1]);
  assert.deepEqual(ids(spec('database')), [1, 2]);
  assert.deepEqual(ids(spec('cluster')), [1, 2, 4]);
});
