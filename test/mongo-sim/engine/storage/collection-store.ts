// The documents of one collection: records keyed by canonical _id in insertion (natural) order,
// the ordered _id index, and the unique-key maps of unique / prepareUnique indexes.
import type { Document } from 'bson';
import { canonicalKey } from '../bson/keys';
import type { Collation } from '../bson/collation';
import { toQueryView } from '../bson/typed-view';
import { duplicateKey } from '../errors';
import { allFieldsMissing, documentIndexKeys, keyValueDocument, type IndexKey } from './index-keys';
import { SortedIdIndex, type DocRecord } from './id-index';

export interface IndexDescriptor {
  /** the spec as listIndexes shows it: {v: 2, key, name, ...options as given} */
  spec: Document;
  name: string;
  keyPattern: Document;
  fields: string[];
  unique: boolean;
  prepareUnique: boolean;
  sparse: boolean;
  hidden: boolean;
  expireAfterSeconds?: number;
  /** compiled partialFilterExpression, tested against the document's query view */
  partial?: (view: Document) => boolean;
  /** the index's collation (strings in its keys compare under it); undefined: simple */
  collation?: Collation;
  /** for unique and prepareUnique indexes: index key -> the record holding it */
  keys?: Map<string, DocRecord>;
}

export function recordView(rec: DocRecord): Document {
  if (rec.view === undefined) rec.view = toQueryView(rec.doc);
  return rec.view;
}

export class CollectionStore {
  readonly records = new Map<string, DocRecord>();
  readonly idIndex = new SortedIdIndex();
  /** secondary indexes (the _id index is implicit unless the collection is clustered) */
  readonly indexes: IndexDescriptor[] = [];
  dataSize = 0;

  /** `keyCollation`: the collection's default collation, which the _id index compares under */
  constructor(
    public ns: string,
    readonly keyCollation?: Collation,
  ) {}

  /** The _id index key of an _id value. */
  keyOf(id: unknown): string {
    return canonicalKey(id, this.keyCollation);
  }

  get count(): number {
    return this.records.size;
  }

  getById(id: unknown): DocRecord | undefined {
    return this.records.get(this.keyOf(id));
  }

  /** Natural order: insertion order. */
  natural(): IterableIterator<DocRecord> {
    return this.records.values();
  }

  private indexesEnforcingUniqueness(): IndexDescriptor[] {
    return this.indexes.filter((ix) => ix.keys !== undefined);
  }

  private indexedKeys(ix: IndexDescriptor, doc: Document, view: () => Document): IndexKey[] {
    if (ix.sparse && allFieldsMissing(doc, ix.fields)) return [];
    if (ix.partial && !ix.partial(view())) return [];
    return documentIndexKeys(doc, ix.fields, ix.collation);
  }

  /** Throws E11000 if `doc` would collide with another record in a unique index (171 for parallel arrays). */
  checkUnique(doc: Document, self: DocRecord | undefined, view: () => Document): void {
    for (const ix of this.indexes) {
      // compound keys are computed even for non-unique indexes: parallel arrays are refused (171)
      if (ix.keys === undefined && ix.fields.length < 2) continue;
      const keys = this.indexedKeys(ix, doc, view);
      if (ix.keys === undefined) continue;
      for (const k of keys) {
        const holder = ix.keys.get(k.key);
        if (holder !== undefined && holder !== self) {
          throw duplicateKey(this.ns, ix.name, ix.keyPattern, keyValueDocument(ix.fields, k.values));
        }
      }
    }
  }

  /** The keys `doc` would have in each unique (or prepareUnique) index, by index name. */
  uniqueKeysOf(doc: Document): Array<{ index: string; key: string }> {
    const out: Array<{ index: string; key: string }> = [];
    let view: Document | undefined;
    for (const ix of this.indexesEnforcingUniqueness()) {
      for (const k of this.indexedKeys(ix, doc, () => (view ??= toQueryView(doc)))) out.push({ index: ix.name, key: k.key });
    }
    return out;
  }

  /** The record holding `key` in the unique index named `index`, if any. */
  uniqueKeyHolder(index: string, key: string): DocRecord | undefined {
    return this.indexes.find((ix) => ix.name === index)?.keys?.get(key);
  }

  private addKeys(rec: DocRecord): void {
    for (const ix of this.indexesEnforcingUniqueness()) {
      for (const k of this.indexedKeys(ix, rec.doc, () => recordView(rec))) ix.keys!.set(k.key, rec);
    }
  }

  private removeKeys(rec: DocRecord): void {
    for (const ix of this.indexesEnforcingUniqueness()) {
      for (const k of this.indexedKeys(ix, rec.doc, () => recordView(rec))) {
        if (ix.keys!.get(k.key) === rec) ix.keys!.delete(k.key);
      }
    }
  }

  /** Throws E11000 on a duplicate _id or unique key; otherwise stores the document. */
  insert(doc: Document, size: number): DocRecord {
    const id = doc._id;
    const key = this.keyOf(id);
    if (this.records.has(key)) {
      throw duplicateKey(this.ns, '_id_', { _id: 1 }, { _id: id });
    }
    const rec: DocRecord = { key, id, doc, size, removed: false };
    if (this.indexes.length > 0) {
      this.checkUnique(doc, undefined, () => recordView(rec));
      this.addKeys(rec);
    }
    this.records.set(key, rec);
    this.idIndex.add(rec);
    this.dataSize += size;
    return rec;
  }

