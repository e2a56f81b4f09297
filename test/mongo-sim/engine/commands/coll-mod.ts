// collMod: validation settings, pre/post images, clustered TTL, capped limits, view definitions,
// and index options (expireAfterSeconds, hidden, prepareUnique, unique).
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { isClustered, type CollectionInfo, type ViewInfo } from '../catalog/catalog';
import { assertValidNamespace } from '../catalog/names';
import { sameKeyPattern } from '../catalog/index-specs';
import { assertWritesAllowed, logOp } from '../writes';
import { commandError, ErrorCodes, isCommandError } from '../errors';
import { isNumeric, isPlainDocument, toNumber } from '../bson/values';
import { formatDocument } from '../bson/format';
import { compileFilter } from '../query/matcher';
import { validatePipeline } from '../query/pipeline';
import type { IndexDescriptor } from '../storage/collection-store';
import { GENERIC_ARGUMENTS, collectionName } from './args';

const COLLECTION_FIELDS = [
  'validator',
  'validationLevel',
  'validationAction',
  'index',
  'changeStreamPreAndPostImages',
  'expireAfterSeconds',
  'cappedSize',
  'cappedMax',
  'viewOn',
  'pipeline',
  'recordPreImages',
  'timeseries',
  'dryRun',
  'collectionUUID',
];
const INDEX_FIELDS = ['keyPattern', 'name', 'expireAfterSeconds', 'hidden', 'prepareUnique', 'unique', 'forceNonUnique'];
const CANNOT_CONVERT_INDEX_TO_UNIQUE = 359;

function body(cmd: Document): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(cmd).slice(1)) {
    if (GENERIC_ARGUMENTS.has(k)) continue;
    if (!COLLECTION_FIELDS.includes(k)) throw commandError(ErrorCodes.IDLUnknownField, `BSON field 'collMod.${k}' is an unknown field.`);
    out[k] = v;
  }
  return out;
}

function findIndex(info: CollectionInfo, spec: Document): IndexDescriptor {
  const ns = `${info.db}.${info.name}`;
  if (spec.name !== undefined && spec.keyPattern !== undefined) {
    throw commandError(ErrorCodes.InvalidOptions, 'Cannot specify both key pattern and name.');
  }
  if (typeof spec.name === 'string') {
    const ix = info.store.indexes.find((i) => i.name === spec.name);
    if (!ix) throw commandError(ErrorCodes.IndexNotFound, `cannot find index ${spec.name} for ns ${ns}`);
    return ix;
  }
  if (isPlainDocument(spec.keyPattern)) {
    const matches = info.store.indexes.filter((i) => sameKeyPattern(i.keyPattern, spec.keyPattern as Document));
    if (matches.length === 0) throw commandError(ErrorCodes.IndexNotFound, `cannot find index ${formatDocument(spec.keyPattern)} for ns ${ns}`);
    if (matches.length > 1) throw commandError(ErrorCodes.AmbiguousIndexKeyPattern, `index keyPattern ${formatDocument(spec.keyPattern)} matches ${matches.length} indexes, must use index name`);
    return matches[0];
  }
  throw commandError(ErrorCodes.InvalidOptions, 'no index name or key pattern specified');
}

interface IndexChange {
  reply: Document;
  oldOptions: Document;
  oplogIndex: Document;
  apply: () => void;
}

