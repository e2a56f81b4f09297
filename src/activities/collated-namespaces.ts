// Which destination collections have a non-simple default collation. Under such a collation
// two _id strings that differ may name one document, so the apply queue serializes their keys
// (apply-batching.ts). Looked up once per namespace and cached; the cache is forgotten after
// DDL, which can create, drop or rename collections. Only namespaces whose keys hold strings
// are ever looked up.
import type { Document, MongoClient } from 'mongodb';
import { hasNonSimpleCollation } from '../sync/apply-batching';
import type { EventNamespace } from '../sync/event-translation';

export class CollatedNamespaces {
  private readonly known = new Map<string, boolean>();

  constructor(private readonly destination: MongoClient) {}

  /** The 'db.coll' names among `namespaces` whose collection has a non-simple default collation. */
  async among(namespaces: Iterable<EventNamespace>): Promise<Set<string>> {
    const unknown = new Map<string, Set<string>>();
    for (const { db, coll } of namespaces) {
      if (this.known.has(`${db}.${coll}`)) continue;
      let colls = unknown.get(db);
      if (!colls) unknown.set(db, (colls = new Set()));
      colls.add(coll);
    }
    for (const [db, colls] of unknown) {
      const infos = await this.destination
        .db(db)
        .listCollections({ name: { $in: [...colls] } }, { nameOnly: false })
        .toArray();
      // A collection that does not exist yet is created by an upsert, with the simple collation.
      for (const coll of colls) this.known.set(`${db}.${coll}`, false);
      for (const info of infos) this.known.set(`${db}.${info.name}`, hasNonSimpleCollation(((info as Document).options ?? {}) as Document));
    }
    const collated = new Set<string>();
    for (const { db, coll } of namespaces) if (this.known.get(`${db}.${coll}`)) collated.add(`${db}.${coll}`);
    return collated;
  }

  forget(): void {
    this.known.clear();
  }
}
