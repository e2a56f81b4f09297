import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type AnyBulkWriteOperation, BSON, type Document } from 'mongodb';

type Statement = AnyBulkWriteOperation<Document>;
import {
  fitToStatementLimit,
  isOversizedStatement,
  MAX_STATEMENT_BYTES,
  piecewiseReplace,
  statementBytes,
} from '../../../src/sync/oversize-write';

/** What a server does with the statements: replace, then $set (new fields appended in name order). */
function applyStatements(operations: AnyBulkWriteOperation<Document>[]): Document {
  let doc: Document = {};
  for (const operation of operations) {
    if ('replaceOne' in operation) {
      doc = { ...operation.replaceOne.replacement };
    } else if ('updateOne' in operation) {
      const set = (operation.updateOne.update as Document).$set as Document;
      const added = Object.keys(set)
        .filter((name) => !(name in doc))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const name of Object.keys(set)) if (name in doc) doc[name] = set[name];
      for (const name of added) doc[name] = set[name];
    } else {
      throw new Error(`unexpected statement ${JSON.stringify(operation)}`);
    }
  }
  return doc;
}

describe('oversized write statements', () => {
  it('the driver limit: an insert of exactly 16 MiB, and a replacement whose statement reaches 16 MiB', () => {
    const filler = (bytes: number): Document => ({ _id: 1, s: 'x'.repeat(bytes - BSON.calculateObjectSize({ _id: 1, s: '' })) });
    const exact = filler(MAX_STATEMENT_BYTES);
    assert.equal(BSON.calculateObjectSize(exact), MAX_STATEMENT_BYTES);
    assert.ok(isOversizedStatement({ insertOne: { document: exact } } as unknown as Statement));
    assert.ok(!isOversizedStatement({ insertOne: { document: filler(MAX_STATEMENT_BYTES - 1) } } as unknown as Statement));
    const near = filler(MAX_STATEMENT_BYTES - 40);
    assert.ok(!isOversizedStatement({ insertOne: { document: near } } as unknown as Statement));
    assert.ok(isOversizedStatement({ replaceOne: { filter: { _id: 1 }, replacement: near, upsert: true } } as unknown as Statement));
    assert.ok(!isOversizedStatement({ deleteOne: { filter: { _id: 1 } } } as unknown as Statement));
  });

  it('splits an insert of a 16 MiB document into statements that fit and rebuild it in field order', () => {
    const chunk = 'y'.repeat(Math.floor(MAX_STATEMENT_BYTES / 3) - 40);
    const document: Document = { _id: 'big', z: chunk, a: chunk, small: 1 };
    document.m = 'y'.repeat(MAX_STATEMENT_BYTES - BSON.calculateObjectSize({ ...document, m: '' }));
    assert.equal(BSON.calculateObjectSize(document), MAX_STATEMENT_BYTES);
    const operations = fitToStatementLimit({ insertOne: { document } } as unknown as Statement);
    assert.ok(operations && operations.length > 1);
    for (const operation of operations) assert.ok(statementBytes(operation) < MAX_STATEMENT_BYTES);
    const rebuilt = applyStatements(operations);
    assert.deepEqual(Object.keys(rebuilt), Object.keys(document));
    assert.deepEqual(rebuilt, document);
  });

  it('a replacement too large only with its filter (a large _id) becomes a delete and an insert', () => {
    const id = 'i'.repeat(20 * 1024);
    const document: Document = { _id: id };
    document.payload = 'p'.repeat(MAX_STATEMENT_BYTES - 100 - BSON.calculateObjectSize({ _id: id, payload: '' }));
    const operations = fitToStatementLimit({ replaceOne: { filter: { _id: id }, replacement: document, upsert: true } } as unknown as Statement);
    assert.deepEqual(operations, [{ deleteOne: { filter: { _id: id } } }, { insertOne: { document } }]);
  });

  it('gives up (null) when one field alone cannot fit, or a late field has a dotted name', () => {
    const huge = { _id: 1, s: 'x'.repeat(MAX_STATEMENT_BYTES - 30) };
    assert.equal(fitToStatementLimit({ insertOne: { document: { ...huge, t: 'x'.repeat(200) } } } as unknown as Statement), null);
    const dotted = { _id: 1, a: 'x'.repeat(150), 'b.c': 'y'.repeat(150) };
    assert.equal(piecewiseReplace({ _id: 1 }, dotted, 300), null);
    assert.ok(piecewiseReplace({ _id: 1 }, { _id: 1, a: 'x'.repeat(150), b: 'y'.repeat(150) }, 300));
    assert.equal(fitToStatementLimit({ updateOne: { filter: { _id: 1 }, update: { $set: huge } } } as unknown as Statement), null);
  });

  it('property: pieces each fit the limit and rebuild the document exactly, fields in order', () => {
    const name = fc.string({ minLength: 1, maxLength: 5 }).filter((n) => n !== '_id' && !n.includes('.') && !n.startsWith('$'));
    const value = fc.oneof(fc.integer(), fc.string({ maxLength: 60 }), fc.array(fc.integer(), { maxLength: 8 }));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 12 }), fc.integer({ min: 1200, max: 1600 }), (fields, limit) => {
        const document: Document = { _id: 7, ...Object.fromEntries(fields) };
        const operations = piecewiseReplace({ _id: 7 }, document, limit);
        assert.ok(operations, 'every field fits on its own at these sizes');
        for (const operation of operations) assert.ok(statementBytes(operation) < limit);
        const rebuilt = applyStatements(operations);
        assert.deepEqual(Object.keys(rebuilt), Object.keys(document));
        assert.deepEqual(rebuilt, document);
      }),
      { numRuns: 300 },
    );
  });
});
