// Collection schema validation (validator / validationLevel / validationAction) on writes.
import type { Document } from 'bson';
import { compileFilter, type ViewPredicate } from './query/matcher';
import { validateJsonSchema } from './query/json-schema';
import { toQueryView } from './bson/typed-view';
import { isPlainDocument } from './bson/values';
import { commandError, ErrorCodes } from './errors';
import type { CollectionInfo } from './catalog/catalog';

const compiled = new WeakMap<Document, ViewPredicate>();

function predicateFor(validator: Document): ViewPredicate {
  let p = compiled.get(validator);
  if (!p) {
    p = compileFilter(validator);
    compiled.set(validator, p);
  }
  return p;
}

function clauseDetails(field: string, cond: unknown): Document {
  const op = field.startsWith('$')
    ? field
    : isPlainDocument(cond) && Object.keys(cond).length > 0 && Object.keys(cond)[0].startsWith('$')
      ? Object.keys(cond)[0]
      : '$eq';
  return { operatorName: op, specifiedAs: { [field]: cond }, reason: 'expression did not match' };
}

/** errInfo.details: which rules failed (the server's reasons and considered values are approximated). */
function failureDetails(validator: Document, doc: Document): Document {
  const schema: unknown = validator.$jsonSchema;
  if (isPlainDocument(schema) && Object.keys(validator).length === 1) {
    const failures = validateJsonSchema(schema, doc);
    return {
      operatorName: '$jsonSchema',
      schemaRulesNotSatisfied: failures.map((f) => ({ operatorName: f.keyword, ...(f.path ? { propertyName: f.path } : {}) })),
    };
  }
  const failing = Object.entries(validator)
    .map(([field, cond], index) => ({ index, field, cond }))
    .filter(({ field, cond }) => !matches({ [field]: cond }, doc));
  if (Object.keys(validator).length === 1 && failing.length === 1) return clauseDetails(failing[0].field, failing[0].cond);
  return {
    operatorName: '$and',
    clausesNotSatisfied: failing.map(({ index, field, cond }) => ({ index, details: clauseDetails(field, cond) })),
  };
}

function matches(validator: Document, doc: Document): boolean {
  const schema: unknown = validator.$jsonSchema;
  if (isPlainDocument(schema) && Object.keys(validator).length === 1) return validateJsonSchema(schema, doc).length === 0;
  return predicateFor(validator)(toQueryView(doc));
}

/**
 * Throws 121 DocumentValidationFailure when `doc` fails the collection's validator and the
 * validation level and action say so. `before` is the document an update started from.
 */
export function validateDocument(info: CollectionInfo, doc: Document, before: Document | undefined, bypass: boolean): void {
  const validator = info.options.validator as Document | undefined;
  if (bypass || !isPlainDocument(validator) || Object.keys(validator).length === 0) return;
  const level = (info.options.validationLevel as string | undefined) ?? 'strict';
  const action = (info.options.validationAction as string | undefined) ?? 'error';
  if (level === 'off' || action === 'warn') return;
  if (matches(validator, doc)) return;
  // moderate: updates of documents that already fail validation are allowed
  if (level === 'moderate' && before !== undefined && !matches(validator, before)) return;
  throw commandError(ErrorCodes.DocumentValidationFailure, 'Document failed validation', {
    errInfo: { failingDocumentId: doc._id, details: failureDetails(validator, doc) },
  });
}