/** Validates an index modification; `apply` installs it. */
function planIndexChange(info: CollectionInfo, raw: unknown): IndexChange {
  if (!isPlainDocument(raw)) throw commandError(ErrorCodes.TypeMismatch, "BSON field 'collMod.index' is the wrong type, expected type 'object'");
  for (const k of Object.keys(raw)) {
    if (!INDEX_FIELDS.includes(k)) throw commandError(ErrorCodes.IDLUnknownField, `BSON field 'collMod.index.${k}' is an unknown field.`);
  }
  const ix = findIndex(info, raw);
  const reply: Document = {};
  const oldOptions: Document = {};
  const newSpec: Document = { ...ix.spec };
  const changes = Object.keys(raw).filter((k) => k !== 'name' && k !== 'keyPattern');
  if (changes.length === 0) {
    throw commandError(ErrorCodes.InvalidOptions, 'no expireAfterSeconds, hidden, unique, or prepareUnique field');
  }
  if (raw.expireAfterSeconds !== undefined) {
    const secs = toNumber(raw.expireAfterSeconds);
    if (!isNumeric(raw.expireAfterSeconds) || secs === undefined || secs < 0) {
      throw commandError(ErrorCodes.InvalidOptions, "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number");
    }
    if (ix.fields.length !== 1) throw commandError(ErrorCodes.InvalidOptions, 'TTL indexes are single-field indexes, compound indexes do not support TTL');
    if (ix.spec.expireAfterSeconds !== undefined) {
      reply.expireAfterSeconds_old = ix.spec.expireAfterSeconds;
      oldOptions.expireAfterSeconds = ix.spec.expireAfterSeconds;
    }
    reply.expireAfterSeconds_new = raw.expireAfterSeconds;
    newSpec.expireAfterSeconds = raw.expireAfterSeconds;
  }
  if (raw.hidden !== undefined) {
    if (typeof raw.hidden !== 'boolean') throw commandError(ErrorCodes.TypeMismatch, "BSON field 'collMod.index.hidden' is the wrong type, expected type 'bool'");
    reply.hidden_old = ix.hidden;
    reply.hidden_new = raw.hidden;
    oldOptions.hidden = ix.hidden;
    if (raw.hidden) newSpec.hidden = true;
    else delete newSpec.hidden;
  }
  if (raw.prepareUnique !== undefined) {
    if (typeof raw.prepareUnique !== 'boolean') throw commandError(ErrorCodes.TypeMismatch, "BSON field 'collMod.index.prepareUnique' is the wrong type, expected type 'bool'");
    if (ix.unique && raw.prepareUnique) throw commandError(ErrorCodes.InvalidOptions, 'Cannot set prepareUnique on a unique index');
    reply.prepareUnique_old = ix.prepareUnique;
    reply.prepareUnique_new = raw.prepareUnique;
    oldOptions.prepareUnique = ix.prepareUnique;
    if (raw.prepareUnique) newSpec.prepareUnique = true;
    else delete newSpec.prepareUnique;
  }
  if (raw.unique !== undefined) {
    if (raw.unique !== true) throw commandError(ErrorCodes.BadValue, "The field 'unique' can only be set to true");
    if (!ix.unique) {
      if (!ix.prepareUnique && raw.prepareUnique !== true) {
        throw commandError(ErrorCodes.InvalidOptions, "Cannot make index unique with 'prepareUnique=false'. Run collMod to set it first.");
      }
      reply.unique_new = true;
      oldOptions.unique = false;
      newSpec.unique = true;
      delete newSpec.prepareUnique;
    }
  }
  const oplogIndex: Document = { name: ix.name };
  for (const k of changes) oplogIndex[k] = raw[k];
  return {
    reply,
    oldOptions,
    oplogIndex,
    apply: () => {
      const needsKeys = newSpec.unique === true || newSpec.prepareUnique === true;
      if (needsKeys && !ix.keys) {
        try {
          info.store.buildKeys(ix);
        } catch (e) {
          if (isCommandError(e) && e.code === ErrorCodes.DuplicateKey) {
            throw commandError(
              CANNOT_CONVERT_INDEX_TO_UNIQUE,
              'Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.',
              { violations: [{ ids: [] }] },
            );
          }
          throw e;
        }
      }
      if (!needsKeys) ix.keys = undefined;
      ix.spec = newSpec;
      ix.expireAfterSeconds = toNumber(newSpec.expireAfterSeconds);
      ix.hidden = newSpec.hidden === true;
      ix.prepareUnique = newSpec.prepareUnique === true;
      ix.unique = newSpec.unique === true;
    },
  };
}

function modifyView(state: EngineState, ctx: RequestContext, view: ViewInfo, b: Document): Document {
  for (const k of Object.keys(b)) {
    if (k !== 'viewOn' && k !== 'pipeline') throw commandError(ErrorCodes.InvalidOptions, `option not supported on a view: ${k}`);
  }
  if (b.viewOn === undefined || b.pipeline === undefined) {
    throw commandError(ErrorCodes.InvalidOptions, 'must specify both \'viewOn\' and \'pipeline\' when modifying a view and auth is enabled');
  }
  if (typeof b.viewOn !== 'string') throw commandError(ErrorCodes.TypeMismatch, "'viewOn' option must be a string");
  if (!Array.isArray(b.pipeline)) throw commandError(ErrorCodes.TypeMismatch, "'pipeline' option must be an array");
  validatePipeline(b.pipeline as unknown[]);
  assertWritesAllowed(state, ctx, view.db, view.name);
  const old = { ...view.options };
  view.options = { viewOn: b.viewOn, pipeline: b.pipeline, ...(old.collation !== undefined ? { collation: old.collation } : {}) };
  logOp(state, view.db, { op: 'c', ns: `${view.db}.$cmd`, o: { collMod: view.name, ...b }, o2: { collectionOptions_old: old } });
  return {};
}

