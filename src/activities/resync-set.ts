// Documents whose destination copy may hold the right values in the wrong field order.
//
// Events are idempotent, so applying one to a later state of its document (during the copy
// drain, when the copy already read a newer version; in a retried attempt after a crash; in a
// conflict fallback or a recopy, which read the source as it is now) still converges in values.
// It can reorder fields, though: replaying "unset f" then "set f" on a document that already
// has f again moves f to the end. The writer records such documents here, on the destination,
// and at commit, once the source is quiet and every event is applied, each is read from the
// source and replaced, which makes it exact.
import { type AnyBulkWriteOperation, BSON, type Document, type MongoClient } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { keyValueIdentity } from '../sync/key-identity';
import { bsonSize } from '../sync/document-size';
import { C2C_METADATA_DB } from '../sync/namespace-names';
import type { EventNamespace } from '../sync/event-translation';
import { CollatedNamespaces } from './collated-namespaces';
import { forEachConcurrently } from './concurrently';
import { encodeId } from './copy-partition';
import { documentsAfterId } from './id-walk';
import { bulkReplace } from './id-type-change';
import { fitted } from './oversize-writes';

const COLLECTION = 'resync';
const BATCH = 500;
/** Source documents held in memory for one write, at most (one larger document is a batch alone). */
const BATCH_BYTES = 32 * 1024 * 1024;

interface ResyncEntry {
  _id: { db: string; coll: string; id?: unknown; all?: true };
}

function entries(destination: MongoClient) {
  return destination.db(C2C_METADATA_DB).collection<ResyncEntry>(COLLECTION);
}

/** Records documents (by _id) of `ns` for the commit-time resync; idempotent. */
export async function recordForResync(destination: MongoClient, ns: EventNamespace, ids: unknown[]): Promise<void> {
  if (ids.length === 0) return;
  await entries(destination).bulkWrite(
    ids.map((id) => ({ replaceOne: { filter: { _id: { db: ns.db, coll: ns.coll, id } }, replacement: {}, upsert: true } })),
    { ordered: false },
  );
}

/** Records a whole collection (after a recopy) for the commit-time resync. */
export async function recordCollectionForResync(destination: MongoClient, ns: EventNamespace): Promise<void> {
  await entries(destination).replaceOne({ _id: { db: ns.db, coll: ns.coll, all: true } }, {}, { upsert: true });
}

/** Forgets every recorded document: a new sync starts with an empty set. */
export async function clearResyncSet(destination: MongoClient): Promise<void> {
  await destination.db(C2C_METADATA_DB).dropDatabase();
}

/** Writes source documents over the destination's copies, in batches bounded by count and bytes. */
class ReplaceBatch {
  private docs: Document[] = [];
  private bytes = 0;

  constructor(
    private readonly destination: MongoClient,
    private readonly ns: EventNamespace,
  ) {}

  /** Adds a document; true when the batch is full and should be flushed. */
  add(doc: Document): boolean {
    this.docs.push(doc);
    this.bytes += bsonSize(doc);
    return this.docs.length >= BATCH || this.bytes >= BATCH_BYTES;
  }

  /** Writes the batch; returns the _ids written. */
  async flush(): Promise<unknown[]> {
    if (this.docs.length === 0) return [];
    const operations: AnyBulkWriteOperation<Document>[] = [];
    for (const doc of this.docs) {
      operations.push(await fitted(this.destination, this.ns, { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }));
    }
    await bulkReplace(this.destination.db(this.ns.db).collection(this.ns.coll), operations);
    const ids = this.docs.map((doc) => doc._id);
    this.docs = [];
    this.bytes = 0;
    return ids;
  }
}

/**
 * Where a commit-time resync stands; heartbeated, and a retried attempt resumes from it. Entries
 * up to `after` are done and forgotten already.
 */
export interface ResyncProgress {
  /** the last entry done (canonical EJSON of its _id); null before the first */
  after: string | null;
  /** documents resynced so far */
  done: number;
  /** a whole collection being resynced, and the last _id written to it */
  whole: { db: string; coll: string; after: string | null } | null;
}

export interface ResyncOptions {
  /** where an earlier attempt stopped */
  resumeFrom?: ResyncProgress;
  /** called after every unit of work with where the resync stands (heartbeat it) */
  onProgress?: (progress: ResyncProgress) => void;
  /** entries read and processed at a time (memory stays bounded by it) */
  pageSize?: number;
}

const sameNamespace = (a: EventNamespace, b: EventNamespace): boolean => a.db === b.db && a.coll === b.coll;
const namespaceKey = (ns: EventNamespace): string => `${ns.db}.${ns.coll}`;

/** Namespaces whose resyncs run at once (each holds at most one replace batch in memory). */
const NAMESPACES_AT_ONCE = 8;

/** A page's entries split into runs of one namespace each (entries come in _id order, so grouped). */
function namespaceRuns(page: ResyncEntry[]): { ns: EventNamespace; entries: ResyncEntry[] }[] {
  const runs: { ns: EventNamespace; entries: ResyncEntry[] }[] = [];
  for (const entry of page) {
    const last = runs[runs.length - 1];
    if (last && sameNamespace(last.ns, entry._id)) last.entries.push(entry);
    else runs.push({ ns: { db: entry._id.db, coll: entry._id.coll }, entries: [entry] });
  }
  return runs;
}

/** The namespaces among `namespaces` recorded for a whole-collection resync. */
async function recordedWhole(destination: MongoClient, namespaces: EventNamespace[]): Promise<Set<string>> {
  const keys = namespaces.map((ns) => ({ db: ns.db, coll: ns.coll, all: true as const }));
  const found = await entries(destination)
    .find({ _id: { $in: keys } }, { projection: { _id: 1 } })
    .toArray();
  return new Set(found.map((entry) => namespaceKey(entry._id)));
}

