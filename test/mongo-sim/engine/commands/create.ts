// create: collections (capped, validated, clustered, pre/post images, collation) and views.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { assertCreatableNamespace } from '../catalog/names';
import { assertWritesAllowed, createCollection, logOp } from '../writes';
import { commandError, ErrorCodes } from '../errors';
import { bsonTypeName, isNumeric, isPlainDocument, toNumber, trueValue } from '../bson/values';
import { bsonEquals } from '../bson/compare';
import { formatDocument } from '../bson/format';
import { compileFilter } from '../query/matcher';
import { validateCollation } from '../bson/collation';
import { validatePipeline } from '../query/pipeline';
import { createIsIdempotent, versionAtLeast } from '../version';
import { GENERIC_ARGUMENTS, collectionName } from './args';

const CREATE_FIELDS = [
  'capped',
  'autoIndexId',
  'idIndex',
  'size',
  'max',
  'storageEngine',
  'validator',
  'validationLevel',
  'validationAction',
  'indexOptionDefaults',
  'viewOn',
  'pipeline',
  'collation',
  'changeStreamPreAndPostImages',
  'timeseries',
  'clusteredIndex',
  'recordPreImages',
  'expireAfterSeconds',
  'encryptedFields',
  'temp',
  'flags',
];

const NOT_STORED = new Set(['idIndex', 'autoIndexId', 'flags']);

function enumValue(field: string, value: unknown, allowed: string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw commandError(ErrorCodes.BadValue, `Enumeration value '${String(value)}' for field 'create.${field}' is not a valid value.`);
  }
}

/** Checks the options of a collection (not a view) and returns them as they are stored. */
export function collectionOptionsFromCommand(cmd: Document, state: EngineState): Document {
  const options: Document = {};
  for (const [k, v] of Object.entries(cmd).slice(1)) {
    if (GENERIC_ARGUMENTS.has(k)) continue;
    if (!CREATE_FIELDS.includes(k)) throw commandError(ErrorCodes.IDLUnknownField, `BSON field 'create.${k}' is an unknown field.`);
    if (!NOT_STORED.has(k)) options[k] = v;
  }
  if (options.timeseries !== undefined) {
    throw commandError(ErrorCodes.InvalidOptions, 'time-series collections are not supported by the simulator');
  }
  if (options.encryptedFields !== undefined) {
    throw commandError(ErrorCodes.InvalidOptions, 'queryable encryption collections are not supported by the simulator');
  }
  const capped = trueValue(options.capped);
  if (options.size !== undefined && !isNumeric(options.size)) {
    throw commandError(ErrorCodes.TypeMismatch, `BSON field 'create.size' is the wrong type '${bsonTypeName(options.size)}', expected types '[long, int, decimal, double']`);
  }
  if (capped) {
    const size = toNumber(options.size);
    if (size === undefined) throw commandError(ErrorCodes.InvalidOptions, "the 'size' field is required when 'capped' is true");
    if (size < 0) throw commandError(ErrorCodes.BadValue, 'size has to be >= 0');
    if (size > 1024 ** 5) throw commandError(ErrorCodes.BadValue, 'size cannot exceed 1 PB');
  }
  if (options.validator !== undefined) {
    if (!isPlainDocument(options.validator)) {
      throw commandError(ErrorCodes.TypeMismatch, "BSON field 'create.validator' is the wrong type, expected type 'object'");
    }
    compileFilter(options.validator);
  }
  if (options.validationLevel !== undefined) enumValue('validationLevel', options.validationLevel, ['off', 'strict', 'moderate']);
  if (options.validationAction !== undefined) {
    const actions = versionAtLeast(state.version, 8, 1) ? ['error', 'warn', 'errorAndLog'] : ['error', 'warn'];
    enumValue('validationAction', options.validationAction, actions);
  }
  if (options.changeStreamPreAndPostImages !== undefined) {
    const v: unknown = options.changeStreamPreAndPostImages;
    if (!isPlainDocument(v) || typeof v.enabled !== 'boolean') {
      throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'create.changeStreamPreAndPostImages.enabled' is missing but a required field");
    }
  }
  if (options.clusteredIndex !== undefined) {
    options.clusteredIndex = normalizeClusteredIndex(options.clusteredIndex);
    if (capped) throw commandError(ErrorCodes.InvalidOptions, 'Clustered capped collections are not supported');
  }
  if (options.expireAfterSeconds !== undefined) {
    if (options.clusteredIndex === undefined) {
      throw commandError(ErrorCodes.InvalidOptions, "'expireAfterSeconds' option is only supported on clustered collections or timeseries buckets collections");
    }
    const secs = toNumber(options.expireAfterSeconds);
    if (secs === undefined || secs < 0) {
      throw commandError(ErrorCodes.InvalidOptions, "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number");
    }
  }
  if (options.collation !== undefined && !isPlainDocument(options.collation)) {
    throw commandError(ErrorCodes.TypeMismatch, "BSON field 'create.collation' is the wrong type, expected type 'object'");
  }
  validateCollation(options.collation);
  return options;
}

