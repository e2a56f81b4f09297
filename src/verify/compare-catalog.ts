// Compares the catalogs of two clusters: which collections and views exist, their options, their
// indexes and view definitions (the differences themselves: src/sync/verify/catalog-diff.ts).
// Databases and collections the sync never copies (admin, config, local, system.*, sync tools'
// metadata) are left out, as are namespaces the caller's filter excludes.
//
// The catalog is read a page of namespaces at a time, in namespace order (database, then
// collection name): only one database's names and one page of full entries (options and index
// specs, both sides) are held, whatever the number of collections, and a caller can resume after
// the last namespace of a page it has dealt with.
import type { Db, Document, MongoClient } from 'mongodb';
import { isNamespaceNotFound } from '../mongo/server-errors';
import { isNeverSyncedNamespace, isNeverSyncedDatabase } from '../sync/namespace-names';
import { type CatalogDiffOptions, type CatalogEntry, type CatalogMismatch, diffCatalogEntry } from '../sync/verify/catalog-diff';

export type { CatalogDiffOptions, CatalogMismatch, CatalogMismatchKind } from '../sync/verify/catalog-diff';

/** A namespace found on either side, with what it is there. */
export interface CatalogNamespace {
  db: string;
  coll: string;
  /** 'collection', 'view' or 'timeseries' on the source (else on the destination) */
  type: string;
  onSource: boolean;
  onDestination: boolean;
}

export interface CatalogComparison {
  namespaces: CatalogNamespace[];
  mismatches: CatalogMismatch[];
}

export interface CompareCatalogOptions extends CatalogDiffOptions {
  /** which namespaces to compare (default: every namespace the sync would copy) */
  includeNamespace?: (db: string, coll: string) => boolean;
  /** which databases to look into (default: every database the sync would copy); a shortcut, includeNamespace still applies */
  includeDatabase?: (db: string) => boolean;
  signal?: AbortSignal;
}

/** A position in namespace order: every namespace up to and including it is compared. */
export interface CatalogPosition {
  db: string;
  coll: string;
}

export interface CatalogPagesOptions extends CompareCatalogOptions {
  /** resume after this namespace (null: from the start) */
  after?: CatalogPosition | null;
  /** namespaces per page (default 100) */
  pageSize?: number;
  /** listIndexes calls in flight at once on each side (default 8) */
  concurrency?: number;
}

export interface CatalogPage extends CatalogComparison {
  /** the page's last namespace: a caller that has dealt with the page resumes after it */
  last: CatalogPosition;
}

const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_CONCURRENCY = 8;

/** Orders namespaces as the pages come: by database name, then collection name. */
export function compareNamespaces(a: CatalogPosition, b: CatalogPosition): number {
  if (a.db !== b.db) return a.db < b.db ? -1 : 1;
  if (a.coll !== b.coll) return a.coll < b.coll ? -1 : 1;
  return 0;
}

async function databaseNames(client: MongoClient): Promise<string[]> {
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  return (databases as { name: string }[]).map((d) => d.name).filter((name) => !isNeverSyncedDatabase(name));
}

async function collectionNames(db: Db): Promise<string[]> {
  return (await db.listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name);
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

/** The full entries (options, index specs) of the named namespaces of one database, on one side. */
async function entriesOf(db: Db, names: readonly string[], concurrency: number): Promise<Map<string, CatalogEntry>> {
  const infos = await db.listCollections({ name: { $in: [...names] } }, { nameOnly: false }).toArray();
  const entries = await mapConcurrently(infos, concurrency, async (info): Promise<CatalogEntry | null> => {
    const entry: CatalogEntry = { name: info.name, type: String(info.type ?? 'collection'), options: (info as Document).options ?? {} };
    if (entry.type === 'view') return entry;
    try {
      entry.indexes = await db.collection(info.name).listIndexes().toArray();
    } catch (error) {
      // dropped since it was listed: absent on this side
      if (isNamespaceNotFound(error)) return null;
      throw error;
    }
    return entry;
  });
  return new Map(entries.filter((entry): entry is CatalogEntry => entry !== null).map((entry) => [entry.name, entry]));
}

/**
 * Compares the catalogs of two clusters a page of namespaces at a time, in namespace order, from
 * after `options.after`. Each page names its namespaces, their mismatches and its last namespace.
 */
export async function* compareCatalogPages(source: MongoClient, destination: MongoClient, options: CatalogPagesOptions = {}): AsyncGenerator<CatalogPage> {
  const pageSize = Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE);
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const after = options.after ?? null;
  const [sourceDbs, destinationDbs] = await Promise.all([databaseNames(source), databaseNames(destination)]);
  const databases = [...new Set([...sourceDbs, ...destinationDbs])]
    .filter((db) => (after === null || db >= after.db) && (options.includeDatabase?.(db) ?? true))
    .sort();
  for (const dbName of databases) {
    options.signal?.throwIfAborted();
    const include = (coll: string) =>
      !isNeverSyncedNamespace(dbName, coll) &&
      (options.includeNamespace?.(dbName, coll) ?? true) &&
      (after === null || compareNamespaces({ db: dbName, coll }, after) > 0);
    const [onSource, onDestination] = await Promise.all([
      sourceDbs.includes(dbName) ? collectionNames(source.db(dbName)) : [],
      destinationDbs.includes(dbName) ? collectionNames(destination.db(dbName)) : [],
    ]);
    const names = [...new Set([...onSource, ...onDestination])].filter(include).sort();
    for (let start = 0; start < names.length; start += pageSize) {
      options.signal?.throwIfAborted();
      const page = names.slice(start, start + pageSize);
      const [s, d] = await Promise.all([entriesOf(source.db(dbName), page, concurrency), entriesOf(destination.db(dbName), page, concurrency)]);
      const result: CatalogPage = { namespaces: [], mismatches: [], last: { db: dbName, coll: page.at(-1)! } };
      for (const coll of page) {
        const sourceEntry = s.get(coll);
        const destinationEntry = d.get(coll);
        if (!sourceEntry && !destinationEntry) continue; // dropped on both sides since the names were listed
        result.namespaces.push({
          db: dbName,
          coll,
          type: (sourceEntry ?? destinationEntry)!.type,
          onSource: sourceEntry !== undefined,
          onDestination: destinationEntry !== undefined,
        });
        result.mismatches.push(...diffCatalogEntry(dbName, sourceEntry, destinationEntry, options));
      }
      yield result;
    }
  }
}

/** Compares the catalogs of two clusters (every database the sync would copy). */
export async function compareCatalog(source: MongoClient, destination: MongoClient, options: CompareCatalogOptions = {}): Promise<CatalogComparison> {
  const result: CatalogComparison = { namespaces: [], mismatches: [] };
  for await (const page of compareCatalogPages(source, destination, options)) {
    result.namespaces.push(...page.namespaces);
    result.mismatches.push(...page.mismatches);
  }
  return result;
}