/**
 * Replaces every recorded document with the source's current version (deleting it when the
 * source no longer has it), forgetting each entry once it is done. Entries are read in pages in
 * _id order, which keeps each namespace's entries together, so memory holds one page whatever
 * the size of the set. Returns how many documents were resynced.
 */
export async function resyncRecorded(source: MongoClient, destination: MongoClient, options: ResyncOptions = {}): Promise<number> {
  const pageSize = options.pageSize ?? BATCH;
  const state: ResyncProgress = options.resumeFrom
    ? { after: options.resumeFrom.after, done: options.resumeFrom.done, whole: options.resumeFrom.whole }
    : { after: null, done: 0, whole: null };
  const report = (): void => options.onProgress?.(state);
  const collatedNamespaces = new CollatedNamespaces(destination);
  /** the namespace whose entries are being processed, and whether it is resynced whole */
  let current: { ns: EventNamespace; whole: boolean } | null = null;

  for (;;) {
    const filter = state.after === null ? {} : { _id: { $gt: decodeEntryId(state.after) } };
    const page = await entries(destination)
      .find(filter as Document, { ...TYPED_READ, sort: { _id: 1 }, limit: pageSize })
      .toArray();
    if (page.length === 0) break;
    const runs = namespaceRuns(page);
    const collated = await collatedNamespaces.among(runs.map((run) => run.ns));
    const wholes = await recordedWhole(destination, runs.map((run) => run.ns));
    // The documents of different namespaces are independent: their resyncs run together (many
    // small collections would otherwise cost several round trips each, one after another). A
    // retry resumes after the last whole page, so finishing a page in any order is safe.
    const idResyncs: { ns: EventNamespace; ids: unknown[] }[] = [];
    for (const run of runs) {
      if (!current || !sameNamespace(current.ns, run.ns)) {
        current = { ns: run.ns, whole: wholes.has(namespaceKey(run.ns)) };
        if (current.whole) {
          await resyncWholeCollection(source, destination, run.ns, state, report);
          await entries(destination).deleteOne({ _id: { db: run.ns.db, coll: run.ns.coll, all: true } });
        }
      }
      if (!current.whole) idResyncs.push({ ns: run.ns, ids: run.entries.flatMap((entry) => (entry._id.all ? [] : [entry._id.id])) });
    }
    let pageDone = 0;
    await forEachConcurrently(idResyncs, NAMESPACES_AT_ONCE, async ({ ns, ids }) => {
      await resyncIds(source, destination, ns, ids, collated.has(namespaceKey(ns)));
      pageDone += ids.length;
      // The resume point (and count) stay those of the previous page until this one is done:
      // this only keeps a long page heartbeating.
      report();
    });
    await entries(destination).deleteMany({ _id: { $in: page.map((entry) => entry._id) } });
    state.done += pageDone;
    state.after = encodeEntryId(page[page.length - 1]!._id);
    report();
  }
  await clearResyncSet(destination);
  return state.done;
}

/** Replaces the recorded documents `ids` of `ns`, deleting those the source no longer has. */
async function resyncIds(source: MongoClient, destination: MongoClient, ns: EventNamespace, ids: unknown[], collated: boolean): Promise<void> {
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const batch = new ReplaceBatch(destination, ns);
    const present: unknown[] = [];
    for await (const doc of source.db(ns.db).collection(ns.coll).find({ _id: { $in: chunk } } as Document, TYPED_READ)) {
      if (batch.add(doc)) present.push(...(await batch.flush()));
    }
    present.push(...(await batch.flush()));
    // Documents the source no longer has are gone from the destination too: their delete
    // events were applied. Deleting again covers a resync that raced with a delete.
    const presentKeys = new Set(present.map(keyValueIdentity));
    const gone = chunk.filter((id) => !presentKeys.has(keyValueIdentity(id)));
    if (gone.length > 0) {
      // Under a collation a recorded 'a' may be the document the source now holds as 'A':
      // the server, which compares with the collation, keeps the ones the source still has.
      const filter = collated ? { _id: { $in: gone, $nin: present } } : { _id: { $in: gone } };
      await destination
        .db(ns.db)
        .collection(ns.coll)
        .deleteMany(filter as Document);
    }
  }
}

/** Replaces every document of `ns` from the source, in _id order, resuming after `state.whole`. */
async function resyncWholeCollection(
  source: MongoClient,
  destination: MongoClient,
  ns: EventNamespace,
  state: ResyncProgress,
  report: () => void,
): Promise<void> {
  const resumeAfter = state.whole && sameNamespace(state.whole, ns) ? state.whole.after : null;
  state.whole = { db: ns.db, coll: ns.coll, after: resumeAfter };
  const batch = new ReplaceBatch(destination, ns);
  const flush = async (): Promise<void> => {
    const written = await batch.flush();
    if (written.length === 0) return;
    state.done += written.length;
    state.whole = { db: ns.db, coll: ns.coll, after: encodeId(written[written.length - 1]) };
    report();
  };
  report();
  for await (const doc of documentsAfterId(source.db(ns.db).collection(ns.coll), resumeAfter, TYPED_READ)) {
    if (batch.add(doc)) await flush();
  }
  await flush();
  state.whole = null;
}

const encodeEntryId = (id: ResyncEntry['_id']): string => BSON.EJSON.stringify(id, { relaxed: false });
const decodeEntryId = (text: string): ResyncEntry['_id'] => BSON.EJSON.parse(text, { relaxed: false }) as ResyncEntry['_id'];
