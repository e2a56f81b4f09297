// Temporary destination changes during the sync and their undoing at commit
// (as mongosync does during a sync; see docs/architecture.md):
// - unique indexes are built non-unique (documents arrive out of order, so transient
//   duplicates are possible); at commit: collMod prepareUnique, then collMod unique;
// - TTL indexes get expireAfterSeconds = 2147483647 so the destination never deletes on its
//   own; at commit: the source's value;
// - hidden indexes are built visible; at commit: hidden again;
// - capped collections are created with no document limit and a 1 PiB size; at commit:
//   collMod cappedSize / cappedMax with the source's values;
// - legacy key values (0, '', true, unknown strings) become 1; options the server no longer
//   accepts are dropped.
// Restoring is computed at commit by comparing the source's current spec with the
// destination's (indexRestoreSteps, cappedRestoreSteps), so nothing about relaxations has to
// be remembered, and renames or index changes made during the sync are followed for free.
// Changes made on the source during the sync through collMod are relaxed the same way
// (relaxCollModForSync): the relaxed parts wait for commit.
// Activity-side; uses only the driver's Document type.
import type { Document } from 'mongodb';
import { skipsHashedIndexes, type BuildIndexesMode } from './start-options';

export const MAX_TTL_SECONDS = 2147483647;
/** The largest capped size the server accepts (1 PiB). */
export const RELAXED_CAPPED_SIZE = 1024 ** 5;

const KNOWN_INDEX_TYPES = new Set(['text', '2d', '2dsphere', 'hashed', 'geoHaystack', 'columnstore']);
const ALLOWED_INDEX_OPTIONS = new Set([
  'key',
  'name',
  'v',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'hidden',
  'collation',
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
  'columnstoreProjection',
  'storageEngine',
  'prepareUnique',
  'coarsestIndexedLevel',
  'finestIndexedLevel',
]);
/** Collection options that never go into `create` on the destination. */
const DROPPED_COLLECTION_OPTIONS = new Set(['autoIndexId', 'flags', 'temp', 'uuid', 'nsType']);
const UNSUPPORTED_COLLECTION_OPTIONS: Record<string, string> = {
  timeseries: 'time-series collections are not supported',
  encryptedFields: 'Queryable Encryption collections are not supported',
};

export interface IndexRelaxation {
  /** what to pass to createIndexes on the destination during the sync */
  buildSpec: Document;
  /** the source values of options changed for the sync */
  relaxed: { unique?: true; prepareUnique?: true; expireAfterSeconds?: number; hidden?: true };
  /** option names dropped because the server no longer accepts them */
  droppedOptions: string[];
  /** key fields whose legacy value was rewritten to 1 */
  rewrittenKeys: string[];
  isIdIndex: boolean;
}

/** A collMod to run on the destination at commit; `command` is the whole command document. */
export interface RestoreStep {
  /** beforeCanWrite steps run before the destination opens; afterCanWrite ones after */
  stage: 'beforeCanWrite' | 'afterCanWrite';
  command: Document;
}

function bsonNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object' && '_bsontype' in value) {
    const type = (value as { _bsontype: string })._bsontype;
    if (type === 'Int32' || type === 'Double' || type === 'Long' || type === 'Decimal128') return Number(String(value));
  }
  return null;
}

function normaliseKeyValue(value: unknown): { value: unknown; rewritten: boolean } {
  const n = bsonNumber(value);
  if (n !== null) return Number.isNaN(n) || n === 0 ? { value: 1, rewritten: true } : { value, rewritten: false };
  if (typeof value === 'string' && KNOWN_INDEX_TYPES.has(value)) return { value, rewritten: false };
  return { value: 1, rewritten: true };
}

export function isIdIndexSpec(spec: Document): boolean {
  return spec.name === '_id_';
}

export function isHashedIndexSpec(spec: Document): boolean {
  const key = spec.key as Document | undefined;
  return key !== undefined && Object.values(key).some((v) => v === 'hashed');
}

/** Whether an index of the source is built on the destination under `mode`. */
export function shouldBuildIndex(spec: Document, mode: BuildIndexesMode): boolean {
  if (isIdIndexSpec(spec)) return true;
  if (mode === 'never') return false;
  if (skipsHashedIndexes(mode)) return !isHashedIndexSpec(spec);
  return true;
}

