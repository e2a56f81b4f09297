// What the workload knows of the source: its namespaces, the `_id`s it inserted and deleted in
// each, and the indexes it built. The workload is the only writer, so the model is exact; it
// picks targets from it and never needs to read the source back.
import { BSON } from 'mongodb';
import type { SeededRandom } from '../workload';
import type { GeneratedId } from './ids';

export interface IndexModel {
  name: string;
  /** key pattern, partial filter and collation: the server allows one index per signature */
  signature: string;
  ttl: boolean;
}

export interface NamespaceModel {
  db: string;
  coll: string;
  view: boolean;
  /** documents present, by idKey */
  ids: Map<string, GeneratedId>;
  /** documents deleted, which a reinsert may bring back */
  deleted: Map<string, GeneratedId>;
  indexes: Map<string, IndexModel>;
}

/** One string per `_id` value, type included (Int32(1) and Long(1) get different keys). */
export function idKey(value: unknown): string {
  return BSON.EJSON.stringify({ v: value }, { relaxed: false });
}

export class SourceModel {
  readonly namespaces = new Map<string, NamespaceModel>();
  private nameCounter = 0;

  add(db: string, coll: string, view = false): NamespaceModel {
    const ns: NamespaceModel = { db, coll, view, ids: new Map(), deleted: new Map(), indexes: new Map() };
    this.namespaces.set(`${db}.${coll}`, ns);
    return ns;
  }

  get(db: string, coll: string): NamespaceModel | undefined {
    return this.namespaces.get(`${db}.${coll}`);
  }

  remove(ns: NamespaceModel): void {
    this.namespaces.delete(`${ns.db}.${ns.coll}`);
  }

  rename(ns: NamespaceModel, db: string, coll: string): void {
    this.remove(ns);
    const renamed = { ...ns, db, coll };
    this.namespaces.set(`${db}.${coll}`, renamed);
  }

  dropDatabase(db: string): void {
    for (const ns of [...this.namespaces.values()]) if (ns.db === db) this.remove(ns);
  }

  collections(): NamespaceModel[] {
    return [...this.namespaces.values()].filter((ns) => !ns.view);
  }

  databases(): string[] {
    return [...new Set([...this.namespaces.values()].map((ns) => ns.db))].sort();
  }

  /** A collection, or undefined when there is none. */
  pickCollection(random: SeededRandom, filter: (ns: NamespaceModel) => boolean = () => true): NamespaceModel | undefined {
    const candidates = this.collections().filter(filter);
    return candidates.length ? random.pick(candidates) : undefined;
  }

  /** A collection with at least one document, and one of its documents. */
  pickDocument(random: SeededRandom): { ns: NamespaceModel; id: GeneratedId } | undefined {
    const ns = this.pickCollection(random, (candidate) => candidate.ids.size > 0);
    if (!ns) return undefined;
    return { ns, id: random.pick([...ns.ids.values()]) };
  }

  /** A collection name not in use; now and then one that needs quoting in tools. */
  freshName(random: SeededRandom, prefix = 'c'): string {
    const n = ++this.nameCounter;
    const styles = [`${prefix}${n}`, `${prefix}${n}`, `${prefix}-dash-${n}`, `${prefix} space ${n}`, `${prefix}ünï${n}`];
    return random.pick(styles);
  }
}

/** The filter value for an `_id`: the inserted value, or now and then an equal one of another numeric type. */
export function filterValue(random: SeededRandom, id: GeneratedId): unknown {
  if (id.aliases.length > 0 && random.int(2) === 0) return random.pick(id.aliases);
  return id.value;
}
