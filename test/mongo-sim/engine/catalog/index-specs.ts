// Index specifications: validation of createIndexes specs, descriptors, and conflict rules.
import type { Document } from 'bson';
import { bsonTypeName, isNumeric, isPlainDocument, toNumber, trueValue } from '../bson/values';
import { bsonEquals } from '../bson/compare';
import { formatDocument } from '../bson/format';
import { commandError, ErrorCodes } from '../errors';
import { compileFilter } from '../query/matcher';
import { collationFor } from '../bson/collation';
import type { IndexDescriptor } from '../storage/collection-store';

const SPEC_FIELDS = new Set([
  'key',
  'name',
  'v',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'hidden',
  'collation',
  'background',
  'storageEngine',
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'bucketSize',
  'wildcardProjection',
  'prepareUnique',
  'clustered',
  'ns',
  'dropDups',
  'columnstoreProjection',
]);

const INDEX_PLUGINS = new Set(['hashed', 'text', '2dsphere', '2d', 'geoHaystack', 'columnstore']);
const MAX_TTL_SECONDS = 2147483647;
const INVALID_INDEX_SPEC_OPTION = 197;

/** Checks a createIndexes spec and returns it as listIndexes shows it: {v: 2, key, name, ...}. */
export function normalizeIndexSpec(raw: unknown): Document {
  if (!isPlainDocument(raw)) {
    throw commandError(ErrorCodes.TypeMismatch, "BSON field 'createIndexes.indexes' is the wrong type, expected type 'object'");
  }
  for (const k of Object.keys(raw)) {
    if (!SPEC_FIELDS.has(k) && !k.startsWith('$')) {
      throw commandError(INVALID_INDEX_SPEC_OPTION, `The field '${k}' is not valid for an index specification. Specification: ${formatDocument(raw)}`);
    }
  }
  const key: unknown = raw.key;
  if (key === undefined) throw commandError(ErrorCodes.FailedToParse, "The 'key' field is a required property of an index specification");
  if (!isPlainDocument(key) || Object.keys(key).length === 0) {
    throw commandError(ErrorCodes.CannotCreateIndex, 'Index keys cannot be an empty field.');
  }
  for (const [field, dir] of Object.entries(key)) {
    if (field === '') throw commandError(ErrorCodes.CannotCreateIndex, 'Index keys cannot be an empty field.');
    if (typeof dir === 'string') {
      if (!INDEX_PLUGINS.has(dir)) throw commandError(ErrorCodes.CannotCreateIndex, `Unknown index plugin '${dir}'`);
    } else if (isNumeric(dir)) {
      if (toNumber(dir) === 0) {
        throw commandError(ErrorCodes.CannotCreateIndex, `Values in the index key pattern can only be numbers > 0, numbers < 0, and strings. Found 0 for field ${field}`);
      }
    } else {
      throw commandError(
        ErrorCodes.CannotCreateIndex,
        `Values in v:2 index key pattern cannot be of type ${bsonTypeName(dir)}. Only numbers > 0, numbers < 0, and strings are allowed.`,
      );
    }
  }
  const name: unknown = raw.name;
  if (name === undefined) throw commandError(ErrorCodes.FailedToParse, "The 'name' field is a required property of an index specification");
  if (typeof name !== 'string' || name === '') throw commandError(ErrorCodes.CannotCreateIndex, 'index name cannot be empty');
  if (raw.expireAfterSeconds !== undefined) {
    const secs = toNumber(raw.expireAfterSeconds);
    if (secs === undefined || secs < 0 || secs > MAX_TTL_SECONDS || Number.isNaN(secs)) {
      throw commandError(ErrorCodes.CannotCreateIndex, "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number");
    }
  }
  if (raw.partialFilterExpression !== undefined) {
    if (!isPlainDocument(raw.partialFilterExpression)) {
      throw commandError(ErrorCodes.CannotCreateIndex, "'partialFilterExpression' for an index must be a document");
    }
    compileFilter(raw.partialFilterExpression);
  }
  if (trueValue(raw.unique) && Object.values(key).some((d) => d === 'hashed')) {
    throw commandError(ErrorCodes.CannotCreateIndex, 'Currently hashed indexes cannot guarantee uniqueness. Use a regular index.');
  }
  const spec: Document = { v: 2, key, name };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'key' || k === 'name' || k === 'v' || k === 'ns') continue;
    spec[k] = v;
  }
  return spec;
}

