// The one place that fixes how the simulator decodes requests and encodes replies.
import { deserialize, serialize, type Document } from 'bson';

/**
 * Numbers stay wrapper objects (Int32, Double, Long, Decimal128) and regular expressions stay
 * BSONRegExp (options such as `x` survive), so every value keeps its BSON type when it is stored
 * and sent back.
 */
export function decodeDocument(bytes: Uint8Array): Document {
  return deserialize(bytes, { promoteValues: false, bsonRegExp: true });
}

export function encodeDocument(doc: Document): Uint8Array {
  return serialize(doc, { ignoreUndefined: true });
}
