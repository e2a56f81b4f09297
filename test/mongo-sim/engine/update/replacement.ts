// Replacement updates: the new document keeps the old _id, first.
import type { Document } from 'bson';
import { bsonEquals } from '../bson/compare';
import { formatElement } from '../bson/format';
import { commandError, ErrorCodes } from '../errors';

/** Throws 52 for `$`-prefixed top-level fields, which replacement documents may not have. */
export function assertReplacementFields(replacement: Document): void {
  for (const k of Object.keys(replacement)) {
    if (k.startsWith('$')) {
      throw commandError(
        ErrorCodes.DollarPrefixedFieldName,
        `The dollar ($) prefixed field '${k}' in '${k}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
      );
    }
  }
}

/** The document replacing `before`: `_id` first and unchanged (66 if the replacement alters it). */
export function replaceDocument(before: Document, replacement: Document): Document {
  assertReplacementFields(replacement);
  return withOriginalId(before, replacement);
}

/** Puts the original _id first; a different _id in `next` is error 66. */
export function withOriginalId(before: Document, next: Document): Document {
  if ('_id' in next && !bsonEquals(next._id, before._id)) {
    throw commandError(
      ErrorCodes.ImmutableField,
      `After applying the update, the (immutable) field '_id' was found to have been altered to ${formatElement('_id', next._id)}`,
    );
  }
  const out: Document = { _id: before._id };
  for (const k of Object.keys(next)) if (k !== '_id') out[k] = next[k];
  return out;
}