/** The destination index spec to build during the sync for a source index spec. */
export function relaxIndexSpec(sourceSpec: Document): IndexRelaxation {
  const buildSpec: Document = {};
  const relaxed: IndexRelaxation['relaxed'] = {};
  const droppedOptions: string[] = [];
  const rewrittenKeys: string[] = [];
  const isIdIndex = isIdIndexSpec(sourceSpec);

  for (const [option, value] of Object.entries(sourceSpec)) {
    if (!ALLOWED_INDEX_OPTIONS.has(option) || (option === 'v' && bsonNumber(value) === 0)) {
      droppedOptions.push(option);
      continue;
    }
    if (option === 'key') {
      const key: Document = {};
      for (const [field, keyValue] of Object.entries(value as Document)) {
        const normalised = normaliseKeyValue(keyValue);
        if (normalised.rewritten) rewrittenKeys.push(field);
        key[field] = normalised.value;
      }
      buildSpec.key = key;
      continue;
    }
    if (!isIdIndex) {
      if (option === 'unique') {
        if (value === true) relaxed.unique = true;
        continue;
      }
      if (option === 'prepareUnique') {
        if (value === true) relaxed.prepareUnique = true;
        continue;
      }
      if (option === 'hidden') {
        if (value === true) relaxed.hidden = true;
        continue;
      }
      if (option === 'expireAfterSeconds') {
        const seconds = bsonNumber(value);
        relaxed.expireAfterSeconds = seconds ?? MAX_TTL_SECONDS;
        buildSpec.expireAfterSeconds = MAX_TTL_SECONDS;
        continue;
      }
    }
    buildSpec[option] = value;
  }
  return { buildSpec, relaxed, droppedOptions, rewrittenKeys, isIdIndex };
}

function indexCollMod(coll: string, name: string, change: Document, stage: RestoreStep['stage']): RestoreStep {
  return { stage, command: { collMod: coll, index: { name, ...change } } };
}

/**
 * The collMods that make the destination's index (built relaxed) match the source's spec.
 * Both specs must describe the same index (same name). Unique conversion is two steps:
 * prepareUnique before the destination opens, unique after (mongosync's canWrite point).
 */
export function indexRestoreSteps(coll: string, sourceSpec: Document, destinationSpec: Document): RestoreStep[] {
  const name = String(sourceSpec.name);
  if (destinationSpec.name !== sourceSpec.name) {
    throw new Error(`index restore compares '${String(sourceSpec.name)}' with '${String(destinationSpec.name)}'`);
  }
  if (isIdIndexSpec(sourceSpec)) return [];
  const steps: RestoreStep[] = [];

  const sourceTtl = bsonNumber(sourceSpec.expireAfterSeconds);
  const destinationTtl = bsonNumber(destinationSpec.expireAfterSeconds);
  if (sourceTtl !== null && sourceTtl !== destinationTtl) {
    steps.push(indexCollMod(coll, name, { expireAfterSeconds: sourceTtl }, 'beforeCanWrite'));
  }

  const sourceHidden = sourceSpec.hidden === true;
  if (sourceHidden !== (destinationSpec.hidden === true)) {
    steps.push(indexCollMod(coll, name, { hidden: sourceHidden }, 'beforeCanWrite'));
  }

  const sourceUnique = sourceSpec.unique === true;
  const destinationUnique = destinationSpec.unique === true;
  const destinationPrepared = destinationSpec.prepareUnique === true;
  if ((sourceUnique || sourceSpec.prepareUnique === true) && !destinationUnique && !destinationPrepared) {
    steps.push(indexCollMod(coll, name, { prepareUnique: true }, 'beforeCanWrite'));
  }
  if (sourceUnique && !destinationUnique) {
    steps.push(indexCollMod(coll, name, { unique: true }, 'afterCanWrite'));
  }
  return steps;
}

export interface CollectionRelaxation {
  /** options for `create` on the destination during the sync (without the `create` key) */
  createOptions: Document;
  /** the source's capped limits, when they were relaxed */
  relaxedCapped: { size: number; max?: number } | null;
  droppedOptions: string[];
  /** set when the collection cannot be synced at all */
  unsupported: string | null;
}

