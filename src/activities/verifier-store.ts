// The embedded verifier's durable store on the destination (docs/embedded-verifier.md), in
// C2C_VERIFIER_DB:
// - run:         which sync the store belongs to (a new sync starts with an empty store);
// - checkpoints: per work unit, the partition and last _id compared, and its counters, so a
//                retried or restarted activity resumes where the last one stopped;
// - candidates:  documents a range comparison found different, waiting for the applier to pass
//                the time of the difference, then rechecked (the recheck queue);
// - changed:     documents the applier, or anyone else, wrote on the destination while the
//                verifier ran, rechecked at commit (entries stay until then);
// - mismatches:  confirmed mismatches.
import { createHash } from 'node:crypto';
import { BSON, type Document, type MongoClient, ObjectId } from 'mongodb';
import { ServerErrorCode } from '../mongo/server-errors';
import { perDocumentWriteErrors } from '../mongo/write-outcome';
import type { ClusterTime } from '../sync/vocabulary';
import { C2C_METADATA_DB, C2C_VERIFIER_DB } from '../sync/namespace-names';
import type { VerificationResume } from '../sync/verification';
import { compareRawValues } from '../sync/verify/bson-order';
import { stringOrderFor } from '../sync/verify/collation-order';
import { type RawValue, rawDocumentId } from '../sync/verify/raw-bson';
import { collectionShapes } from '../verify/compare-range';

export interface DocumentKey {
  db: string;
  coll: string;
  id: unknown;
}

export interface UnitCheckpoint {
  _id: number;
  resume: VerificationResume;
  sourceDocuments: number;
  destinationDocuments: number;
  collectionsScanned: number;
  done: boolean;
}

export interface CandidateEntry {
  _id: DocumentKey;
  kind: string;
  /** the applier must have applied every source event up to this time before the recheck */
  detectedAt: ClusterTime;
  /** digest of the source document at the last recheck (null: absent); missing before the first */
  sourceDigest?: string | null;
  rechecks: number;
  /** the source document changed at every one of MAX_RECHECKS rechecks: the commit check decides */
  deferred: boolean;
}

export interface MismatchEntry {
  _id: DocumentKey;
  kind: string;
}

const db = (destination: MongoClient) => destination.db(C2C_VERIFIER_DB);
export const checkpoints = (destination: MongoClient) => db(destination).collection<UnitCheckpoint>('checkpoints');
export const candidates = (destination: MongoClient) => db(destination).collection<CandidateEntry>('candidates');
export const changed = (destination: MongoClient) => db(destination).collection<{ _id: DocumentKey }>('changed');
export const mismatches = (destination: MongoClient) => db(destination).collection<MismatchEntry>('mismatches');
const runs = (destination: MongoClient) => db(destination).collection<{ _id: 'run'; key: string; claim?: ObjectId }>('run');

/**
 * Makes the store belong to the run `key`: a store of another run is dropped first. Idempotent.
 * Each claim has its own id (`claim`): what a worker remembers the changed set holds
 * (changed-set-memory.ts) is kept per claim, so a store made again starts unremembered.
 */
export async function claimStore(destination: MongoClient, key: string): Promise<void> {
  const current = await runs(destination).findOne({ _id: 'run' });
  if (current?.key === key) return;
  await db(destination).dropDatabase();
  await runs(destination).insertOne({ _id: 'run', key, claim: new ObjectId() });
}

/** Drops the store: called once a commit check passed. */
export async function dropStore(destination: MongoClient): Promise<void> {
  await db(destination).dropDatabase();
}