/** New collection options after applying the collection-level fields of collMod. */
function modifiedOptions(info: CollectionInfo, b: Document): Document {
  const options: Document = { ...info.options };
  if (b.validator !== undefined) {
    if (!isPlainDocument(b.validator)) throw commandError(ErrorCodes.TypeMismatch, "BSON field 'collMod.validator' is the wrong type, expected type 'object'");
    compileFilter(b.validator);
    options.validator = b.validator;
  }
  for (const [field, allowed] of [
    ['validationLevel', ['off', 'strict', 'moderate']],
    ['validationAction', ['error', 'warn']],
  ] as const) {
    if (b[field] === undefined) continue;
    if (typeof b[field] !== 'string' || !(allowed as readonly string[]).includes(b[field] as string)) {
      throw commandError(ErrorCodes.BadValue, `Enumeration value '${String(b[field])}' for field '${field}' is not a valid value.`);
    }
    options[field] = b[field];
  }
  if (b.changeStreamPreAndPostImages !== undefined) {
    const v: unknown = b.changeStreamPreAndPostImages;
    if (!isPlainDocument(v) || typeof v.enabled !== 'boolean') {
      throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'collMod.changeStreamPreAndPostImages.enabled' is missing but a required field");
    }
    if (v.enabled) options.changeStreamPreAndPostImages = { enabled: true };
    else delete options.changeStreamPreAndPostImages;
  }
  if (b.expireAfterSeconds !== undefined) {
    if (!isClustered(info)) {
      throw commandError(ErrorCodes.InvalidOptions, 'collMod expireAfterSeconds is only supported on clustered collections or time-series collections');
    }
    if (b.expireAfterSeconds === 'off') delete options.expireAfterSeconds;
    else if (isNumeric(b.expireAfterSeconds) && (toNumber(b.expireAfterSeconds) as number) >= 0) options.expireAfterSeconds = b.expireAfterSeconds;
    else throw commandError(ErrorCodes.InvalidOptions, "Invalid value for 'expireAfterSeconds'");
  }
  if (b.cappedSize !== undefined || b.cappedMax !== undefined) {
    if (options.capped !== true) throw commandError(ErrorCodes.InvalidOptions, `collection ${info.db}.${info.name} is not capped`);
    if (b.cappedSize !== undefined) {
      const size = toNumber(b.cappedSize);
      if (size === undefined || size <= 0 || size > 1024 ** 5) throw commandError(ErrorCodes.InvalidOptions, 'Capped size must be greater than 0 and at most 1 PB');
      options.size = b.cappedSize;
    }
    if (b.cappedMax !== undefined) {
      const max = toNumber(b.cappedMax);
      if (max === undefined || max >= 2 ** 31) throw commandError(ErrorCodes.InvalidOptions, 'Capped max must be less than 2^31');
      if (max <= 0) delete options.max;
      else options.max = b.cappedMax;
    }
  }
  return options;
}

export function collModCommand(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  const name = collectionName(cmd, 'collMod');
  assertValidNamespace(ctx.db, name);
  const b = body(cmd);
  if (b.timeseries !== undefined) throw commandError(ErrorCodes.InvalidOptions, 'time-series collections are not supported by the simulator');
  const target = state.catalog.get(ctx.db, name);
  if (!target) throw commandError(ErrorCodes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  if (target.kind === 'view') return modifyView(state, ctx, target, b);
  if (target.virtualOplog) throw commandError(ErrorCodes.IllegalOperation, 'cannot modify the oplog');
  if (b.viewOn !== undefined || b.pipeline !== undefined) {
    throw commandError(ErrorCodes.InvalidOptions, `option only supported on a view: ${b.viewOn !== undefined ? 'viewOn' : 'pipeline'}`);
  }
  const options = modifiedOptions(target, b);
  const indexChange = b.index !== undefined ? planIndexChange(target, b.index) : undefined;
  if (b.dryRun === true) return {};
  assertWritesAllowed(state, ctx, ctx.db, name);
  indexChange?.apply();
  const oldOptions = target.options;
  target.options = options;
  const o: Document = { collMod: name };
  for (const [k, v] of Object.entries(b)) {
    if (k === 'dryRun' || k === 'collectionUUID') continue;
    o[k] = k === 'index' && indexChange ? indexChange.oplogIndex : v;
  }
  const o2: Document = { collectionOptions_old: { uuid: target.uuid, ...oldOptions } };
  if (indexChange) o2.indexOptions_old = indexChange.oldOptions;
  logOp(state, ctx.db, { op: 'c', ns: `${ctx.db}.$cmd`, ui: target.uuid, o, o2 });
  return indexChange ? indexChange.reply : {};
}
