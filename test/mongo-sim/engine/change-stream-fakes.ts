// Test doubles for the change stream unit tests: an oplog whose timestamps the test controls and a
// catalog backed by plain maps. Only the unit tests use them.
import { EJSON, Long, Timestamp, UUID, type Document } from 'bson';
import type { CatalogReader, OplogEntry, OplogReader } from './internal';

export type EntryInput = Omit<OplogEntry, 'ts' | 't' | 'v' | 'wall' | 'sizeBytes'>;

const BASE_SECONDS = 1_700_000_000;

export class FakeOplog implements OplogReader {
  entries: OplogEntry[] = [];
  /** number of waitForNewer calls, to prove that waiting does not spin */
  waitCalls = 0;
  private tick = 0;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor() {
    this.noop({ msg: 'initiating set' });
  }

  /** Appends an entry at the next tick (Timestamp(BASE + tick / 4, tick % 4 + 1)). */
  append(input: EntryInput): OplogEntry {
    this.tick++;
    const ts = new Timestamp({ t: BASE_SECONDS + Math.floor(this.tick / 4), i: (this.tick % 4) + 1 });
    const entry: OplogEntry = {
      ...input,
      ts,
      t: Long.fromNumber(1),
      v: Long.fromNumber(2),
      wall: new Date(ts.t * 1000 + ts.i),
      sizeBytes: 100,
    };
    this.entries.push(entry);
    for (const wake of [...this.waiters]) wake();
    return entry;
  }

  noop(o: Document = { msg: 'periodic noop' }): OplogEntry {
    return this.append({ op: 'n', ns: '', o });
  }

  insert(ns: string, ui: UUID, doc: Document, extra: Partial<EntryInput> = {}): OplogEntry {
    return this.append({ op: 'i', ns, ui, o: doc, o2: { _id: doc._id }, ...extra });
  }

  update(ns: string, ui: UUID, id: unknown, diff: Document, extra: Partial<EntryInput> = {}): OplogEntry {
    return this.append({ op: 'u', ns, ui, o: { $v: 2, diff }, o2: { _id: id }, ...extra });
  }

  replace(ns: string, ui: UUID, doc: Document, extra: Partial<EntryInput> = {}): OplogEntry {
    return this.append({ op: 'u', ns, ui, o: doc, o2: { _id: doc._id }, ...extra });
  }

  delete(ns: string, ui: UUID, id: unknown, extra: Partial<EntryInput> = {}): OplogEntry {
    return this.append({ op: 'd', ns, ui, o: { _id: id }, ...extra });
  }

  command(db: string, o: Document, ui?: UUID, o2?: Document): OplogEntry {
    const input: EntryInput = { op: 'c', ns: `${db}.$cmd`, o };
    if (ui) input.ui = ui;
    if (o2) input.o2 = o2;
    return this.append(input);
  }

  /** Removes every entry older than `ts` (the capped oplog rolling over). */
  truncateBefore(ts: Timestamp): void {
    this.entries = this.entries.filter((e) => e.ts.compare(ts) >= 0);
  }

  readFrom(from: Timestamp): OplogEntry[] {
    return this.entries.filter((e) => e.ts.compare(from) >= 0);
  }

  oldest(): Timestamp {
    return this.entries[0].ts;
  }

  latest(): Timestamp {
    return this.entries[this.entries.length - 1].ts;
  }

  /** Like the engine's oplog at shutdown: every wait returns at once from now on. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  waitForNewer(after: Timestamp, ms: number, signal: AbortSignal): Promise<void> {
    this.waitCalls++;
    if (this.closed || this.latest().compare(after) > 0 || signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(onAppend);
        resolve();
      };
      const onAppend = (): void => {
        if (this.closed || this.latest().compare(after) > 0) done();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(onAppend);
    });
  }
}

export class FakeCatalog implements CatalogReader {
  private readonly collections = new Map<string, { uuid: UUID; docs: Map<string, Document> }>();

  create(db: string, coll: string, uuid: UUID = new UUID()): UUID {
    this.collections.set(`${db}.${coll}`, { uuid, docs: new Map() });
    return uuid;
  }

  drop(db: string, coll: string): void {
    this.collections.delete(`${db}.${coll}`);
  }

  put(db: string, coll: string, doc: Document): void {
    this.collections.get(`${db}.${coll}`)?.docs.set(EJSON.stringify(doc._id), doc);
  }

  remove(db: string, coll: string, id: unknown): void {
    this.collections.get(`${db}.${coll}`)?.docs.delete(EJSON.stringify(id));
  }

  findById(db: string, coll: string, id: unknown): Document | undefined {
    return this.collections.get(`${db}.${coll}`)?.docs.get(EJSON.stringify(id));
  }

  collectionUUID(db: string, coll: string): UUID | undefined {
    return this.collections.get(`${db}.${coll}`)?.uuid;
  }
}