/** Records range differences as candidates (a candidate already queued keeps its recheck state). */
export async function recordCandidates(destination: MongoClient, found: { key: DocumentKey; kind: string }[], detectedAt: ClusterTime): Promise<void> {
  if (found.length === 0) return;
  await candidates(destination).bulkWrite(
    found.map(({ key, kind }) => ({
      updateOne: {
        filter: { _id: key },
        update: { $setOnInsert: { kind, detectedAt, rechecks: 0, deferred: false } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}

/**
 * Records documents the applier wrote, for the commit check; idempotent. Inserts (an entry
 * already recorded is a duplicate key, and is left as it is): cheaper than an upsert each, and
 * this is the applier's extra cost for every document it writes.
 */
export async function recordChanged(destination: MongoClient, ns: { db: string; coll: string }, ids: unknown[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await changed(destination).insertMany(
      ids.map((id) => ({ _id: { db: ns.db, coll: ns.coll, id } })),
      { ordered: false },
    );
  } catch (error) {
    const failed = perDocumentWriteErrors(error);
    if (!failed || failed.some((writeError) => writeError.code !== ServerErrorCode.DuplicateKey)) throw error;
  }
}

/** Records confirmed mismatches (idempotent). */
export async function recordMismatches(destination: MongoClient, found: readonly { key: DocumentKey; kind: string }[]): Promise<void> {
  if (found.length === 0) return;
  await mismatches(destination).bulkWrite(
    found.map(({ key, kind }) => ({ replaceOne: { filter: { _id: key }, replacement: { kind }, upsert: true } })),
    { ordered: false },
  );
}

/**
 * The exact BSON bytes of the documents with these keys on one side (null: absent), read raw:
 * one `_id: {$in}` read per namespace, not one per document. A key finds the document whose _id
 * the server holds equal to it (numbers across types, strings under the collection's default
 * collation), as a read by that _id would.
 */
export async function rawDocuments(client: MongoClient, keys: readonly DocumentKey[]): Promise<(Uint8Array | null)[]> {
  const found: (Uint8Array | null)[] = keys.map(() => null);
  const groups = new Map<string, number[]>();
  for (const [i, key] of keys.entries()) {
    const ns = JSON.stringify([key.db, key.coll]);
    groups.set(ns, [...(groups.get(ns) ?? []), i]);
  }
  const namesByDb = new Map<string, string[]>();
  for (const [first] of groups.values()) {
    const { db, coll } = keys[first!]!;
    namesByDb.set(db, [...(namesByDb.get(db) ?? []), coll]);
  }
  const shapes = new Map(await Promise.all([...namesByDb].map(async ([db, names]) => [db, await collectionShapes(client.db(db), names)] as const)));
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const { db, coll } = keys[indexes[0]!]!;
      const shape = shapes.get(db)!.get(coll)!;
      if (!shape.exists) return;
      const strings = stringOrderFor(shape.collation);
      const compare = (a: RawValue, b: RawValue): number => compareRawValues(a, b, strings);
      const docs = (await client
        .db(db)
        .collection(coll)
        .find({ _id: { $in: indexes.map((i) => keys[i]!.id) } } as Document, { raw: true, batchSize: indexes.length + 1 })
        .toArray()) as unknown as Uint8Array[];
      const sorted = docs.map((bytes) => ({ id: rawDocumentId(bytes), bytes })).sort((a, b) => compare(a.id, b.id));
      for (const i of indexes) {
        const id = rawDocumentId(BSON.serialize({ _id: keys[i]!.id }));
        let [low, high] = [0, sorted.length - 1];
        while (low <= high) {
          const middle = (low + high) >> 1;
          const order = compare(sorted[middle]!.id, id);
          if (order === 0) {
            found[i] = sorted[middle]!.bytes;
            break;
          }
          if (order < 0) low = middle + 1;
          else high = middle - 1;
        }
      }
    }),
  );
  return found;
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

export function digestOf(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : createHash('sha256').update(bytes).digest('hex');
}

/** How a difference between the two sides reads: which side lacks the document. */
export function differenceKind(source: Uint8Array | null, destination: Uint8Array | null): string {
  if (source === null) return 'extraOnDestination';
  if (destination === null) return 'missingOnDestination';
  return 'different';
}

export const encodeKeyId = (id: unknown): string => BSON.EJSON.stringify({ id }, { relaxed: false }).slice('{"id":'.length, -1);

/**
 * True when the commit-time resync will replace the document from the source (src/activities/
 * resync-set.ts): its events met a later state, so until then it may hold the right values in
 * another field order. Such a difference is the commit check's to decide, after the resync.
 */
export async function awaitsResync(destination: MongoClient, key: DocumentKey): Promise<boolean> {
  const recorded = await destination
    .db(C2C_METADATA_DB)
    .collection('resync')
    .countDocuments({ _id: { $in: [{ db: key.db, coll: key.coll, id: key.id }, { db: key.db, coll: key.coll, all: true }] } } as Document, { limit: 1 });
  return recorded > 0;
}
