// Writes of documents near 16 MB that the driver would refuse as one statement: split with
// sync/oversize-write.ts, or refused with an error that names the document.
import { ApplicationFailure } from '@temporalio/activity';
import { type AnyBulkWriteOperation, BSON, type Document, type MongoClient } from 'mongodb';
import { SyncErrorName } from '../sync/errors';
import { fitToStatementLimit } from '../sync/oversize-write';

export interface Namespace {
  db: string;
  coll: string;
}

/**
 * `operation` ready for a bulk write: itself when the driver will send it; else the leading
 * statements of its split are written here, in order, and the last one is returned to be sent.
 */
export async function fitted(
  destination: MongoClient,
  ns: Namespace,
  operation: AnyBulkWriteOperation<Document>,
): Promise<AnyBulkWriteOperation<Document>> {
  const statements = fitToStatementLimit(operation);
  if (!statements) {
    throw ApplicationFailure.nonRetryable(
      `document ${describeId(idOf(operation))} of ${ns.db}.${ns.coll} cannot be written to the destination: ` +
        `one of its fields is too large for a write statement (the driver's limit is 16 MiB per statement)`,
      SyncErrorName.DocumentTooLarge,
    );
  }
  if (statements.length > 1) {
    await destination
      .db(ns.db)
      .collection(ns.coll)
      .bulkWrite(statements.slice(0, -1), { ordered: true, bypassDocumentValidation: true });
  }
  return statements[statements.length - 1]!;
}


function idOf(operation: AnyBulkWriteOperation<Document>): unknown {
  if ('insertOne' in operation) return (operation.insertOne.document as Document)._id;
  if ('replaceOne' in operation) return (operation.replaceOne.filter as Document)._id;
  if ('updateOne' in operation) return (operation.updateOne.filter as Document)._id;
  return undefined;
}

/** Inserts of `docs` the driver would refuse (a document of 16 MiB), written here in pieces. */
export async function writeOversizedInserts(destination: MongoClient, ns: Namespace, docs: Document[]): Promise<void> {
  for (const document of docs) {
    const last = await fitted(destination, ns, { insertOne: { document } });
    await destination.db(ns.db).collection(ns.coll).bulkWrite([last], { ordered: true, bypassDocumentValidation: true });
  }
}

/** The _id as extended JSON, cut short: an _id can be megabytes long. */
function describeId(id: unknown): string {
  const text = BSON.EJSON.stringify(id ?? null, { relaxed: false });
  return text.length <= 200 ? text : `${text.slice(0, 200)}… (${text.length} characters)`;
}
