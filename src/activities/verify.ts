// The embedded verifier's activities (docs/embedded-verifier.md):
// - beginVerification claims the store on the destination for this sync;
// - verifyWorkUnit compares the partitions of one work unit of the copy plan, in batches,
//   recording differences as candidates and its position as a durable checkpoint;
// - recheckVerification rechecks the candidates the applier has passed;
// - verifyAtCommit, with every event applied and writes blocked, rechecks every candidate and
//   every document the applier wrote meanwhile: what still differs is a mismatch.
import { ApplicationFailure } from '@temporalio/activity';
import { type Document, type MongoClient } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import type { ClusterConnections } from '../mongo/cluster-clients';
import { noteClusterTime } from '../mongo/commands';
import { type ClusterLabel, type ClusterTime, compareClusterTimes } from '../sync/vocabulary';
import { SyncErrorName } from '../sync/errors';
import { planKey } from '../sync/copy-plan';
import type { VerificationMismatch, VerificationResume } from '../sync/verification';
import { decodeId, encodeId } from './copy-partition';
import { readUnit } from './copy-plan';
import { ActivityProgress, heartbeatDuring } from './heartbeat';
import { compareRange } from '../verify/compare-range';
import {
  awaitsResync,
  candidates,
  changed,
  checkpoints,
  claimStore,
  type DocumentKey,
  differenceKind,
  digestOf,
  dropStore,
  encodeKeyId,
  mismatches,
  rawDocument,
  recordCandidates,
  recordMismatch,
  sameBytes,
  type UnitCheckpoint,
} from './verifier-store';

/** Rechecks of a candidate whose source document changes each time, before the commit check decides it. */
export const MAX_RECHECKS = 5;
/** Mismatches one activity returns by name; the rest are counted. */
const MAX_RETURNED = 10;
/** Store entries read at a time. */
const PAGE = 500;

export interface BeginVerificationInput {
  destination: ClusterLabel;
  /** identifies the sync run: a store of another run is dropped */
  runKey: string;
}

export async function beginVerification(clients: ClusterConnections, input: BeginVerificationInput): Promise<void> {
  await heartbeatDuring(() => undefined, claimStore(clients.client(input.destination), input.runKey));
}

export interface VerifyWorkUnitInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  unit: number;
  /** null = from the unit's start (or from its durable checkpoint) */
  resume: VerificationResume | null;
  maxDurationMs: number;
  batchSize: number;
  syncId: string;
}

export interface VerifyWorkUnitResult {
  done: boolean;
  resume: VerificationResume;
  /** where this call started: its input, or the unit's durable checkpoint when that was further */
  resumedFrom: VerificationResume;
  /** compared in this unit so far, by every call (counted from the durable checkpoint) */
  sourceDocuments: number;
  destinationDocuments: number;
  collectionsScanned: number;
  /** differences recorded as candidates by this call */
  candidates: number;
}

type Counters = Pick<UnitCheckpoint, 'sourceDocuments' | 'destinationDocuments' | 'collectionsScanned'>;

/** Stops a comparison once its batch is recorded (deadline, or the mismatch list filling up). */
class StopComparison extends Error {}

const furthest = (a: VerificationResume, b: VerificationResume | undefined | null): VerificationResume => {
  if (!b) return a;
  if (b.partition !== a.partition) return b.partition > a.partition ? b : a;
  return b.after !== null && a.after === null ? b : a;
};

