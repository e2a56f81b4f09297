// Namespace rules: which database and collection names the server accepts.
import { commandError, ErrorCodes } from '../errors';

const MAX_DB_NAME = 63;
const MAX_NS_BYTES = 255;
const BAD_DB_CHARS = /[/\\. "$*<>:|?\0]/;

/** System collections users may create or write in any database. */
const USER_SYSTEM_COLLECTIONS = new Set(['system.js', 'system.profile', 'system.views']);

export const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

export function isValidDbName(db: string): boolean {
  return db.length > 0 && db.length <= MAX_DB_NAME && !BAD_DB_CHARS.test(db);
}

export function isValidCollectionName(coll: string): boolean {
  if (coll.length === 0 || coll.startsWith('.') || coll.includes('\0')) return false;
  if (coll.includes('$')) return false;
  return true;
}

export function isSystemCollection(coll: string): boolean {
  return coll.startsWith('system.');
}

/** Throws 73 InvalidNamespace unless `db.coll` may be created by a user. */
export function assertCreatableNamespace(db: string, coll: string): void {
  const ns = `${db}.${coll}`;
  if (!isValidDbName(db)) throw commandError(ErrorCodes.InvalidNamespace, `Invalid database name: '${db}'`);
  if (!isValidCollectionName(coll) || Buffer.byteLength(ns) > MAX_NS_BYTES) {
    throw commandError(ErrorCodes.InvalidNamespace, `Invalid namespace specified '${ns}'`);
  }
  if (isSystemCollection(coll) && !USER_SYSTEM_COLLECTIONS.has(coll) && !(db === 'admin' || db === 'config' || db === 'local')) {
    throw commandError(ErrorCodes.InvalidNamespace, `Invalid system namespace: ${ns}`);
  }
}

/** Throws 73 InvalidNamespace for names no command may use (empty, `$`, NUL). */
export function assertValidNamespace(db: string, coll: string): void {
  if (!isValidDbName(db)) throw commandError(ErrorCodes.InvalidNamespace, `Invalid database name: '${db}'`);
  if (!isValidCollectionName(coll)) throw commandError(ErrorCodes.InvalidNamespace, `Invalid namespace specified '${db}.${coll}'`);
}

export function splitNamespace(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  if (dot < 0) return { db: ns, coll: '' };
  return { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}
