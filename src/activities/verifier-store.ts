// The embedded verifier's durable store on the destination (docs/embedded-verifier.md), in
// C2C_VERIFIER_DB:
// - run:         which sync the store belongs to (a new sync starts with an empty store);
// - checkpoints: per work unit, the partition and last _id compared, and its counters, so a
//                retried or restarted activity resumes where the last one stopped;
// - candidates:  documents a range comparison found different, waiting for the applier to pass
//                the time of the difference, then rechecked (the recheck queue);
// - changed:     documents the applier wrote while the verifier ran, rechecked at commit;
// - mismatches:  confirmed mismatches.
import { createHash } from 'node:crypto';
import { BSON, type Document, type MongoClient } from 'mongodb';
import type { ClusterTime } from '../sync/vocabulary';
import { C2C_METADATA_DB, C2C_VERIFIER_DB } from '../sync/namespace-names';
import type { VerificationResume } from '../sync/verification';

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
const runs = (destination: MongoClient) => db(destination).collection<{ _id: 'run'; key: string }>('run');

/** Makes the store belong to the run `key`: a store of another run is dropped first. Idempotent. */
export async function claimStore(destination: MongoClient, key: string): Promise<void> {
  const current = await runs(destination).findOne({ _id: 'run' });
  if (current?.key === key) return;
  await db(destination).dropDatabase();
  await runs(destination).insertOne({ _id: 'run', key });
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

/** Records documents the applier wrote, for the commit check; idempotent. */
export async function recordChanged(destination: MongoClient, ns: { db: string; coll: string }, ids: unknown[]): Promise<void> {
  if (ids.length === 0) return;
  await changed(destination).bulkWrite(
    ids.map((id) => ({ replaceOne: { filter: { _id: { db: ns.db, coll: ns.coll, id } }, replacement: {}, upsert: true } })),
    { ordered: false },
  );
}

export async function recordMismatch(destination: MongoClient, key: DocumentKey, kind: string): Promise<void> {
  await mismatches(destination).replaceOne({ _id: key }, { kind }, { upsert: true });
}

/** The exact BSON bytes of a document by _id on one side (null: absent), read raw. */
export async function rawDocument(client: MongoClient, key: DocumentKey): Promise<Uint8Array | null> {
  const found = await client
    .db(key.db)
    .collection(key.coll)
    .find({ _id: key.id } as Document, { raw: true, limit: 1 })
    .toArray();
  return (found[0] as unknown as Uint8Array | undefined) ?? null;
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
