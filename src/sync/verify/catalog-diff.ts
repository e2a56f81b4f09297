// The differences between a collection's (or view's) catalog entry on the source and on the
// destination: its type, its options (validator, capped, collation, timeseries, clustered
// index, view definition...), and its indexes matched by name and compared option by option.
// Values compare as relaxed Extended JSON, so a number's BSON type does not matter (the server
// may store 1 or 1.0 for the same option) but field order does (an index key's or a
// pipeline's order is meaning). Pure.
import { BSON, type Document } from 'mongodb';
import { MAX_TTL_SECONDS, RELAXED_CAPPED_SIZE } from '../index-relaxation';

/** A listCollections entry, with the collection's listIndexes answer (not for views). */
export interface CatalogEntry {
  name: string;
  /** 'collection', 'view' or 'timeseries', as listCollections says */
  type: string;
  options: Document;
  indexes?: Document[];
}

export type CatalogMismatchKind =
  | 'collectionMissingOnDestination'
  | 'collectionExtraOnDestination'
  | 'typeDiffers'
  | 'optionDiffers'
  | 'indexMissingOnDestination'
  | 'indexExtraOnDestination'
  | 'indexOptionDiffers';

export interface CatalogMismatch {
  db: string;
  coll: string;
  kind: CatalogMismatchKind;
  /** the index's name, for index mismatches */
  index?: string;
  /** the option's name: a collection option, or an index option (`key`, `unique`, ...) */
  option?: string;
  /** the values on each side (undefined: absent), as relaxed Extended JSON */
  source?: string;
  destination?: string;
  message: string;
}

export interface CatalogDiffOptions {
  /**
   * Accept the destination in the form the sync gives it until commit (see
   * src/sync/index-relaxation.ts): unique indexes built non-unique (and without prepareUnique),
   * hidden indexes visible, TTL indexes at expireAfterSeconds 2147483647, capped collections
   * at size 1 PiB without a document limit. Everything else must match. Off by default: after
   * a commit, and for two clusters compared without a sync, the destination must match exactly.
   */
  relaxedDuringSync?: boolean;
  /**
   * (With either relaxation, an index flag the sync leaves out when false, `unique`, `hidden` or
   * `prepareUnique: false` on the source, may be absent on the destination.)
   *
   * Accept a unique index in the form a commit gives it before the destination opens (the
   * `beforeCanWrite` stage of the finalize): `prepareUnique` set and not unique yet, the unique
   * conversion runs once the destination is writable. Only the unique options are relaxed.
   */
  uniqueConversionPending?: boolean;
  /** which source indexes the destination must have (default: all), e.g. under buildIndexes: never */
  expectIndex?: (spec: Document) => boolean;
}

/** Collection options that describe a collection's instance, not its definition. */
const INSTANCE_OPTIONS = new Set(['uuid', 'flags', 'autoIndexId', 'temp']);
/** Index options that are bookkeeping, not meaning. */
const INDEX_NOISE = new Set(['v', 'ns', 'name', 'background']);

function text(value: unknown): string | undefined {
  return value === undefined ? undefined : BSON.EJSON.stringify(value, { relaxed: true });
}

function numberOf(value: unknown): number | undefined {
  const parsed = text(value);
  if (parsed === undefined) return undefined;
  const n = Number(parsed);
  return Number.isFinite(n) ? n : undefined;
}

function optionValue(name: string, value: unknown): unknown {
  // The _id index spec carries a namespace on old servers and a version: neither is meaning.
  if (name === 'idIndex' && value !== null && typeof value === 'object') {
    const { ns: _ns, v: _v, ...rest } = value as Document;
    return rest;
  }
  return value;
}

function relaxedCollectionOption(name: string, source: Document, destination: Document): boolean {
  if (source.capped !== true) return false;
  if (name === 'size') return numberOf(destination.size) === RELAXED_CAPPED_SIZE;
  if (name === 'max') return destination.max === undefined || numberOf(destination.max) === 0;
  return false;
}

/** Index flags the sync builds without when they are false (src/sync/index-relaxation.ts): false and absent mean the same. */
const FLAGS_BUILT_WITHOUT_FALSE = new Set(['unique', 'prepareUnique', 'hidden']);

function falseFlagLeftOut(name: string, source: Document, destination: Document): boolean {
  return FLAGS_BUILT_WITHOUT_FALSE.has(name) && source[name] === false && destination[name] === undefined;
}