export async function verifyWorkUnit(clients: ClusterConnections, input: VerifyWorkUnitInput): Promise<VerifyWorkUnitResult> {
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const deadline = Date.now() + input.maxDurationMs;
  const stored = await checkpoints(destination).findOne({ _id: input.unit });
  // The durable checkpoint is written after the candidates it covers, so it is always safe to
  // resume from; it is at least as far as the workflow's or a heartbeat's position.
  let resume: VerificationResume = furthest(input.resume ?? { partition: 0, after: null }, stored?.resume);
  const resumedFrom = resume;
  const total: Counters = stored
    ? { sourceDocuments: stored.sourceDocuments, destinationDocuments: stored.destinationDocuments, collectionsScanned: stored.collectionsScanned }
    : { sourceDocuments: 0, destinationDocuments: 0, collectionsScanned: 0 };
  let candidatesRecorded = 0;
  const progress = new ActivityProgress(() => ({ resume }));
  const result = (done: boolean): VerifyWorkUnitResult => ({
    done,
    resume,
    resumedFrom,
    ...total,
    candidates: candidatesRecorded,
  });
  if (stored?.done) return { ...result(true), resume: stored.resume };
  const partitions = await readUnit(destination, input.unit);
  const save = (done: boolean) =>
    checkpoints(destination).replaceOne({ _id: input.unit }, { resume, ...total, done }, { upsert: true });
  const maxMismatches = input.batchSize * 4;

  while (resume.partition < partitions.length) {
    const partition = partitions[resume.partition]!;
    const ns = planKey(partition.db, partition.coll);
    const counted = { ...total };
    try {
      await compareRange(
        source.db(partition.db).collection(partition.coll),
        destination.db(partition.db).collection(partition.coll),
        {
          ...(partition.min !== null ? { min: decodeId(partition.min) } : {}),
          ...(partition.max !== null ? { max: decodeId(partition.max) } : {}),
        },
        {
          ...(resume.after !== null ? { after: decodeId(resume.after) } : {}),
          batchSize: input.batchSize,
          maxMismatches,
          onBatch: async (position) => {
            if (position.mismatches.length > 0) {
              // Every source write before this time is one the applier must have applied before a recheck.
              const detectedAt = await noteClusterTime(source, { c2cSync: input.syncId, reason: 'verification candidate' });
              await recordCandidates(
                destination,
                position.mismatches.map((m) => ({ key: { db: m.db, coll: m.coll, id: m.id }, kind: m.kind })),
                detectedAt,
              );
              candidatesRecorded += position.mismatches.length;
            }
            resume = { partition: resume.partition, after: encodeId(position.lastId) };
            total.sourceDocuments = counted.sourceDocuments + position.sourceDocuments;
            total.destinationDocuments = counted.destinationDocuments + position.destinationDocuments;
            await save(false);
            progress.beat();
            if (Date.now() >= deadline || position.mismatchCount > maxMismatches - input.batchSize) throw new StopComparison();
          },
        },
      );
    } catch (error) {
      if (!(error instanceof StopComparison)) throw asFailure(error, ns);
      if (Date.now() >= deadline) return result(false);
      continue; // the mismatch list filled up: a new comparison from the checkpoint
    }
    resume = { partition: resume.partition + 1, after: null };
    if (partition.max === null) total.collectionsScanned += 1;
    const done = resume.partition >= partitions.length;
    await save(done);
    progress.beatNow();
    if (!done && Date.now() >= deadline) return result(false);
  }
  return result(true);
}

function asFailure(error: unknown, ns: string): unknown {
  if (error instanceof Error && error.name === 'CollationMismatchError') {
    return ApplicationFailure.nonRetryable(`verification cannot compare ${ns}: ${error.message}`, SyncErrorName.VerificationFailed);
  }
  return error;
}

export interface RecheckInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  /** the applier has applied every source event up to this time */
  appliedThrough: ClusterTime;
  syncId: string;
}

export interface RecheckResult {
  /** candidates left (deferred ones included) */
  candidates: number;
  deferred: number;
  /** mismatches confirmed by this call */
  mismatchCount: number;
  mismatches: VerificationMismatch[];
}

/**
 * Rechecks every candidate detected at or before `appliedThrough`: settled when both sides now
 * agree; confirmed when they still differ although the source document did not change since the
 * previous recheck (the applier has passed that recheck's time, so the destination should have
 * it); otherwise it waits for the next recheck, and after MAX_RECHECKS is left to the commit check.
 */
