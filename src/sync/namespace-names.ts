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

const INVALID_DATABASE_CHARACTERS = /[/\\. "$*<>:|?\0]/;
const MAX_DATABASE_NAME_LENGTH = 63;

/** Returns why `db` is not a valid database name, or null. Uses the portable (Windows) rules. */
export function databaseNameProblem(db: string): string | null {
  if (db.length === 0) return 'database name must not be empty';
  if (db.length > MAX_DATABASE_NAME_LENGTH) return `database name must be at most ${MAX_DATABASE_NAME_LENGTH} characters`;
  const bad = INVALID_DATABASE_CHARACTERS.exec(db);
  if (bad) return `database name must not contain ${JSON.stringify(bad[0])}`;
  return null;
}

/** Returns why `coll` is not a valid collection name, or null. */
export function collectionNameProblem(coll: string): string | null {
  if (coll.length === 0) return 'collection name must not be empty';
  if (coll.includes('\0')) return 'collection name must not contain a null character';
  if (coll.includes('$')) return "collection name must not contain '$'";
  return null;
}
