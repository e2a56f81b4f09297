// The CatalogReader change streams use (internal.ts), over the live catalog.
import type { Document, UUID } from 'bson';
import type { CatalogReader } from '../internal';
import type { Catalog } from './catalog';

export function catalogReader(catalog: Catalog): CatalogReader {
  return {
    findById(db: string, coll: string, id: unknown): Document | undefined {
      const info = catalog.getCollection(db, coll);
      if (!info || info.virtualOplog) return undefined;
      return info.store.getById(id)?.doc;
    },
    collectionUUID(db: string, coll: string): UUID | undefined {
      return catalog.getCollection(db, coll)?.uuid;
    },
  };
}
