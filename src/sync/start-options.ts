// The body of POST /api/v1/start (mongosync 1.x API with the `reversible` and
// `enableUserWriteBlocking` booleans): strict parsing, mongosync's cross-field rules, and the
// normalised StartOptions the workflow stores. Workflow-safe: imports only zod and pure files.
//
// Decisions (points mongosync's documentation leaves open, settled here):
// - enableUserWriteBlocking: true/false plus the 1.12+ strings; normalised to `writeBlocking`
//   ('none' | 'destinationOnly' | 'sourceAndDestination'). Default false = 'none', the
//   1.0-1.10 default of the boolean API.
// - buildIndexes: all five documented values are accepted and supported. Default
//   'afterDataCopy' (mongosync's default for 6.0+ sources since 1.17; c2c-sync requires 6.0+
//   sources). 'excludeHashed*' skip hashed indexes; 'never' builds only what collections need
//   (the _id index).
// - verification: `verificationEnabled`, default true as in mongosync: the embedded verifier
//   runs from change event application on (docs/embedded-verifier.md).
// - detectRandomId: accepted and recorded; c2c-sync always copies in _id order, which is
//   correct for any _id distribution (only slower for random _ids).
// - skipDiskSpaceCheck: accepted and recorded for the preflight.
// - Refused as unsupported (UnsupportedStartOption): a non-empty copyInNaturalOrder,
//   preExistingDestinationData: true, sharding (replica set -> sharded), and the beta-only
//   documentFilter, namespaceRemap and destinationDataHandling other than
//   'requireEmptyDestination'.
// - A filter may not give both `collections` and `collectionsRegex` (the docs say "or"; the
//   meaning of both together is undefined, so it is refused rather than guessed).
// - Empty includeNamespaces/excludeNamespaces arrays are the same as leaving them out.
import { z } from 'zod';
import { SyncError, SyncErrorName, type SyncErrorInfo } from './errors';
import {
  collectionNameProblem,
  databaseNameProblem,
  hasUnpairedSurrogate,
  isReservedDatabase,
  isSystemCollection,
  isSystemDatabase,
  namespaceNameProblem,
  systemDatabaseDifferingInCase,
} from './namespace-names';
import { translatePcreRegex } from './pcre-regex';
import type { ClusterLabel } from './vocabulary';

export type WriteBlockingMode = 'none' | 'destinationOnly' | 'sourceAndDestination';
export type BuildIndexesMode = 'beforeDataCopy' | 'afterDataCopy' | 'excludeHashed' | 'excludeHashedAfterCopy' | 'never';

export const BUILD_INDEXES_MODES: readonly BuildIndexesMode[] = [
  'beforeDataCopy',
  'afterDataCopy',
  'excludeHashed',
  'excludeHashedAfterCopy',
  'never',
];
export const DEFAULT_BUILD_INDEXES: BuildIndexesMode = 'afterDataCopy';

export interface RegexSpec {
  pattern: string;
  /** concatenated $regex flags from i, m, s, x; '' when none */
  options: string;
}

/** One element of includeNamespaces / excludeNamespaces, as given (options defaulted to ''). */
export interface NamespaceFilterSpec {
  database?: string;
  databaseRegex?: RegexSpec;
  collections?: string[];
  collectionsRegex?: RegexSpec;
}

/** The normalised /start options. JSON-serializable; stored in the workflow state. */
export interface StartOptions {
  source: ClusterLabel;
  destination: ClusterLabel;
  reversible: boolean;
  writeBlocking: WriteBlockingMode;
  includeNamespaces: NamespaceFilterSpec[];
  excludeNamespaces: NamespaceFilterSpec[];
  buildIndexes: BuildIndexesMode;
  /** the embedded verifier runs (docs/embedded-verifier.md) */
  verificationEnabled: boolean;
  /** recorded only: c2c-sync always copies in _id order */
  detectRandomId: boolean;
  skipDiskSpaceCheck: boolean;
}

/** What a sync covers: the clusters it copies between and the namespaces it includes. */
export type SyncScope = Pick<StartOptions, 'source' | 'destination' | 'includeNamespaces' | 'excludeNamespaces'>;

export type StartOptionsResult = { ok: true; options: StartOptions } | { ok: false; error: SyncErrorInfo };

/** A throwable form of a refused /start body. */
export class StartOptionsError extends SyncError {}

const regexSpecSchema = z.strictObject({
  pattern: z.string({ error: 'must be a string' }),
  options: z.string({ error: 'must be a string' }).optional(),
});

