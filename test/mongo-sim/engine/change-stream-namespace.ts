// Which namespaces a stream watches (invalidate events, change_stream_filter_helpers):
// a collection stream its collection; a database stream every collection of its database but the
// system.* ones; a cluster stream every such collection outside admin, config and local.
import type { StreamLevel } from './change-stream-spec';

export interface StreamScope {
  level: StreamLevel;
  db: string;
  coll?: string;
}

const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

export function splitNamespace(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  return dot < 0 ? { db: ns, coll: '' } : { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}

function isHiddenCollection(coll: string): boolean {
  return coll.startsWith('system.') || coll.startsWith('$');
}

/** Does the stream watch this database's command namespace (`db.$cmd`)? */
export function watchesDatabase(scope: StreamScope, db: string): boolean {
  return scope.level === 'cluster' ? !INTERNAL_DATABASES.has(db) : db === scope.db;
}

/** Does the stream report events of this collection? */
export function watchesCollection(scope: StreamScope, db: string, coll: string): boolean {
  if (!watchesDatabase(scope, db)) return false;
  return scope.level === 'collection' ? coll === scope.coll : !isHiddenCollection(coll);
}

export function watchesNamespace(scope: StreamScope, ns: string): boolean {
  const { db, coll } = splitNamespace(ns);
  return watchesCollection(scope, db, coll);
}
