// Rules about database and collection names: which are never synced, and which are valid.
// Workflow-safe: no imports.

/** c2c-sync's own metadata database on the destination; never synced. */
export const C2C_METADATA_DB = '__c2c_sync';

/** Databases that exist on every replica set and are never synced or named in a filter. */
export const SYSTEM_DATABASES: readonly string[] = ['admin', 'config', 'local'];

/**
 * Name prefixes of databases that belong to sync tools: mongosync's metadata (before and after
 * 1.20, the verifier's, the beta's per-migration databases) and our own. They are never synced,
 * so a destination that was itself a migration target never leaks its bookkeeping onward.
 */
export const RESERVED_DATABASE_PREFIXES: readonly string[] = [
  '__mdb_internal',
  'mongosync_reserved_for_internal_use',
  'mongosync_reserved_for_verification_',
  'mongosync_internal_',
  C2C_METADATA_DB,
];

export function isSystemDatabase(db: string): boolean {
  return SYSTEM_DATABASES.includes(db);
}

export function isReservedDatabase(db: string): boolean {
  return RESERVED_DATABASE_PREFIXES.some((prefix) => db.startsWith(prefix));
}

/** True for databases whose collections are never synced, whatever the filter says. */
export function isNeverSyncedDatabase(db: string): boolean {
  return isSystemDatabase(db) || isReservedDatabase(db);
}

export function isSystemCollection(coll: string): boolean {
  return coll.startsWith('system.');
}

/** True when the namespace is excluded before any filter is considered. */
export function isNeverSyncedNamespace(db: string, coll: string): boolean {
  return isNeverSyncedDatabase(db) || isSystemCollection(coll);
}

// The server's rules (NamespaceString validation), with the Windows character set so that a
// name valid here is valid on every server. Lengths are in UTF-8 bytes, as the server counts.
const INVALID_DATABASE_CHARACTERS = /[/\\. "$*<>:|?\0]/;
/** A database name is shorter than 64 bytes. */
export const MAX_DATABASE_NAME_BYTES = 63;
/** `<database>.<collection>` of an unsharded collection is at most 255 bytes. */
export const MAX_NAMESPACE_BYTES = 255;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** True when `text` holds an unpaired UTF-16 surrogate: it has no UTF-8 form, so no server name can equal it. */
export function hasUnpairedSurrogate(text: string): boolean {
  return UNPAIRED_SURROGATE.test(text);
}

function describeCharacter(char: string): string {
  return char === '\0' ? 'a NUL character' : char === ' ' ? 'a space' : `'${char}'`;
}

/** Returns why `db` is not a valid database name, or null. Uses the portable (Windows) rules. */
export function databaseNameProblem(db: string): string | null {
  if (db.length === 0) return 'database name must not be empty';
  if (hasUnpairedSurrogate(db)) return 'database name must be valid Unicode (it holds an unpaired surrogate)';
  if (utf8Bytes(db) > MAX_DATABASE_NAME_BYTES) return `database name must be shorter than 64 bytes (it has ${utf8Bytes(db)} in UTF-8)`;
  const bad = INVALID_DATABASE_CHARACTERS.exec(db);
  if (bad) return `database name must not contain ${describeCharacter(bad[0])} (none of / \\ . " $ * < > : | ? space or NUL)`;
  return null;
}

/** Returns why `coll` is not a valid collection name, or null. */
export function collectionNameProblem(coll: string): string | null {
  if (coll.length === 0) return 'collection name must not be empty';
  if (hasUnpairedSurrogate(coll)) return 'collection name must be valid Unicode (it holds an unpaired surrogate)';
  if (coll.includes('\0')) return 'collection name must not contain a NUL character';
  if (coll.includes('$')) return "collection name must not contain '$'";
  if (coll.startsWith('.')) return "collection name must not start with '.'";
  // the shortest database name takes 1 byte, and the dot another
  if (utf8Bytes(coll) > MAX_NAMESPACE_BYTES - 2) return `collection name is longer than any namespace allows (${MAX_NAMESPACE_BYTES} bytes with the database name)`;
  return null;
}

/** Returns why `db.coll` cannot exist (each name valid, together too long), or null. */
export function namespaceNameProblem(db: string, coll: string): string | null {
  const problem = databaseNameProblem(db) ?? collectionNameProblem(coll);
  if (problem) return problem;
  const bytes = utf8Bytes(db) + 1 + utf8Bytes(coll);
  if (bytes > MAX_NAMESPACE_BYTES) return `the namespace <database>.<collection> would be ${bytes} bytes in UTF-8; at most ${MAX_NAMESPACE_BYTES} are allowed`;
  return null;
}

/**
 * The system database whose name `db` differs from only in case, or null. The server keeps at
 * most one database per case-insensitive name, and the system databases always exist.
 */
export function systemDatabaseDifferingInCase(db: string): string | null {
  const lower = db.replace(/[A-Z]/g, (char) => char.toLowerCase());
  return SYSTEM_DATABASES.find((system) => system === lower && system !== db) ?? null;
}

/**
 * The embedded verifier's store on the destination (docs/embedded-verifier.md): kept apart from
 * C2C_METADATA_DB, which the commit-time resync drops before the verifier's commit check runs.
 */
export const C2C_VERIFIER_DB = '__c2c_sync_verify';