/** The `create` options for the destination, from the source's listCollections options. */
export function relaxCollectionOptions(sourceOptions: Document): CollectionRelaxation {
  const createOptions: Document = {};
  const droppedOptions: string[] = [];
  let unsupported: string | null = null;
  for (const [option, value] of Object.entries(sourceOptions)) {
    if (option in UNSUPPORTED_COLLECTION_OPTIONS) {
      unsupported ??= UNSUPPORTED_COLLECTION_OPTIONS[option];
      continue;
    }
    if (DROPPED_COLLECTION_OPTIONS.has(option)) {
      droppedOptions.push(option);
      continue;
    }
    if (option === 'idIndex' && value !== null && typeof value === 'object') {
      const { ns: _ns, ...idIndex } = value as Document;
      createOptions.idIndex = idIndex;
      continue;
    }
    createOptions[option] = value;
  }
  if (sourceOptions.clusteredIndex !== undefined && sourceOptions.expireAfterSeconds !== undefined) {
    unsupported ??= 'clustered collections with expireAfterSeconds are not supported';
  }

  let relaxedCapped: CollectionRelaxation['relaxedCapped'] = null;
  if (sourceOptions.capped === true) {
    const size = bsonNumber(sourceOptions.size) ?? 0;
    const max = bsonNumber(sourceOptions.max);
    relaxedCapped = max !== null && max > 0 ? { size, max } : { size };
    createOptions.size = RELAXED_CAPPED_SIZE;
    delete createOptions.max;
  }
  return { createOptions, relaxedCapped, droppedOptions, unsupported };
}

/** The collMod that gives a relaxed capped collection the source's limits again. */
export function cappedRestoreSteps(coll: string, sourceOptions: Document, destinationOptions: Document): RestoreStep[] {
  if (sourceOptions.capped !== true) return [];
  const change: Document = {};
  const sourceSize = bsonNumber(sourceOptions.size);
  if (sourceSize !== null && sourceSize !== bsonNumber(destinationOptions.size)) change.cappedSize = sourceSize;
  const sourceMax = bsonNumber(sourceOptions.max);
  if (sourceMax !== null && sourceMax > 0 && sourceMax !== bsonNumber(destinationOptions.max)) change.cappedMax = sourceMax;
  if (Object.keys(change).length === 0) return [];
  return [{ stage: 'beforeCanWrite', command: { collMod: coll, ...change } }];
}

const DEFERRED_INDEX_OPTIONS = new Set(['expireAfterSeconds', 'hidden', 'unique', 'prepareUnique', 'forceNonUnique', 'dryRun']);
const DEFERRED_COLLECTION_OPTIONS = new Set(['cappedSize', 'cappedMax', 'expireAfterSeconds', 'dryRun']);

export interface CollModRelaxation {
  /** the collMod to run on the destination now, or null when nothing is left to apply */
  command: Document | null;
  /** parts left for the commit-time restore (named like 'index.hidden', 'cappedSize') */
  deferred: string[];
}

/**
 * Relaxes a collMod seen on the source during the sync (the `modify` event's
 * operationDescription): index TTL/hidden/unique changes and capped limits wait for commit;
 * everything else (validator, validation level/action, pre/post images, view pipeline) is
 * applied now.
 */
export function relaxCollModForSync(coll: string, operationDescription: Document): CollModRelaxation {
  const command: Document = { collMod: coll };
  const deferred: string[] = [];
  for (const [option, value] of Object.entries(operationDescription)) {
    if (option === 'stateBeforeChange' || option === 'collMod') continue;
    if (DEFERRED_COLLECTION_OPTIONS.has(option)) {
      deferred.push(option);
      continue;
    }
    if (option === 'index' && value !== null && typeof value === 'object') {
      const kept: Document = {};
      let changes = 0;
      for (const [indexOption, indexValue] of Object.entries(value as Document)) {
        if (DEFERRED_INDEX_OPTIONS.has(indexOption)) {
          deferred.push(`index.${indexOption}`);
        } else {
          kept[indexOption] = indexValue;
          if (indexOption !== 'name' && indexOption !== 'keyPattern') changes++;
        }
      }
      if (changes > 0) command.index = kept;
      continue;
    }
    command[option] = value;
  }
  return { command: Object.keys(command).length > 1 ? command : null, deferred };
}