/** A descriptor for a stored spec (partial filter compiled; unique-key map not built yet). */
export function describeIndex(spec: Document): IndexDescriptor {
  const keyPattern = spec.key as Document;
  const partial = isPlainDocument(spec.partialFilterExpression) ? compileFilter(spec.partialFilterExpression) : undefined;
  const ttl = toNumber(spec.expireAfterSeconds);
  return {
    spec,
    name: spec.name as string,
    keyPattern,
    fields: Object.keys(keyPattern),
    unique: trueValue(spec.unique),
    prepareUnique: trueValue(spec.prepareUnique),
    sparse: trueValue(spec.sparse),
    hidden: trueValue(spec.hidden),
    expireAfterSeconds: ttl,
    partial,
    collation: collationFor(isPlainDocument(spec.collation) ? spec.collation : undefined),
  };
}

export function sameKeyPattern(a: Document, b: Document): boolean {
  return bsonEqualsLoose(a, b);
}

/** Key patterns compare field names, order and numeric direction ({x: 1} equals {x: 1.0}). */
function bsonEqualsLoose(a: Document, b: Document): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k, i) => {
    if (k !== kb[i]) return false;
    const x: unknown = a[k];
    const y: unknown = b[k];
    if (isNumeric(x) && isNumeric(y)) return toNumber(x) === toNumber(y);
    return x === y;
  });
}

/** Options that make two indexes with the same key pattern distinct (collation, partial filter). */
function distinguishing(spec: Document): Document {
  return { collation: spec.collation, partialFilterExpression: spec.partialFilterExpression };
}

/** Options compared when deciding whether a requested index equals an existing one. */
function comparableOptions(spec: Document): Document {
  const out: Document = {};
  for (const k of Object.keys(spec).sort()) {
    if (k === 'v' || k === 'name' || k === 'key' || k === 'background') continue;
    out[k] = isNumeric(spec[k]) ? toNumber(spec[k]) : spec[k];
  }
  return out;
}

export type IndexComparison = { kind: 'new' } | { kind: 'exists' };

/**
 * Compares a requested spec with the existing ones: `exists` when an identical index is there,
 * `new` when it can be built; throws 85/86 for the server's conflicts.
 */
export function compareWithExisting(requested: Document, existing: Document[]): IndexComparison {
  for (const ex of existing) {
    const sameName = ex.name === requested.name;
    const sameKey = sameKeyPattern(ex.key as Document, requested.key as Document);
    if (sameName && !sameKey) {
      throw commandError(
        ErrorCodes.IndexKeySpecsConflict,
        `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatDocument(requested)}, existing index: ${formatDocument(ex)}`,
      );
    }
    if (!sameKey || !bsonEquals(distinguishing(ex), distinguishing(requested))) continue;
    const sameOptions = bsonEquals(comparableOptions(ex), comparableOptions(requested));
    if (sameName && sameOptions) return { kind: 'exists' };
    if (sameName) {
      throw commandError(
        ErrorCodes.IndexOptionsConflict,
        `An equivalent index already exists with the same name but different options. Requested index: ${formatDocument(requested)}, existing index: ${formatDocument(ex)}`,
      );
    }
    if (sameOptions) throw commandError(ErrorCodes.IndexOptionsConflict, `Index already exists with a different name: ${String(ex.name)}`);
    throw commandError(
      ErrorCodes.IndexOptionsConflict,
      `An existing index has the same key pattern as the requested index but different options. Requested index: ${formatDocument(requested)}, existing index: ${formatDocument(ex)}`,
    );
  }
  return { kind: 'new' };
}
