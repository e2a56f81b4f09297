// Compares the catalogs of two clusters: which collections and views exist, their options, their
// indexes and view definitions (the differences themselves: src/sync/verify/catalog-diff.ts).
// Databases and collections the sync never copies (admin, config, local, system.*, sync tools'
// metadata) are left out, as are namespaces the caller's filter excludes.
import type { Db, Document, MongoClient } from 'mongodb';
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
  signal?: AbortSignal;
}

async function databaseNames(client: MongoClient): Promise<string[]> {
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  return (databases as { name: string }[]).map((d) => d.name).filter((name) => !isNeverSyncedDatabase(name));
}

async function entriesOf(db: Db, include: (coll: string) => boolean): Promise<Map<string, CatalogEntry>> {
  const out = new Map<string, CatalogEntry>();
  for await (const info of db.listCollections({}, { nameOnly: false })) {
    if (!include(info.name)) continue;
    const entry: CatalogEntry = { name: info.name, type: String(info.type ?? 'collection'), options: (info as Document).options ?? {} };
    if (entry.type !== 'view') entry.indexes = await db.collection(info.name).listIndexes().toArray();
    out.set(info.name, entry);
  }
  return out;
}

/** Compares one database's catalog on both sides. */
export async function compareDatabaseCatalog(source: Db, destination: Db, options: CompareCatalogOptions = {}): Promise<CatalogComparison> {
  const dbName = source.databaseName;
  const include = (coll: string) => !isNeverSyncedNamespace(dbName, coll) && (options.includeNamespace?.(dbName, coll) ?? true);
  const [onSource, onDestination] = await Promise.all([entriesOf(source, include), entriesOf(destination, include)]);
  const names = [...new Set([...onSource.keys(), ...onDestination.keys()])].sort();
  const result: CatalogComparison = { namespaces: [], mismatches: [] };
  for (const coll of names) {
    const s = onSource.get(coll);
    const d = onDestination.get(coll);
    result.namespaces.push({ db: dbName, coll, type: (s ?? d)!.type, onSource: s !== undefined, onDestination: d !== undefined });
    result.mismatches.push(...diffCatalogEntry(dbName, s, d, options));
  }
  return result;
}

/** Compares the catalogs of two clusters (every database the sync would copy). */
export async function compareCatalog(source: MongoClient, destination: MongoClient, options: CompareCatalogOptions = {}): Promise<CatalogComparison> {
  const [sourceDbs, destinationDbs] = await Promise.all([databaseNames(source), databaseNames(destination)]);
  const result: CatalogComparison = { namespaces: [], mismatches: [] };
  for (const db of [...new Set([...sourceDbs, ...destinationDbs])].sort()) {
    options.signal?.throwIfAborted();
    const one = await compareDatabaseCatalog(source.db(db), destination.db(db), options);
    result.namespaces.push(...one.namespaces);
    result.mismatches.push(...one.mismatches);
  }
  return result;
}
