import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32, Long, Timestamp, type Document } from 'bson';
import { matchedTopLevelFields, UserPipeline } from './change-stream-pipeline';
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
