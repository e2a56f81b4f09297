import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Int32, Long, Timestamp, type Document } from 'bson';
import { matchedTopLevelFields, topLevelInclusion, UserPipeline } from './change-stream-pipeline';
import { runPipeline } from './query/pipeline';
import { bsonEquals } from './bson/compare';
import { compileFilter } from './query/matcher';
import { toQueryView } from './bson/typed-view';

test('the top-level fields a $match reads: through $and/$or/$nor, none known for $expr and the like', () => {
  const fields = (filter: Document) => {
    const found = matchedTopLevelFields(filter);
    return found && [...found].sort();
  };
  assert.deepEqual(fields({ 'ns.db': 'a', operationType: { $in: ['insert'] }, $comment: 'x' }), ['ns', 'operationType']);
  assert.deepEqual(fields({ $or: [{ 'to.coll': { $regex: '^a' } }, { $nor: [{ 'fullDocument.x': 1 }] }], $and: [{ _id: { $exists: true } }] }), ['_id', 'fullDocument', 'to']);
  assert.equal(fields({ $expr: { $eq: ['$a', 1] } }), null);
  assert.equal(fields({ $or: [{ a: 1 }, { $where: 'true' }] }), null);
  assert.equal(fields({ $jsonSchema: {} }), null);
  assert.equal(fields({ $and: { a: 1 } }), null);
});

test('a $match over the fields it reads decides every event as over the whole event', () => {
  const events: Document[] = [
    { _id: { _data: '01' }, operationType: 'insert', ns: { db: 'app', coll: 'items' }, fullDocument: { _id: 1, x: new Int32(2), tags: ['a', 'b'] }, clusterTime: new Timestamp({ t: 1, i: 1 }) },
    { _id: { _data: '02' }, operationType: 'update', ns: { db: 'app', coll: 'system.views' }, updateDescription: { updatedFields: { x: Long.fromNumber(3) } } },
    { _id: { _data: '03' }, operationType: 'rename', ns: { db: 'other', coll: 'a' }, to: { db: 'app', coll: 'b' } },
    { _id: { _data: '04' }, operationType: 'dropDatabase', ns: { db: 'admin' } },
    { _id: { _data: '05' }, operationType: 'delete', ns: { db: 'app', coll: 'items' }, documentKey: { _id: 1 } },
  ];
  const filters: Document[] = [
    {
      $or: [
        { 'ns.db': { $nin: ['admin', 'local', 'config'], $not: { $regex: '^__c2c' } }, 'ns.coll': { $exists: true, $not: { $regex: '^system\\.' } } },
        { operationType: 'rename', 'to.db': 'app' },
        { operationType: 'dropDatabase', 'ns.db': { $ne: 'admin' } },
      ],
    },
    { 'fullDocument.x': 2, 'fullDocument.tags': 'b' },
    { 'updateDescription.updatedFields.x': { $gte: 3 } },
    { $nor: [{ operationType: 'delete' }], 'documentKey._id': { $exists: false } },
    { $expr: { $eq: ['$operationType', 'delete'] } },
  ];
  for (const filter of filters) {
    const pipeline = new UserPipeline([{ $match: filter }]);
    const whole = compileFilter(filter);
    for (const event of events) {
      assert.equal(pipeline.apply(event) !== undefined, whole(toQueryView(event)), `${JSON.stringify(filter)} on event ${event._id._data}`);
      if (pipeline.apply(event)) assert.equal(pipeline.apply(event), event, 'the event itself passes on');
    }
  }
});

test('a $project including top-level fields is recognised; exclusions, other values, paths and expressions are not', () => {
  const fields = (spec: unknown) => {
    const found = topLevelInclusion(spec);
    return found && [...found].sort();
  };
  assert.deepEqual(fields({ operationType: 1, ns: true, documentKey: new Int32(1), clusterTime: new Double(1), to: Long.fromNumber(1) }), [
    '_id',
    'clusterTime',
    'documentKey',
    'ns',
    'operationType',
    'to',
  ]);
  assert.deepEqual(fields({ _id: 1, ns: 1 }), ['_id', 'ns']);
  for (const spec of [{}, { _id: 0, ns: 1 }, { ns: 0 }, { ns: false }, { ns: 2 }, { 'ns.db': 1 }, { ns: '$ns' }, { ns: { $literal: 1 } }, { $ns: 1 }, 5]) {
    assert.equal(topLevelInclusion(spec), undefined, JSON.stringify(spec));
  }
});

