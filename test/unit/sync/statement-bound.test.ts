// The destination writer skips measuring writes against the driver's statement limit when a
// batch's events add up to far less than it (STATEMENT_OVERHEAD_BYTES): that rests on every
// write made from events (coalesced per document) being at most its document's events' bytes
// plus the overhead. Checked here on random histories of a few documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BSON, type Document } from 'mongodb';
import { planApply } from '../../../src/sync/apply-batching';
import { toBulkWriteOperation, translateChangeEvent } from '../../../src/sync/event-translation';
import { keyValueIdentity } from '../../../src/sync/key-identity';
import { STATEMENT_OVERHEAD_BYTES, statementBytes } from '../../../src/sync/oversize-write';

const fieldName = fc.constantFrom('a', 'b', 'c', 'longer_field_name', 'a.b', 'arr', 'arr.0', 'x'.repeat(40));
const value = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 200 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 20 }),
  fc.dictionary(fc.constantFrom('p', 'q', 'r'), fc.string({ maxLength: 50 })),
);
const id = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('k', 'x'.repeat(300)), fc.constant({ nested: 1, key: 'v' }));

const event = fc.oneof(
  fc.record({ operationType: fc.constant('insert'), id, fields: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'arr'), value) }),
  fc.record({ operationType: fc.constant('replace'), id, fields: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'arr'), value) }),
  fc.record({ operationType: fc.constant('delete'), id }),
  fc.record({
    operationType: fc.constant('update'),
    id,
    updated: fc.dictionary(fieldName, value, { maxKeys: 4 }),
    removed: fc.uniqueArray(fieldName, { maxLength: 3 }),
    truncated: fc.array(fc.record({ field: fc.constantFrom('arr', 'list'), newSize: fc.nat(5) }), { maxLength: 1 }),
  }),
);

function changeEvent(spec: Document, i: number): Document {
  const base: Document = {
    _id: { _data: `82${i.toString(16).padStart(20, '0')}` },
    operationType: spec.operationType,
    clusterTime: new BSON.Timestamp({ t: 1_800_000_000, i: i + 1 }),
    ns: { db: 'app', coll: 'items' },
    documentKey: { _id: spec.id },
  };
  if (spec.operationType === 'insert' || spec.operationType === 'replace') base.fullDocument = { _id: spec.id, ...spec.fields };
  if (spec.operationType === 'update') {
    const removed = (spec.removed as string[]).filter((f) => !(f in spec.updated));
    base.updateDescription = { updatedFields: spec.updated, removedFields: removed, truncatedArrays: spec.truncated };
  }
  return base;
}

test('a write made from events is at most its document events\' bytes plus STATEMENT_OVERHEAD_BYTES', () => {
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 30 }), (specs) => {
      const events = specs.map(changeEvent);
      const bytesOf = new Map<string, number>();
      for (const e of events) {
        const key = keyValueIdentity(e.documentKey._id);
        bytesOf.set(key, (bytesOf.get(key) ?? 0) + BSON.calculateObjectSize(e));
      }
      const plan = planApply(events.map((e) => translateChangeEvent(e)));
      for (const step of plan.steps) {
        if (step.kind !== 'crud') continue;
        for (const queue of step.queues) {
          for (const planned of queue.writes) {
            const operation = toBulkWriteOperation(planned.documentKey, planned.write);
            if (!operation) continue;
            const bound = bytesOf.get(keyValueIdentity(planned.documentKey._id))! + STATEMENT_OVERHEAD_BYTES;
            assert.ok(statementBytes(operation) <= bound, `${statementBytes(operation)} > ${bound}: ${JSON.stringify(operation)}`);
          }
        }
      }
    }),
    { numRuns: 300 },
  );
});
