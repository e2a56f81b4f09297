// Serialized BSON sizes of documents, cached per document object (stored documents are never
// mutated, so the size computed at insert time stays valid for batching and statistics).
import { calculateObjectSize, type Document } from 'bson';

const sizes = new WeakMap<object, number>();

export function bsonSize(doc: Document): number {
  let n = sizes.get(doc);
  if (n === undefined) {
    n = calculateObjectSize(doc);
    sizes.set(doc, n);
  }
  return n;
}

/** Records a size already known (e.g. computed while validating an insert). */
export function rememberSize(doc: Document, size: number): void {
  sizes.set(doc, size);
}