const namespaceFilterSchema = z.strictObject({
  database: z.string({ error: 'must be a string' }).optional(),
  databaseRegex: regexSpecSchema.optional(),
  collections: z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' }).optional(),
  collectionsRegex: regexSpecSchema.optional(),
});

const booleanField = z.boolean({ error: 'must be true or false' });
const clusterLabel = z.enum(['cluster0', 'cluster1'], {
  error: (issue) => (issue.input === undefined ? 'is required' : "must be 'cluster0' or 'cluster1'"),
});

/** The structural schema of the /start body (strict: unknown fields are refused). */
export const startRequestBodySchema = z.strictObject(
  {
    source: clusterLabel,
    destination: clusterLabel,
    reversible: booleanField.optional(),
    enableUserWriteBlocking: z
      .union([z.boolean(), z.enum(['sourceAndDestination', 'none', 'destinationOnly'])], {
        error: "must be true, false, 'sourceAndDestination', 'destinationOnly' or 'none'",
      })
      .optional(),
    includeNamespaces: z.array(namespaceFilterSchema, { error: 'must be an array of filter documents' }).optional(),
    excludeNamespaces: z.array(namespaceFilterSchema, { error: 'must be an array of filter documents' }).optional(),
    buildIndexes: z
      .enum(['beforeDataCopy', 'afterDataCopy', 'excludeHashed', 'excludeHashedAfterCopy', 'never'], {
        error: `must be one of ${BUILD_INDEXES_MODES.map((m) => `'${m}'`).join(', ')}`,
      })
      .optional(),
    verification: z.strictObject({ enabled: booleanField.optional() }, { error: 'must be a document' }).optional(),
    detectRandomId: booleanField.optional(),
    copyInNaturalOrder: z.array(z.unknown(), { error: 'must be an array' }).optional(),
    preExistingDestinationData: booleanField.optional(),
    skipDiskSpaceCheck: booleanField.optional(),
    sharding: z.unknown().optional(),
    documentFilter: z.unknown().optional(),
    namespaceRemap: z.unknown().optional(),
    destinationDataHandling: z
      .enum(['requireEmptyDestination', 'ignorePreExistingNamespaces'], {
        error: "must be 'requireEmptyDestination' or 'ignorePreExistingNamespaces'",
      })
      .optional(),
  },
  { error: 'the request body must be a JSON object' },
);

type StartRequestBody = z.infer<typeof startRequestBodySchema>;

function invalid(errorDescription: string): { ok: false; error: SyncErrorInfo } {
  return { ok: false, error: { error: SyncErrorName.InvalidStartRequest, errorDescription } };
}

