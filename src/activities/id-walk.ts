// A walk of a collection in _id order that resumes after a given _id, whatever the types of the
// _ids: it reads through the _id index bounds (min/hint), never with {$gt}, which would only
// match _ids of the bound's own type (type bracketing).
import type { Collection, Document, FindOptions } from 'mongodb';
import { decodeId, encodeId } from './copy-partition';

/**
 * The documents of `collection` after the _id `after` (canonical EJSON; null = from the first),
 * in _id order. `options` may narrow the read (a projection of {_id: 1} makes it a walk of the
 * index alone); sort, hint and min are the walk's own.
 */
export async function* documentsAfterId(
  collection: Collection<Document>,
  after: string | null,
  options: FindOptions = {},
): AsyncGenerator<Document> {
  const cursor = collection.find({}, {
    ...options,
    sort: { _id: 1 },
    hint: { _id: 1 },
    ...(after !== null ? { min: { _id: decodeId(after) } } : {}),
  });
  try {
    let first = true;
    for await (const doc of cursor) {
      // `min` is inclusive: the document we resume after comes back first.
      if (first && after !== null && encodeId(doc._id) === after) {
        first = false;
        continue;
      }
      first = false;
      yield doc;
    }
  } finally {
    await cursor.close();
  }
}