test('a top-level inclusion $project keeps what the pipeline runner keeps, in the event’s own field order (mongod’s)', () => {
  const spec = { operationType: 1, ns: 1, to: 1, documentKey: 1, clusterTime: 1 };
  const events: Document[] = [
    {
      _id: { _data: '01' },
      operationType: 'update',
      clusterTime: new Timestamp({ t: 5, i: 2 }),
      wallTime: new Date(5000),
      ns: { db: 'app', coll: 'items' },
      documentKey: { _id: Long.fromNumber(7) },
      updateDescription: { updatedFields: { v: new Int32(1) }, removedFields: [], truncatedArrays: [] },
    },
    { _id: { _data: '02' }, operationType: 'insert', clusterTime: new Timestamp({ t: 5, i: 3 }), fullDocument: { _id: new Double(1.5), x: 1 }, ns: { db: 'app', coll: 'items' }, documentKey: { _id: new Double(1.5) } },
    // a rename's `to` comes before `_id` (the transformer's order)
    { to: { db: 'app', coll: 'b' }, _id: { _data: '03' }, operationType: 'rename', clusterTime: new Timestamp({ t: 6, i: 1 }), ns: { db: 'app', coll: 'a' }, operationDescription: { to: { db: 'app', coll: 'b' } } },
    { _id: { _data: '04' }, operationType: 'drop', clusterTime: new Timestamp({ t: 7, i: 1 }), ns: { db: 'app', coll: 'a' } },
  ];
  const pipeline = new UserPipeline([{ $match: { operationType: { $ne: 'invalidate' } } }, { $project: spec }]);
  for (const event of events) {
    const fast = pipeline.apply(event)!;
    const [runner] = runPipeline([event], [{ $project: spec }], () => []);
    assert.deepEqual(Object.keys(fast).sort(), Object.keys(runner!).sort(), `fields of ${event._id._data}`);
    for (const key of Object.keys(runner!)) assert.ok(bsonEquals(fast[key], runner![key]), `${key} of ${event._id._data}`);
    assert.deepEqual(Object.keys(fast), Object.keys(event).filter((key) => key === '_id' || key in spec), `the event's order for ${event._id._data}`);
    assert.equal(fast.documentKey, event.documentKey, 'values are the event’s own (exact types)');
  }
  // stages after it run on what it kept; a stage that changes _id still fails
  const more = new UserPipeline([{ $project: { ns: 1 } }, { $addFields: { seen: true } }, { $project: { seen: 1 } }]);
  assert.deepEqual(more.apply(events[3]!), { _id: { _data: '04' }, seen: true });
  assert.throws(() => new UserPipeline([{ $project: { ns: 1 } }, { $set: { _id: 1 } }]).apply(events[3]!), (error: Error & { code?: number }) => error.code === 280 || /_id/.test(error.message));
});

test('the leading $match as a test of some fields: only when it reads no other, with the whole event’s verdict', () => {
  const available = new Set(['operationType', 'ns', 'to', 'documentKey', 'clusterTime']);
  assert.equal(new UserPipeline([]).matchOn(available), undefined);
  assert.equal(new UserPipeline([{ $project: { ns: 1 } }]).matchOn(available), undefined);
  assert.equal(new UserPipeline([{ $match: { 'fullDocument.x': 1 } }]).matchOn(available), undefined);
  assert.equal(new UserPipeline([{ $match: { $expr: { $eq: ['$operationType', 'insert'] } } }]).matchOn(available), undefined);
  const filter = { 'ns.db': 'app', operationType: { $in: ['insert', 'rename'] }, $or: [{ 'documentKey._id': { $gt: new Int32(1) } }, { 'to.coll': 'b' }] };
  const pipeline = new UserPipeline([{ $match: filter }, { $project: { ns: 1 } }]);
  const test = pipeline.matchOn(available)!;
  const events: Document[] = [
    { _id: { _data: '01' }, operationType: 'insert', clusterTime: new Timestamp({ t: 1, i: 1 }), ns: { db: 'app', coll: 'a' }, documentKey: { _id: Long.fromNumber(2) }, fullDocument: { _id: 2 } },
    { _id: { _data: '02' }, operationType: 'insert', ns: { db: 'app', coll: 'a' }, documentKey: { _id: new Double(1) } },
    { to: { db: 'app', coll: 'b' }, _id: { _data: '03' }, operationType: 'rename', ns: { db: 'app', coll: 'a' } },
    { _id: { _data: '04' }, operationType: 'update', ns: { db: 'app', coll: 'a' }, documentKey: { _id: 5 } },
    { _id: { _data: '05' }, operationType: 'insert', ns: { db: 'other', coll: 'a' }, documentKey: { _id: 5 } },
  ];
  for (const event of events) {
    const fields = Object.fromEntries(Object.entries(event).filter(([key]) => available.has(key)));
    assert.equal(test(fields), pipeline.apply(event) !== undefined, `event ${event._id._data}`);
    if (test(fields)) assert.deepEqual(pipeline.apply(event, true), pipeline.apply(event), 'a matched event skips only the $match');
  }
});