export async function recheckVerification(clients: ClusterConnections, input: RecheckInput): Promise<RecheckResult> {
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const found: RecheckResult = { candidates: 0, deferred: 0, mismatchCount: 0, mismatches: [] };
  const progress = new ActivityProgress(() => ({ confirmed: found.mismatchCount }));
  let after: DocumentKey | null = null;
  for (;;) {
    const filter: Document = after === null ? {} : { _id: { $gt: after } };
    const page = await candidates(destination).find(filter, { ...TYPED_READ, sort: { _id: 1 }, limit: PAGE }).toArray();
    if (page.length === 0) break;
    after = page[page.length - 1]!._id;
    const due = page.filter((entry) => compareClusterTimes(entry.detectedAt, input.appliedThrough) <= 0);
    const reads = await Promise.all(due.map(async (entry) => ({ entry, s: await rawDocument(source, entry._id), d: await rawDocument(destination, entry._id) })));
    const now = due.length > 0 ? await noteClusterTime(source, { c2cSync: input.syncId, reason: 'verification recheck' }) : null;
    for (const { entry, s, d } of reads) {
      if (sameBytes(s, d)) {
        await candidates(destination).deleteOne({ _id: entry._id });
        continue;
      }
      const digest = digestOf(s);
      if (await awaitsResync(destination, entry._id)) {
        await candidates(destination).updateOne({ _id: entry._id }, { $set: { sourceDigest: digest, deferred: true } });
        continue;
      }
      if (entry.sourceDigest !== undefined && entry.sourceDigest === digest) {
        await confirm(destination, entry._id, differenceKind(s, d), found);
        continue;
      }
      const rechecks = entry.rechecks + 1;
      await candidates(destination).updateOne(
        { _id: entry._id },
        { $set: { sourceDigest: digest, detectedAt: now!, rechecks, deferred: rechecks >= MAX_RECHECKS } },
      );
    }
    progress.beat();
  }
  found.candidates = await candidates(destination).countDocuments({});
  found.deferred = await candidates(destination).countDocuments({ deferred: true });
  return found;
}

async function confirm(destination: MongoClient, key: DocumentKey, kind: string, found: RecheckResult): Promise<void> {
  await recordMismatch(destination, key, kind);
  await candidates(destination).deleteOne({ _id: key });
  found.mismatchCount += 1;
  if (found.mismatches.length < MAX_RETURNED) found.mismatches.push({ ns: planKey(key.db, key.coll), id: encodeKeyId(key.id), kind });
}

export interface VerifyAtCommitInput {
  source: ClusterLabel;
  destination: ClusterLabel;
}

/** Where the commit check stands (heartbeated): the queue it reads; decided entries are gone. */
interface CommitCheckPosition {
  queue: 'candidates' | 'changed';
}

/**
 * The commit check: every event up to the commit point is applied and writes are blocked, so any
 * candidate or changed document that still differs is a mismatch. Entries are forgotten once
 * decided and mismatches recorded durably, so a retry resumes and counts each once. Drops the
 * store when nothing differs.
 */
export async function verifyAtCommit(clients: ClusterConnections, input: VerifyAtCommitInput): Promise<{ mismatchCount: number; mismatches: VerificationMismatch[] }> {
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  let position: CommitCheckPosition = { queue: 'candidates' };
  const progress = new ActivityProgress(() => position);
  if (progress.resumed) position = progress.resumed;
  for (const queue of ['candidates', 'changed'] as const) {
    if (queue === 'candidates' && position.queue === 'changed') continue;
    position = { queue };
    const collection = queue === 'candidates' ? candidates(destination) : changed(destination);
    for (;;) {
      const page: { _id: DocumentKey }[] = await collection.find({}, { ...TYPED_READ, sort: { _id: 1 }, limit: PAGE }).toArray();
      if (page.length === 0) break;
      const reads = await Promise.all(page.map(async (entry) => ({ key: entry._id, s: await rawDocument(source, entry._id), d: await rawDocument(destination, entry._id) })));
      for (const { key, s, d } of reads) {
        if (!sameBytes(s, d)) await recordMismatch(destination, key, differenceKind(s, d));
      }
      await collection.deleteMany({ _id: { $in: page.map((entry) => entry._id) } } as Document);
      progress.beat();
    }
    progress.beatNow();
  }
  // Mismatches confirmed before the commit (none, or the commit would have been refused) count too.
  const found = await collectMismatches(destination);
  if (found.count === 0) await dropStore(destination);
  return { mismatchCount: found.count, mismatches: found.shown };
}

async function collectMismatches(destination: MongoClient): Promise<{ count: number; shown: VerificationMismatch[] }> {
  const count = await mismatches(destination).countDocuments({});
  const shown = (await mismatches(destination).find({}, { ...TYPED_READ, limit: MAX_RETURNED }).toArray()).map((m) => ({
    ns: planKey(m._id.db, m._id.coll),
    id: encodeKeyId(m._id.id),
    kind: m.kind,
  }));
  return { count, shown };
}
