// Compares two clusters the way a user would check a migration: same databases and
// collections, same options, same indexes, and the same documents byte for byte (BSON types
// and field order included).
import { BSON, type Document, type MongoClient } from 'mongodb';

export interface CompareOptions {
  /** limit to these namespaces ('db.coll'); default: every user namespace of the source */
  namespaces?: (db: string, coll: string) => boolean;
  /** compare index options as built (default) or ignore index differences */
  indexes?: boolean;
}

const SYSTEM_DATABASES = new Set(['admin', 'config', 'local']);

/** Every user namespace (collections and views) of a cluster, with its listCollections entry. */
export async function userNamespaces(client: MongoClient): Promise<Map<string, Document>> {
  const result = new Map<string, Document>();
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  for (const { name } of databases as { name: string }[]) {
    if (SYSTEM_DATABASES.has(name) || name.startsWith('__')) continue;
    for (const info of await client.db(name).listCollections().toArray()) {
      if (info.name.startsWith('system.')) continue;
      result.set(`${name}.${info.name}`, info);
    }
  }
  return result;
}

/** Top-level keys sorted (the server's listing order is not part of the comparison); nested order kept. */
export function sortedKeys(doc: Document): Document {
  return Object.fromEntries(Object.entries(doc).sort(([a], [b]) => a.localeCompare(b)));
}

export function normalizeIndex(spec: Document): Document {
  const { ns: _ns, ...rest } = spec;
  return sortedKeys(rest);
}

/** The documents of a collection as raw BSON, in `_id` order. */
export async function rawDocuments(client: MongoClient, db: string, coll: string): Promise<Buffer[]> {
  const docs = await client
    .db(db)
    .collection(coll)
    .find({}, { sort: { _id: 1 }, raw: true })
    .toArray();
  return docs as unknown as Buffer[];
}

/** Differences between the source and the destination, as readable lines; empty when equal. */
export async function compareClusters(source: MongoClient, destination: MongoClient, options: CompareOptions = {}): Promise<string[]> {
  const keep = options.namespaces ?? (() => true);
  const differences: string[] = [];
  const sourceNamespaces = await userNamespaces(source);
  const destinationNamespaces = await userNamespaces(destination);
  for (const [ns] of sourceNamespaces) {
    const [db, coll] = splitNamespace(ns);
    if (keep(db, coll) && !destinationNamespaces.has(ns)) differences.push(`missing on destination: ${ns}`);
  }
  for (const [ns] of destinationNamespaces) {
    const [db, coll] = splitNamespace(ns);
    if (!keep(db, coll) || !sourceNamespaces.has(ns)) differences.push(`unexpected on destination: ${ns}`);
  }
  for (const [ns, sourceInfo] of sourceNamespaces) {
    const [db, coll] = splitNamespace(ns);
    const destinationInfo = destinationNamespaces.get(ns);
    if (!keep(db, coll) || !destinationInfo) continue;
    if (sourceInfo.type !== destinationInfo.type) {
      differences.push(`${ns}: type ${sourceInfo.type} vs ${destinationInfo.type}`);
      continue;
    }
    const sourceOptions = JSON.stringify(sortedKeys(sourceInfo.options ?? {}));
    const destinationOptions = JSON.stringify(sortedKeys(destinationInfo.options ?? {}));
    if (sourceOptions !== destinationOptions) differences.push(`${ns}: options ${sourceOptions} vs ${destinationOptions}`);
    if (sourceInfo.type === 'view') continue;
    if (options.indexes !== false) {
      const sourceIndexes = (await source.db(db).collection(coll).listIndexes().toArray()).map(normalizeIndex);
      const destinationIndexes = (await destination.db(db).collection(coll).listIndexes().toArray()).map(normalizeIndex);
      const byName = (specs: Document[]) => JSON.stringify([...specs].sort((a, b) => String(a.name).localeCompare(String(b.name))));
      if (byName(sourceIndexes) !== byName(destinationIndexes)) {
        differences.push(`${ns}: indexes ${byName(sourceIndexes)} vs ${byName(destinationIndexes)}`);
      }
    }
    const sourceDocs = await rawDocuments(source, db, coll);
    const destinationDocs = await rawDocuments(destination, db, coll);
    if (sourceDocs.length !== destinationDocs.length) {
      differences.push(`${ns}: ${sourceDocs.length} documents vs ${destinationDocs.length}`);
      continue;
    }
    const mismatched = sourceDocs.findIndex((doc, i) => !doc.equals(destinationDocs[i]!));
    if (mismatched >= 0) {
      const show = (raw: Buffer): string => BSON.EJSON.stringify(BSON.deserialize(raw, { promoteValues: false }), { relaxed: false });
      differences.push(
        `${ns}: document #${mismatched} (in _id order) differs:\n  source      ${show(sourceDocs[mismatched]!)}\n  destination ${show(destinationDocs[mismatched]!)}`,
      );
    }
  }
  return differences;
}

export function splitNamespace(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}