function normalizeClusteredIndex(v: unknown): Document {
  if (!isPlainDocument(v)) throw commandError(ErrorCodes.InvalidOptions, 'The clusteredIndex option must be a document with key {_id: 1} and unique: true');
  const key: unknown = v.key;
  if (!isPlainDocument(key) || Object.keys(key).length !== 1 || toNumber(key._id) !== 1) {
    throw commandError(ErrorCodes.InvalidOptions, "The clusteredIndex option is only supported for key: {_id: 1}");
  }
  if (v.unique !== true) throw commandError(ErrorCodes.InvalidOptions, "The clusteredIndex option requires 'unique: true'");
  return { v: 2, key: { _id: 1 }, name: typeof v.name === 'string' ? v.name : '_id_', unique: true };
}

function viewOptionsFromCommand(cmd: Document): Document {
  const options: Document = {};
  for (const [k, v] of Object.entries(cmd).slice(1)) {
    if (GENERIC_ARGUMENTS.has(k)) continue;
    if (k !== 'viewOn' && k !== 'pipeline' && k !== 'collation') {
      if (!CREATE_FIELDS.includes(k)) throw commandError(ErrorCodes.IDLUnknownField, `BSON field 'create.${k}' is an unknown field.`);
      throw commandError(ErrorCodes.InvalidOptions, `option not supported on a view: ${k}`);
    }
    options[k] = v;
  }
  if (typeof options.viewOn !== 'string' || options.viewOn === '') {
    throw commandError(ErrorCodes.TypeMismatch, "'viewOn' option must be specified a string");
  }
  if (options.pipeline === undefined) options.pipeline = [];
  if (!Array.isArray(options.pipeline)) throw commandError(ErrorCodes.TypeMismatch, "'pipeline' option must be an array");
  validatePipeline(options.pipeline as unknown[]);
  // field order as the server stores it: viewOn, pipeline, collation
  const ordered: Document = { viewOn: options.viewOn, pipeline: options.pipeline };
  if (options.collation !== undefined) ordered.collation = options.collation;
  return ordered;
}

function sameOptions(a: Document, b: Document): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && bsonEquals(a[k], b[k]));
}

export function createCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const name = collectionName(cmd, 'create');
  assertCreatableNamespace(ctx.db, name);
  const isView = cmd.viewOn !== undefined;
  const options = isView ? viewOptionsFromCommand(cmd) : collectionOptionsFromCommand(cmd, state);
  const ns = `${ctx.db}.${name}`;
  const existing = state.catalog.get(ctx.db, name);
  if (existing) {
    const same = existing.kind === (isView ? 'view' : 'collection') && sameOptions(existing.options, options);
    if (same && createIsIdempotent(state.version)) return {};
    if (!createIsIdempotent(state.version)) throw commandError(ErrorCodes.NamespaceExists, `Collection ${ns} already exists.`);
    throw commandError(
      ErrorCodes.NamespaceExists,
      `namespace ${ns} already exists, but with different options: ${formatDocument(existing.options)}`,
    );
  }
  assertWritesAllowed(state, ctx, ctx.db, name);
  if (isView) {
    state.catalog.addView(ctx.db, name, options);
    logOp(state, ctx.db, { op: 'c', ns: `${ctx.db}.$cmd`, o: { create: name, ...options } });
    return {};
  }
  createCollection(state, ctx.db, name, options);
  return {};
}
