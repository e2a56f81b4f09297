// Documents whose destination copy may hold the right values in the wrong field order.
//
// Events are idempotent, so applying one to a later state of its document (during the copy
// drain, when the copy already read a newer version; in a retried attempt after a crash; in a
// conflict fallback or a recopy, which read the source as it is now) still converges in values.
// It can reorder fields, though: replaying "unset f" then "set f" on a document that already
// has f again moves f to the end. The writer records such documents here, on the destination,
// and at commit, once the source is quiet and every event is applied, each is read from the
// source and replaced, which makes it exact.
import type { AnyBulkWriteOperation, Document, MongoClient } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { keyValueIdentity } from '../sync/apply-batching';
import { bsonSize } from '../sync/document-size';
import { C2C_METADATA_DB } from '../sync/namespace-names';
import type { EventNamespace } from '../sync/event-translation';
import { CollatedNamespaces } from './collated-namespaces';
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

/** Replaces the destination's copies of the matching source documents; returns their _ids. */
async function replaceFromSource(
  source: MongoClient,
  destination: MongoClient,
  ns: EventNamespace,
  filter: Document,
  onBatch: (written: number) => void = () => undefined,
): Promise<unknown[]> {
  const target = destination.db(ns.db).collection(ns.coll);
  const replaced: unknown[] = [];
  let batch: Document[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const operations: AnyBulkWriteOperation<Document>[] = [];
    for (const doc of batch) {
      operations.push(await fitted(destination, ns, { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }));
    }
    await bulkReplace(target, operations);
    for (const doc of batch) replaced.push(doc._id);
    onBatch(batch.length);
    batch = [];
    batchBytes = 0;
  };
  for await (const doc of source.db(ns.db).collection(ns.coll).find(filter, TYPED_READ)) {
    batch.push(doc);
    batchBytes += bsonSize(doc);
    if (batch.length >= BATCH || batchBytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return replaced;
}

/**
 * Replaces every recorded document with the source's current version (deleting it when the
 * source no longer has it), then forgets the set. Returns how many documents were resynced.
 */
export async function resyncRecorded(source: MongoClient, destination: MongoClient, onProgress: (done: number) => void): Promise<number> {
  const byNamespace = new Map<string, { ns: EventNamespace; ids: unknown[]; all: boolean }>();
  for await (const entry of entries(destination).find({}, TYPED_READ)) {
    const key = `${entry._id.db}.${entry._id.coll}`;
    const group = byNamespace.get(key) ?? { ns: { db: entry._id.db, coll: entry._id.coll }, ids: [], all: false };
    if (entry._id.all) group.all = true;
    else group.ids.push(entry._id.id);
    byNamespace.set(key, group);
  }
  let done = 0;
  const collatedNamespaces = new CollatedNamespaces(destination);
  for (const { ns, ids, all } of byNamespace.values()) {
    if (all) {
      // a whole collection: progress after every written batch, not once at its end
      await replaceFromSource(source, destination, ns, {}, (written) => onProgress((done += written)));
      continue;
    }
    const collated = (await collatedNamespaces.among([ns])).size > 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      const present = await replaceFromSource(source, destination, ns, { _id: { $in: chunk } });
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
      done += chunk.length;
      onProgress(done);
    }
  }
  await clearResyncSet(destination);
  return done;
}
