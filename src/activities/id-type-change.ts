// A document's _id can hold the same value in another numeric type on the two sides: deleted on
// the source and inserted again as Double 5.0 where it was Int32 5, say, while the destination
// still holds the older one. The server identifies both as one document but refuses a replacement
// that changes the _id's type (ImmutableField), so such a document is deleted and inserted again.
import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { ServerErrorCode } from '../mongo/server-errors';
import { perDocumentWriteErrors } from '../mongo/write-outcome';

/** The indexes (in the bulk write) of the replacements refused because they change the _id's type; null when anything else failed. */
export function idTypeChangeFailures(error: unknown): number[] | null {
  const failed = perDocumentWriteErrors(error);
  if (!failed || failed.some((writeError) => Number(writeError.code) !== ServerErrorCode.ImmutableField)) return null;
  return failed.map((writeError) => writeError.index);
}

/** Writes `replacement` over the document with an equal _id whatever the type of its _id. */
export async function replaceChangingIdType(collection: Collection<Document>, replacement: Document): Promise<void> {
  await collection.deleteOne({ _id: replacement._id });
  await collection.insertOne(replacement, { bypassDocumentValidation: true });
}

/** Runs a bulk write of full-document replacements, rewriting those that change an _id's type. */
export async function bulkReplace(collection: Collection<Document>, operations: AnyBulkWriteOperation<Document>[]): Promise<void> {
  try {
    await collection.bulkWrite(operations, { ordered: false, bypassDocumentValidation: true });
  } catch (error) {
    const indexes = idTypeChangeFailures(error);
    if (!indexes) throw error;
    for (const index of indexes) {
      const operation = operations[index]!;
      if (!('replaceOne' in operation)) throw error;
      await replaceChangingIdType(collection, operation.replaceOne.replacement);
    }
  }
}
