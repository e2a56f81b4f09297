// The catalog: databases, their collections (with UUIDs, creation options, indexes, documents)
// and views.
import { UUID, type Document } from 'bson';
import { CollectionStore } from '../storage/collection-store';
import { collationFor } from '../bson/collation';
import { isPlainDocument, toNumber, trueValue } from '../bson/values';

export const ID_INDEX_SPEC: Readonly<Document> = Object.freeze({ v: 2, key: { _id: 1 }, name: '_id_' });

export interface CollectionInfo {
  kind: 'collection';
  db: string;
  name: string;
  uuid: UUID;
  /** creation options as listCollections shows them */
  options: Document;
  store: CollectionStore;
  /** local.oplog.rs: documents come from the oplog */
  virtualOplog?: boolean;
}

export interface ViewInfo {
  kind: 'view';
  db: string;
  name: string;
  /** {viewOn, pipeline, collation?} */
  options: Document;
}

export type NamespaceInfo = CollectionInfo | ViewInfo;

export function isClustered(info: CollectionInfo): boolean {
  return info.options.clusteredIndex !== undefined && info.options.clusteredIndex !== false;
}

export function idIndexSpec(info: CollectionInfo): Document | undefined {
  if (isClustered(info) || info.virtualOplog) return undefined;
  const collation: unknown = info.options.collation;
  return { ...ID_INDEX_SPEC, key: { _id: 1 }, ...(isPlainDocument(collation) ? { collation } : {}) };
}

export interface CappedLimits {
  sizeBytes: number;
  maxDocs?: number;
}

export function cappedLimits(info: CollectionInfo): CappedLimits | undefined {
  if (!trueValue(info.options.capped)) return undefined;
  const max = toNumber(info.options.max);
  return { sizeBytes: toNumber(info.options.size) ?? 0, maxDocs: max !== undefined && max > 0 ? max : undefined };
}

export function preAndPostImagesEnabled(info: CollectionInfo): boolean {
  const opt: unknown = info.options.changeStreamPreAndPostImages;
  return isPlainDocument(opt) && trueValue(opt.enabled);
}

export class Catalog {
  private readonly dbs = new Map<string, Map<string, NamespaceInfo>>();

  databaseNames(): string[] {
    return [...this.dbs.keys()];
  }

  /** Namespaces of a database in creation order (empty when it does not exist). */
  namespaces(db: string): NamespaceInfo[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  hasDatabase(db: string): boolean {
    return this.dbs.has(db);
  }

  get(db: string, name: string): NamespaceInfo | undefined {
    return this.dbs.get(db)?.get(name);
  }

  getCollection(db: string, name: string): CollectionInfo | undefined {
    const info = this.get(db, name);
    return info?.kind === 'collection' ? info : undefined;
  }

  addCollection(db: string, name: string, options: Document, uuid: UUID = new UUID()): CollectionInfo {
    const info: CollectionInfo = { kind: 'collection', db, name, uuid, options, store: new CollectionStore(`${db}.${name}`, collationFor(options.collation as Document | undefined)) };
    this.namespaceMap(db).set(name, info);
    return info;
  }

  /** A collection that is not (yet) registered: one created inside a transaction. */
  detachedCollection(db: string, name: string, options: Document, uuid: UUID = new UUID()): CollectionInfo {
    return { kind: 'collection', db, name, uuid, options, store: new CollectionStore(`${db}.${name}`, collationFor(options.collation as Document | undefined)) };
  }

  /** Registers a collection built elsewhere (a transaction's new collection, at commit). */
  attachCollection(info: CollectionInfo): void {
    this.namespaceMap(info.db).set(info.name, info);
  }

  addView(db: string, name: string, options: Document): ViewInfo {
    const info: ViewInfo = { kind: 'view', db, name, options };
    this.namespaceMap(db).set(name, info);
    return info;
  }

  /** Re-registers an existing collection under a new name, keeping UUID, options and data. */
  move(info: CollectionInfo, toDb: string, toName: string): CollectionInfo {
    this.remove(info.db, info.name);
    const moved: CollectionInfo = { ...info, db: toDb, name: toName };
    moved.store.ns = `${toDb}.${toName}`;
    this.namespaceMap(toDb).set(toName, moved);
    return moved;
  }

  remove(db: string, name: string): void {
    const m = this.dbs.get(db);
    if (!m) return;
    m.delete(name);
    if (m.size === 0 && !KEPT_DATABASES.has(db)) this.dbs.delete(db);
  }

  dropDatabase(db: string): void {
    if (KEPT_DATABASES.has(db)) this.dbs.set(db, new Map());
    else this.dbs.delete(db);
  }

  private namespaceMap(db: string): Map<string, NamespaceInfo> {
    let m = this.dbs.get(db);
    if (!m) {
      m = new Map();
      this.dbs.set(db, m);
    }
    return m;
  }
}

/** Databases a replica set always has, even when empty. */
const KEPT_DATABASES = new Set(['admin', 'config', 'local']);