  /** Replaces the document of a record (same _id); throws E11000 on a unique key collision. */
  replace(rec: DocRecord, doc: Document, size: number): void {
    if (this.indexes.length > 0) {
      let newView: Document | undefined;
      this.checkUnique(doc, rec, () => (newView ??= toQueryView(doc)));
      this.removeKeys(rec);
      rec.doc = doc;
      rec.view = newView;
      this.addKeys(rec);
    } else {
      rec.doc = doc;
      rec.view = undefined;
    }
    this.dataSize += size - rec.size;
    rec.size = size;
  }

  /**
   * Replaces or removes several records at once, as one commit: every old key leaves the unique
   * indexes before any new one is checked, so documents may swap unique values. Throws E11000 on
   * a collision with a record outside `changes`; the store is then rebuilt to `changes`' old state.
   */
  applyChanges(changes: Array<{ key: string; current?: DocRecord; final?: { doc: Document; size: number } }>): void {
    const saved = changes.map((c) => ({ c, doc: c.current?.doc, size: c.current?.size }));
    for (const c of changes) if (c.current && this.indexes.length > 0) this.removeKeys(c.current);
    try {
      for (const c of changes) {
        if (c.final && c.current) {
          const rec = c.current;
          if (this.indexes.length > 0) this.checkUnique(c.final.doc, rec, () => toQueryView(c.final!.doc));
          rec.doc = c.final.doc;
          rec.view = undefined;
          this.dataSize += c.final.size - rec.size;
          rec.size = c.final.size;
          if (this.indexes.length > 0) this.addKeys(rec);
        } else if (c.final) {
          this.insert(c.final.doc, c.final.size);
        } else if (c.current) {
          this.records.delete(c.current.key);
          c.current.removed = true;
          this.idIndex.noteRemoved();
          this.dataSize -= c.current.size;
        }
      }
    } catch (e) {
      for (const { c, doc, size } of saved) {
        const now = this.records.get(c.key);
        if (c.current && doc !== undefined && size !== undefined) {
          if (now !== c.current) {
            if (now) this.remove(now);
            c.current.removed = false;
            this.records.set(c.key, c.current);
            this.idIndex.add(c.current);
            this.dataSize += size;
          } else this.dataSize += size - c.current.size;
          c.current.doc = doc;
          c.current.size = size;
          c.current.view = undefined;
        } else if (now && !c.current) this.remove(now);
      }
      for (const ix of this.indexesEnforcingUniqueness()) this.buildKeys(ix);
      throw e;
    }
  }

  remove(rec: DocRecord): void {
    if (rec.removed) return;
    if (this.indexes.length > 0) this.removeKeys(rec);
    this.records.delete(rec.key);
    rec.removed = true;
    this.idIndex.noteRemoved();
    this.dataSize -= rec.size;
  }

  clear(): void {
    this.records.clear();
    this.idIndex.clear();
    for (const ix of this.indexes) ix.keys?.clear();
    this.dataSize = 0;
  }

  /**
   * Builds the unique-key map of an index from the current documents; throws E11000 on the first
   * duplicate (the index is then left without a map).
   */
  buildKeys(ix: IndexDescriptor): void {
    const keys = new Map<string, DocRecord>();
    for (const rec of this.records.values()) {
      for (const k of this.indexedKeys(ix, rec.doc, () => recordView(rec))) {
        if (keys.has(k.key) && keys.get(k.key) !== rec) {
          throw duplicateKey(this.ns, ix.name, ix.keyPattern, keyValueDocument(ix.fields, k.values));
        }
        keys.set(k.key, rec);
      }
    }
    ix.keys = keys;
  }

  /**
   * An independent copy (records, `_id` index, index descriptors with their own unique-key maps)
   * sharing the immutable documents: the private store of a transaction or a snapshot read.
   */
  clone(): CollectionStore {
    const copy = new CollectionStore(this.ns, this.keyCollation);
    const byOriginal = new Map<DocRecord, DocRecord>();
    for (const rec of this.records.values()) {
      const dup: DocRecord = { key: rec.key, id: rec.id, doc: rec.doc, view: rec.view, size: rec.size, removed: false };
      byOriginal.set(rec, dup);
      copy.records.set(dup.key, dup);
      copy.idIndex.add(dup);
    }
    for (const ix of this.indexes) {
      const keys = ix.keys ? new Map([...ix.keys].map(([k, rec]) => [k, byOriginal.get(rec)!] as const)) : undefined;
      copy.indexes.push({ ...ix, keys });
    }
    copy.dataSize = this.dataSize;
    return copy;
  }

  /** Validates that every document can be indexed (e.g. no parallel arrays) without storing keys. */
  validateIndexable(ix: IndexDescriptor): void {
    for (const rec of this.records.values()) this.indexedKeys(ix, rec.doc, () => recordView(rec));
  }
}