/** The destination's unique index waits for its conversion: prepared, not unique yet. */
function awaitsUniqueConversion(name: string, source: Document, destination: Document): boolean {
  if (source.unique !== true || destination.prepareUnique !== true) return false;
  if (name === 'unique') return destination.unique !== true;
  if (name === 'prepareUnique') return source.prepareUnique !== true;
  return false;
}

function relaxedIndexOption(name: string, source: Document, destination: Document): boolean {
  switch (name) {
    case 'unique':
    case 'prepareUnique':
      return source[name] === true && destination[name] !== true;
    case 'hidden':
      return source.hidden === true && destination.hidden !== true;
    case 'expireAfterSeconds':
      return source.expireAfterSeconds !== undefined && numberOf(destination.expireAfterSeconds) === MAX_TTL_SECONDS;
    default:
      return false;
  }
}

function differingKeys(source: Document, destination: Document, ignore: Set<string>): string[] {
  const names = [...new Set([...Object.keys(source), ...Object.keys(destination)])].filter((name) => !ignore.has(name));
  return names.filter((name) => text(optionValue(name, source[name])) !== text(optionValue(name, destination[name]))).sort();
}

function describe(value: string | undefined): string {
  return value === undefined ? 'absent' : value;
}

function indexMismatches(db: string, coll: string, source: Document[], destination: Document[], options: CatalogDiffOptions): CatalogMismatch[] {
  const out: CatalogMismatch[] = [];
  const expect = options.expectIndex ?? (() => true);
  const destinationByName = new Map(destination.map((spec) => [String(spec.name), spec]));
  const sourceNames = new Set(source.map((spec) => String(spec.name)));
  for (const spec of source) {
    const name = String(spec.name);
    const other = destinationByName.get(name);
    if (!other) {
      if (expect(spec)) out.push({ db, coll, kind: 'indexMissingOnDestination', index: name, message: `${db}.${coll}: index '${name}' is missing on the destination` });
      continue;
    }
    for (const option of differingKeys(spec, other, INDEX_NOISE)) {
      if (options.relaxedDuringSync && relaxedIndexOption(option, spec, other)) continue;
      if (options.uniqueConversionPending && awaitsUniqueConversion(option, spec, other)) continue;
      if ((options.relaxedDuringSync || options.uniqueConversionPending) && falseFlagLeftOut(option, spec, other)) continue;
      const s = text(spec[option]);
      const d = text(other[option]);
      out.push({
        db,
        coll,
        kind: 'indexOptionDiffers',
        index: name,
        option,
        ...(s !== undefined ? { source: s } : {}),
        ...(d !== undefined ? { destination: d } : {}),
        message: `${db}.${coll}: index '${name}' option '${option}' is ${describe(s)} on the source and ${describe(d)} on the destination`,
      });
    }
  }
  for (const spec of destination) {
    const name = String(spec.name);
    if (!sourceNames.has(name)) out.push({ db, coll, kind: 'indexExtraOnDestination', index: name, message: `${db}.${coll}: index '${name}' exists only on the destination` });
  }
  return out;
}

/** The mismatches of one namespace; either side may be absent. */
export function diffCatalogEntry(db: string, source: CatalogEntry | undefined, destination: CatalogEntry | undefined, options: CatalogDiffOptions = {}): CatalogMismatch[] {
  const coll = (source ?? destination)!.name;
  if (!destination) return [{ db, coll, kind: 'collectionMissingOnDestination', message: `${db}.${coll}: the ${source!.type} is missing on the destination` }];
  if (!source) return [{ db, coll, kind: 'collectionExtraOnDestination', message: `${db}.${coll}: the ${destination.type} exists only on the destination` }];
  if (source.type !== destination.type) {
    return [{ db, coll, kind: 'typeDiffers', source: source.type, destination: destination.type, message: `${db}.${coll}: a ${source.type} on the source, a ${destination.type} on the destination` }];
  }
  const out: CatalogMismatch[] = [];
  for (const option of differingKeys(source.options, destination.options, INSTANCE_OPTIONS)) {
    if (options.relaxedDuringSync && relaxedCollectionOption(option, source.options, destination.options)) continue;
    const s = text(optionValue(option, source.options[option]));
    const d = text(optionValue(option, destination.options[option]));
    out.push({
      db,
      coll,
      kind: 'optionDiffers',
      option,
      ...(s !== undefined ? { source: s } : {}),
      ...(d !== undefined ? { destination: d } : {}),
      message: `${db}.${coll}: option '${option}' is ${describe(s)} on the source and ${describe(d)} on the destination`,
    });
  }
  if (source.indexes && destination.indexes) out.push(...indexMismatches(db, coll, source.indexes, destination.indexes, options));
  return out;
}
