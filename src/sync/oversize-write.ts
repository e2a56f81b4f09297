// Writes of documents near 16 MB. The driver refuses, before sending anything, a write statement
// whose BSON is maxBsonObjectSize (16 MiB) or more (MongoInvalidArgumentError "Document is
// larger than the maximum size"): an insert of a document of exactly 16 MiB, and a replaceOne
// whose replacement plus filter and flags reaches 16 MiB, though the server stores documents of
// up to 16 MiB. Such a write is split into statements that fit: a replaceOne (upsert) of the
// document's longest prefix of fields that fits, then $set of the following fields in order;
// or, when the document alone fits an insert (the filter, say a large _id, made the statement
// too large), a delete and an insert.
// Each $set adds new fields at the end of the document; one $set adds several new fields in
// field-name order (the server's update tree), so a $set groups consecutive fields only while
// their names ascend, and the result has the source's field order. Activity-side (BSON sizes).
import { type AnyBulkWriteOperation, BSON, type Document } from 'mongodb';

/** The driver's limit for one statement: maxBsonObjectSize, which every server reports as 16 MiB. */
export const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;

/**
 * A write made from change events holds parts of them (the document key, the full document, the
 * update description's fields, each once; a merged update the union of its events' fields) plus
 * its statement's own fields: its statement is at most its document's events' BSON bytes plus
 * this. So when a batch's events add up to less than MAX_STATEMENT_BYTES minus this, none of its
 * writes needs measuring.
 */
export const STATEMENT_OVERHEAD_BYTES = 1024;

/**
 * The bytes the driver serializes for `operation` as one statement of its write command (at
 * most: the writes of the sync carry no hint, collation, arrayFilters or sort).
 */
export function statementBytes(operation: AnyBulkWriteOperation<Document>): number {
  if ('insertOne' in operation) return BSON.calculateObjectSize(operation.insertOne.document);
  if ('replaceOne' in operation) {
    const { filter, replacement } = operation.replaceOne;
    return BSON.calculateObjectSize({ q: filter, u: replacement, upsert: true, multi: false });
  }
  if ('updateOne' in operation) {
    const { filter, update } = operation.updateOne;
    return BSON.calculateObjectSize({ q: filter, u: update as Document, upsert: true, multi: false });
  }
  return 0;
}

/** Whether the driver would refuse `operation` as larger than the maximum size. */
export function isOversizedStatement(operation: AnyBulkWriteOperation<Document>, limit = MAX_STATEMENT_BYTES): boolean {
  if (!('insertOne' in operation) && !('replaceOne' in operation) && !('updateOne' in operation)) return false;
  return statementBytes(operation) >= limit;
}

function settable(name: string): boolean {
  return name !== '' && !name.includes('.') && !name.startsWith('$');
}

function namesAscend(before: string, after: string): boolean {
  return Buffer.compare(Buffer.from(before, 'utf8'), Buffer.from(after, 'utf8')) < 0;
}

/** Serialized size of one field as an element of a document. */
function elementBytes(name: string, value: unknown): number {
  return BSON.calculateObjectSize({ [name]: value }) - BSON.calculateObjectSize({});
}

/**
 * Statements that leave `filter`'s document equal to `document` (fields in the same order), each
 * under `limit` bytes, to run in order; null when a field cannot be written by a statement that
 * fits (a single field near 16 MiB, or a late field whose name a $set cannot address).
 */
export function piecewiseReplace(
  filter: Document,
  document: Document,
  limit = MAX_STATEMENT_BYTES,
): AnyBulkWriteOperation<Document>[] | null {
  const fields = Object.keys(document).map((name) => ({ name, bytes: elementBytes(name, document[name]) }));
  const emptyReplace = statementBytes({ replaceOne: { filter, replacement: {}, upsert: true } });
  const emptySet = statementBytes({ updateOne: { filter, update: { $set: {} } } });
  const base: Document = {};
  let size = emptyReplace;
  let next = 0;
  while (next < fields.length && size + fields[next]!.bytes < limit) {
    base[fields[next]!.name] = document[fields[next]!.name];
    size += fields[next]!.bytes;
    next++;
  }
  if ('_id' in document && !('_id' in base)) return null;
  const operations: AnyBulkWriteOperation<Document>[] = [{ replaceOne: { filter, replacement: base, upsert: true } }];
  let set: Document | null = null;
  let last = '';
  for (; next < fields.length; next++) {
    const { name, bytes } = fields[next]!;
    if (!settable(name) || emptySet + bytes >= limit) return null;
    if (set !== null && namesAscend(last, name) && size + bytes < limit) {
      set[name] = document[name];
      size += bytes;
    } else {
      set = { [name]: document[name] };
      size = emptySet + bytes;
      operations.push({ updateOne: { filter, update: { $set: set } } });
    }
    last = name;
  }
  return operations;
}

/**
 * `operation` as statements that fit, to run in order: itself when it does, else the pieces of
 * its document (an insert or a replacement); null when it cannot be split (an update statement,
 * or a document piecewiseReplace cannot write).
 */
export function fitToStatementLimit(
  operation: AnyBulkWriteOperation<Document>,
  limit = MAX_STATEMENT_BYTES,
): AnyBulkWriteOperation<Document>[] | null {
  if (!isOversizedStatement(operation, limit)) return [operation];
  if ('insertOne' in operation) {
    const document = operation.insertOne.document;
    return piecewiseReplace({ _id: document._id }, document, limit);
  }
  if ('replaceOne' in operation) {
    const { filter, replacement } = operation.replaceOne;
    // The replacement alone fits an insert when only the filter (a large _id) made it too large.
    const insert: AnyBulkWriteOperation<Document> = { insertOne: { document: replacement } };
    if ('_id' in replacement && !isOversizedStatement(insert, limit)) return [{ deleteOne: { filter } }, insert];
    return piecewiseReplace(filter, replacement, limit);
  }
  return null;
}
