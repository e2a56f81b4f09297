// Namespace filters (https://www.mongodb.com/docs/cluster-to-cluster-sync/current/reference/collection-level-filtering/) compiled into a matcher.
// Workflow-safe: imports only pure files.
//
// Rules:
// - no filters: every namespace except the never-synced ones;
// - include only: namespaces matching some include filter;
// - exclude only: everything except namespaces matching some exclude filter;
// - both: include matches minus exclude matches;
// - never synced, whatever the filters say: admin/config/local, system.* collections,
//   mongosync's internal databases and c2c-sync's own metadata database (namespace-names.ts).
// A filter matches (db, coll) when its database part matches db (exact `database`, or
// `databaseRegex` searched anywhere in the name like $regex) and its collection part matches
// coll (no collection part = every collection, including ones created later; `collections` =
// exactly those names; `collectionsRegex` = regex search).
import { isNeverSyncedDatabase, isNeverSyncedNamespace } from './namespace-names';
import { toJsRegExp, translatePcreRegex, type TranslatedRegex } from './pcre-regex';
import type { NamespaceFilterSpec, RegexSpec, StartOptions } from './start-options';

export interface Namespace {
  db: string;
  coll: string;
}

export type NamePart =
  | { kind: 'name'; name: string }
  | { kind: 'regex'; regex: TranslatedRegex; test: (name: string) => boolean };

export type CollectionPart =
  | { kind: 'all' }
  | { kind: 'names'; names: readonly string[] }
  | { kind: 'regex'; regex: TranslatedRegex; test: (name: string) => boolean };

/** One filter document, compiled. The translated regexes are also usable server-side. */
export interface CompiledFilter {
  database: NamePart;
  collections: CollectionPart;
}

/**
 * What to do with a rename event under the filter:
 * - 'ignore': neither name is synced;
 * - 'rename': rename on the destination as well;
 * - 'copyIn': a collection that was not synced arrives under an included name (a rename from
 *   outside into a wholly included database); the destination must receive its documents,
 *   indexes and options as if it had just been created and filled.
 */
export type RenameDecision = { ok: true; action: 'ignore' | 'rename' | 'copyIn' } | { ok: false; error: string };

export interface NamespaceMatcher {
  /** true when at least one include or exclude filter was given */
  readonly hasFilter: boolean;
  readonly include: readonly CompiledFilter[];
  readonly exclude: readonly CompiledFilter[];
  isNamespaceIncluded(db: string, coll: string): boolean;
  /** Could some collection of `db` be included? (Conservative: may say true when none can.) */
  isDatabaseIncluded(db: string): boolean;
  /** Is every collection of `db`, including ones created later, included? */
  isDatabaseFullyIncluded(db: string): boolean;
  checkRenameAllowed(from: Namespace, to: Namespace): RenameDecision;
}

function compileRegex(spec: RegexSpec, where: string): { regex: TranslatedRegex; test: (name: string) => boolean } {
  const translated = translatePcreRegex(spec.pattern, spec.options);
  if (!translated.ok) throw new Error(`${where}: ${translated.error}`);
  const re = toJsRegExp(translated.regex);
  return { regex: translated.regex, test: (name) => re.test(name) };
}

export function compileFilter(spec: NamespaceFilterSpec, where = 'filter'): CompiledFilter {
  let database: NamePart;
  if (spec.database !== undefined) database = { kind: 'name', name: spec.database };
  else if (spec.databaseRegex) database = { kind: 'regex', ...compileRegex(spec.databaseRegex, `${where}.databaseRegex`) };
  else throw new Error(`${where} has neither 'database' nor 'databaseRegex'`);

  let collections: CollectionPart = { kind: 'all' };
  if (spec.collections !== undefined) collections = { kind: 'names', names: [...spec.collections] };
  else if (spec.collectionsRegex) {
    collections = { kind: 'regex', ...compileRegex(spec.collectionsRegex, `${where}.collectionsRegex`) };
  }
  return { database, collections };
}

function databaseMatches(part: NamePart, db: string): boolean {
  return part.kind === 'name' ? part.name === db : part.test(db);
}

function collectionMatches(part: CollectionPart, coll: string): boolean {
  switch (part.kind) {
    case 'all':
      return true;
    case 'names':
      return part.names.includes(coll);
    case 'regex':
      return part.test(coll);
  }
}

export function filterMatches(filter: CompiledFilter, db: string, coll: string): boolean {
  return databaseMatches(filter.database, db) && collectionMatches(filter.collections, coll);
}

/** Compiles validated start options' filters. Throws on an invalid filter. */
export function compileNamespaceFilter(
  options: Pick<StartOptions, 'includeNamespaces' | 'excludeNamespaces'>,
): NamespaceMatcher {
  const include = options.includeNamespaces.map((f, i) => compileFilter(f, `includeNamespaces[${i}]`));
  const exclude = options.excludeNamespaces.map((f, i) => compileFilter(f, `excludeNamespaces[${i}]`));

  const isNamespaceIncluded = (db: string, coll: string): boolean => {
    if (isNeverSyncedNamespace(db, coll)) return false;
    if (include.length > 0 && !include.some((f) => filterMatches(f, db, coll))) return false;
    return !exclude.some((f) => filterMatches(f, db, coll));
  };

  const isDatabaseIncluded = (db: string): boolean => {
    if (isNeverSyncedDatabase(db)) return false;
    if (include.length > 0 && !include.some((f) => databaseMatches(f.database, db))) return false;
    return !exclude.some((f) => f.collections.kind === 'all' && databaseMatches(f.database, db));
  };

  const isDatabaseFullyIncluded = (db: string): boolean => {
    if (isNeverSyncedDatabase(db)) return false;
    if (include.length > 0 && !include.some((f) => f.collections.kind === 'all' && databaseMatches(f.database, db))) {
      return false;
    }
    return !exclude.some((f) => databaseMatches(f.database, db));
  };

  const checkRenameAllowed = (from: Namespace, to: Namespace): RenameDecision => {
    const fromIncluded = isNamespaceIncluded(from.db, from.coll);
    const toIncluded = isNamespaceIncluded(to.db, to.coll);
    const fromName = `${from.db}.${from.coll}`;
    const toName = `${to.db}.${to.coll}`;
    if (!fromIncluded && !toIncluded) return { ok: true, action: 'ignore' };
    if (!toIncluded) {
      return { ok: false, error: `renaming the synced collection '${fromName}' to '${toName}', which the namespace filter excludes, is not supported` };
    }
    if (from.db !== to.db && !isDatabaseFullyIncluded(to.db)) {
      return {
        ok: false,
        error: `renaming '${fromName}' to '${toName}' across databases requires the whole database '${to.db}' to be included by the namespace filter`,
      };
    }
    if (fromIncluded) return { ok: true, action: 'rename' };
    if (from.db === to.db) {
      return {
        ok: false,
        error: `renaming '${fromName}' to '${toName}' within a partly included database requires both names to be included by the namespace filter`,
      };
    }
    return { ok: true, action: 'copyIn' };
  };

  return {
    hasFilter: include.length > 0 || exclude.length > 0,
    include,
    exclude,
    isNamespaceIncluded,
    isDatabaseIncluded,
    isDatabaseFullyIncluded,
    checkRenameAllowed,
  };
}