function unsupported(errorDescription: string): { ok: false; error: SyncErrorInfo } {
  return { ok: false, error: { error: SyncErrorName.UnsupportedStartOption, errorDescription } };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

const MAX_SHOWN_NAME = 64;

/** A field name from the request, as shown in an error: control characters escaped, long names cut. */
export function shownFieldName(name: string): string {
  const escaped = JSON.stringify(name).slice(1, -1);
  return escaped.length > MAX_SHOWN_NAME ? `${escaped.slice(0, MAX_SHOWN_NAME)}…` : escaped;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? ` in '${formatPath(issue.path)}'` : '';
    const shown = issue.keys.slice(0, 5).map((k) => `'${shownFieldName(k)}'`);
    const fields = (issue.keys.length > 5 ? [...shown, `and ${issue.keys.length - 5} more`] : shown).join(', ');
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${fields}${where}`;
  }
  if (issue.path.length === 0) return issue.message;
  return `field '${formatPath(issue.path)}' ${issue.message}`;
}

function writeBlockingMode(value: StartRequestBody['enableUserWriteBlocking']): WriteBlockingMode {
  if (value === true) return 'sourceAndDestination';
  if (value === false || value === undefined) return 'none';
  return value;
}

/** Namespace names are short; a longer pattern is a mistake (or an attack), not a filter. */
export const MAX_FILTER_REGEX_LENGTH = 4096;

function regexProblem(spec: { pattern: string; options?: string }): string | null {
  if (spec.pattern.length > MAX_FILTER_REGEX_LENGTH) return `regex pattern must be at most ${MAX_FILTER_REGEX_LENGTH} characters`;
  if (hasUnpairedSurrogate(spec.pattern)) return 'regex pattern must be valid Unicode (it holds an unpaired surrogate)';
  const translated = translatePcreRegex(spec.pattern, spec.options ?? '');
  return translated.ok ? null : translated.error;
}

/** Checks one filter document; returns a description of the first problem, or null. */
function filterProblem(filter: z.infer<typeof namespaceFilterSchema>, where: string): string | null {
  const hasDatabase = filter.database !== undefined;
  const hasDatabaseRegex = filter.databaseRegex !== undefined;
  if (hasDatabase === hasDatabaseRegex) {
    return `${where} must have exactly one of 'database' and 'databaseRegex'`;
  }
  if (filter.collections !== undefined && filter.collectionsRegex !== undefined) {
    return `${where} must not have both 'collections' and 'collectionsRegex'`;
  }
  if (filter.database !== undefined) {
    const db = filter.database;
    const nameProblem = databaseNameProblem(db);
    if (nameProblem) return `${where}.database: ${nameProblem}`;
    if (isSystemDatabase(db)) return `${where}.database: the system database '${db}' cannot be named in a filter`;
    const system = systemDatabaseDifferingInCase(db);
    if (system) return `${where}.database: no database can be named '${db}': it differs only in case from the system database '${system}'`;
    if (isReservedDatabase(db)) return `${where}.database: '${db}' is reserved for sync metadata and cannot be named in a filter`;
  }
  if (filter.databaseRegex) {
    const problem = regexProblem(filter.databaseRegex);
    if (problem) return `${where}.databaseRegex: ${problem}`;
  }
  if (filter.collections !== undefined) {
    if (filter.collections.length === 0) {
      return `${where}.collections must name at least one collection (leave it out to include the whole database)`;
    }
    for (const [i, coll] of filter.collections.entries()) {
      const nameProblem = collectionNameProblem(coll);
      if (nameProblem) return `${where}.collections[${i}]: ${nameProblem}`;
      const namespaceProblem = filter.database !== undefined ? namespaceNameProblem(filter.database, coll) : null;
      if (namespaceProblem) return `${where}.collections[${i}]: ${namespaceProblem}`;
      if (isSystemCollection(coll)) return `${where}.collections[${i}]: the system collection '${coll}' cannot be named in a filter`;
    }
  }
  if (filter.collectionsRegex) {
    const problem = regexProblem(filter.collectionsRegex);
    if (problem) return `${where}.collectionsRegex: ${problem}`;
  }
  return null;
}

function normaliseRegex(spec: { pattern: string; options?: string } | undefined): RegexSpec | undefined {
  return spec && { pattern: spec.pattern, options: spec.options ?? '' };
}

function normaliseFilter(filter: z.infer<typeof namespaceFilterSchema>): NamespaceFilterSpec {
  const out: NamespaceFilterSpec = {};
  if (filter.database !== undefined) out.database = filter.database;
  if (filter.databaseRegex) out.databaseRegex = normaliseRegex(filter.databaseRegex);
  if (filter.collections !== undefined) out.collections = [...filter.collections];
  if (filter.collectionsRegex) out.collectionsRegex = normaliseRegex(filter.collectionsRegex);
  return out;
}

/** Parses and validates a /start body. Never throws. */
export function parseStartOptions(body: unknown): StartOptionsResult {
  const parsed = startRequestBodySchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const more = issues.length > 5 ? [`and ${issues.length - 5} more problems`] : [];
    return invalid([...issues.slice(0, 5).map(describeIssue), ...more].join('; '));
  }
  const req = parsed.data;
  if (req.source === req.destination) {
    return invalid(`'source' and 'destination' must name different clusters (both are '${req.source}')`);
  }
  for (const field of ['includeNamespaces', 'excludeNamespaces'] as const) {
    for (const [i, filter] of (req[field] ?? []).entries()) {
      const problem = filterProblem(filter, `${field}[${i}]`);
      if (problem) return invalid(problem);
    }
  }

  const writeBlocking = writeBlockingMode(req.enableUserWriteBlocking);
  const reversible = req.reversible ?? false;
  const buildIndexes = req.buildIndexes ?? DEFAULT_BUILD_INDEXES;
  const hasFilter = (req.includeNamespaces?.length ?? 0) > 0 || (req.excludeNamespaces?.length ?? 0) > 0;
  const preExisting = req.preExistingDestinationData ?? false;

  if (reversible && writeBlocking !== 'sourceAndDestination') {
    return invalid(
      "'reversible': true requires 'enableUserWriteBlocking': true (or 'sourceAndDestination'), " +
        `but it is '${String(req.enableUserWriteBlocking ?? false)}'`,
    );
  }
  if (reversible && hasFilter) {
    return invalid("'reversible': true cannot be combined with 'includeNamespaces' or 'excludeNamespaces' (filtered sync cannot be reversed)");
  }
  if (reversible && buildIndexes === 'never') {
    return invalid("'reversible': true cannot be combined with 'buildIndexes': 'never'");
  }
  if (hasFilter && writeBlocking === 'sourceAndDestination') {
    return invalid(
      "'includeNamespaces'/'excludeNamespaces' cannot be combined with 'enableUserWriteBlocking': " +
        `'${String(req.enableUserWriteBlocking)}' (filtered sync supports destination-only write blocking at most)`,
    );
  }
  if (preExisting && !hasFilter) {
    return invalid("'preExistingDestinationData': true requires 'includeNamespaces' or 'excludeNamespaces'");
  }
  if (preExisting && reversible) {
    return invalid("'preExistingDestinationData': true cannot be combined with 'reversible': true");
  }
  if (preExisting && writeBlocking !== 'none') {
    return invalid("'preExistingDestinationData': true does not allow write blocking; set 'enableUserWriteBlocking' to false or 'none'");
  }

  if (preExisting) {
    return unsupported("'preExistingDestinationData': true is not supported by c2c-sync; the destination must be empty");
  }
  if ((req.copyInNaturalOrder?.length ?? 0) > 0) {
    return unsupported("'copyInNaturalOrder' is not supported by c2c-sync; every collection is copied in _id order");
  }
  if (req.sharding !== undefined) {
    return unsupported("'sharding' is not supported by c2c-sync; only replica set to replica set sync is implemented");
  }
  if (req.documentFilter !== undefined) {
    return unsupported("'documentFilter' is a mongosync beta option and is not supported by c2c-sync");
  }
  if (req.namespaceRemap !== undefined) {
    return unsupported("'namespaceRemap' is a mongosync beta option and is not supported by c2c-sync");
  }
  if (req.destinationDataHandling === 'ignorePreExistingNamespaces') {
    return unsupported("'destinationDataHandling': 'ignorePreExistingNamespaces' is not supported by c2c-sync");
  }

  return {
    ok: true,
    options: {
      source: req.source,
      destination: req.destination,
      reversible,
      writeBlocking,
      includeNamespaces: (req.includeNamespaces ?? []).map(normaliseFilter),
      excludeNamespaces: (req.excludeNamespaces ?? []).map(normaliseFilter),
      buildIndexes,
      verificationEnabled: req.verification?.enabled ?? true,
      detectRandomId: req.detectRandomId ?? true,
      skipDiskSpaceCheck: req.skipDiskSpaceCheck ?? false,
    },
  };
}

/** Like parseStartOptions, but throws StartOptionsError (for Temporal update validators). */
export function parseStartOptionsOrThrow(body: unknown): StartOptions {
  const result = parseStartOptions(body);
  if (!result.ok) throw new StartOptionsError(result.error.error, result.error.errorDescription);
  return result.options;
}

export function hasNamespaceFilter(options: Pick<StartOptions, 'includeNamespaces' | 'excludeNamespaces'>): boolean {
  return options.includeNamespaces.length > 0 || options.excludeNamespaces.length > 0;
}

/** When user indexes are built: before the copy, after it (during CEA), or not at all. */
export function indexBuildTiming(mode: BuildIndexesMode): 'beforeDataCopy' | 'afterDataCopy' | 'never' {
  switch (mode) {
    case 'beforeDataCopy':
    case 'excludeHashed':
      return 'beforeDataCopy';
    case 'afterDataCopy':
    case 'excludeHashedAfterCopy':
      return 'afterDataCopy';
    case 'never':
      return 'never';
  }
}

/** True when hashed indexes are never built on the destination. */
export function skipsHashedIndexes(mode: BuildIndexesMode): boolean {
  return mode === 'excludeHashed' || mode === 'excludeHashedAfterCopy';
}

/** True when the destination's user writes are blocked during the sync. */
export function blocksDestinationWrites(mode: WriteBlockingMode): boolean {
  return mode !== 'none';
}

/** True when the source's user writes are blocked from /commit on. */
export function blocksSourceWritesAtCommit(mode: WriteBlockingMode): boolean {
  return mode === 'sourceAndDestination';
}
