// The embedded verifier's activities (docs/embedded-verifier.md):
// - beginVerification claims the store on the destination for this sync;
// - verifyWorkUnit compares the partitions of one work unit of the copy plan, in batches,
//   recording differences as candidates and its position as a durable checkpoint;
// - recheckVerification rechecks the candidates the applier has passed;
// - verifyAtCommit, with every event applied and writes blocked, rechecks every candidate and
//   every document the applier wrote meanwhile: what still differs is a mismatch.
import { ApplicationFailure } from '@temporalio/activity';
import { type AnyBulkWriteOperation, type Document, type MongoClient } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import type { ClusterConnections } from '../mongo/cluster-clients';
import { noteClusterTime } from '../mongo/commands';
import { type ClusterLabel, type ClusterTime, compareClusterTimes, type PartitionRange } from '../sync/vocabulary';
import { SyncErrorName } from '../sync/errors';
import { planKey } from '../sync/copy-plan';
import type { VerificationMismatch, VerificationResume } from '../sync/verification';
import { decodeId, encodeId } from './copy-partition';
import { readUnit } from './copy-plan';
import { ActivityProgress, heartbeatDuring } from './heartbeat';
import { collectionShapes, type CollectionShape, compareRange, type RangePosition } from '../verify/compare-range';
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
  rawDocuments,
  recordCandidates,
  recordMismatches,
  type CandidateEntry,
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
  /** the first work unit of the span this call compares */
  unit: number;
  /** work units in the span, [unit, unit + units); absent = 1 (calls recorded before spans) */
  units?: number;
  /** null = from the span's start (or from its durable checkpoint) */
  resume: VerificationResume | null;
  maxDurationMs: number;
  batchSize: number;
  syncId: string;
}

export interface VerifyWorkUnitResult {
  done: boolean;
  resume: VerificationResume;
  /** where this call started: its input, or the span's durable checkpoint when that was further */
  resumedFrom: VerificationResume;
  /** compared in this span so far, by every call (counted from the durable checkpoint) */
  sourceDocuments: number;
  destinationDocuments: number;
  collectionsScanned: number;
  /** differences recorded as candidates by this call */
  candidates: number;
  /** the earliest stamp of those candidates: no recheck decides one before the applier passes it */
  firstDetectedAt?: ClusterTime | null;
}

type Counters = Pick<UnitCheckpoint, 'sourceDocuments' | 'destinationDocuments' | 'collectionsScanned'>;

/** Stops a comparison once its batch is recorded (deadline, or the mismatch list filling up). */
class StopComparison extends Error {}

/**
 * How often a comparison writes its checkpoint while it runs (and always before it returns): a
 * killed attempt compares again at most this much work, and a span of many small collections
 * does not pay a write per collection.
 */
const CHECKPOINT_INTERVAL_MS = 1000;

/** The unit a resume point is in: resume points recorded before spans name none (the first). */
const unitOf = (resume: VerificationResume, first: number): number => resume.unit ?? first;

/**
 * The resume point to start from: the durable checkpoint, unless the workflow's is further (the
 * checkpoint is written before a call returns, so it is at least as far as any call's result).
 */
function furthest(input: VerificationResume, stored: VerificationResume | undefined | null, first: number): VerificationResume {
  if (!stored) return input;
  const [a, b] = [unitOf(input, first), unitOf(stored, first)];
  if (a !== b) return a > b ? input : stored;
  if (input.partition !== stored.partition) return input.partition > stored.partition ? input : stored;
  return stored.after === null && input.after !== null ? input : stored;
}

/** Collection shapes (existence, collation) of every collection in `partitions`, one catalog read per database and side. */
async function shapesOf(source: MongoClient, destination: MongoClient, partitions: readonly PartitionRange[]): Promise<(ns: { db: string; coll: string }) => { source: CollectionShape; destination: CollectionShape }> {
  const byDb = new Map<string, string[]>();
  for (const p of partitions) byDb.set(p.db, [...(byDb.get(p.db) ?? []), p.coll]);
  const read = await Promise.all(
    [...byDb].map(async ([db, names]) => {
      const [s, d] = await Promise.all([collectionShapes(source.db(db), names), collectionShapes(destination.db(db), names)]);
      return [db, { s, d }] as const;
    }),
  );
  const shapes = new Map(read);
  return ({ db, coll }) => ({ source: shapes.get(db)!.s.get(coll)!, destination: shapes.get(db)!.d.get(coll)! });
}

/**
 * Partitions of a unit compared ahead of the one the comparison is in, at most, when the unit holds
 * several (a unit of small collections packed together). A small collection costs a round trip
 * on each side whatever its size, so comparing them one after another left both clusters waiting
 * on latency; ahead of the checkpoint they overlap.
 */
export const PARTITIONS_AHEAD = 8;
/**
 * Documents per side a comparison ahead reads at most (its first batch): a partition that holds
 * more is compared on from there when its turn comes. Bounds what the look-ahead holds in memory.
 */
export const AHEAD_BATCH_SIZE = 100;

/** What a comparison ahead of the checkpoint found: the whole partition, or its first batch. */
interface AheadResult {
  done: boolean;
  /** the last _id compared (null: the partition is empty) */
  lastId: unknown | null;
  sourceDocuments: number;
  destinationDocuments: number;
}

/**
 * Compares the partitions of a span of work units, in order, for up to `maxDurationMs`; returns
 * where the next call resumes. Differences become candidates before the checkpoint that covers
 * them is written, so resuming from the checkpoint never loses one (recording one twice is a no-op).
 *
 * In a unit of several partitions, up to PARTITIONS_AHEAD of the following ones are compared
 * ahead, their first AHEAD_BATCH_SIZE documents per side (all of a small collection). Their
 * candidates are recorded as they are found; their documents are counted, and the checkpoint
 * moves past them, only when the comparison in order reaches them, so the checkpoint and the
 * counters always describe one prefix of the span. Work ahead that a deadline cuts short is
 * done again by the next call.
 */
export async function verifyWorkUnit(clients: ClusterConnections, input: VerifyWorkUnitInput): Promise<VerifyWorkUnitResult> {
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const deadline = Date.now() + input.maxDurationMs;
  const first = input.unit;
  const end = first + Math.max(1, input.units ?? 1);
  const stored = await checkpoints(destination).findOne({ _id: first });
  let resume: VerificationResume = furthest(input.resume ?? { partition: 0, after: null }, stored?.resume, first);
  const resumedFrom = resume;
  const total: Counters = stored
    ? { sourceDocuments: stored.sourceDocuments, destinationDocuments: stored.destinationDocuments, collectionsScanned: stored.collectionsScanned }
    : { sourceDocuments: 0, destinationDocuments: 0, collectionsScanned: 0 };
  let candidatesRecorded = 0;
  let firstDetectedAt: ClusterTime | null = null;
  const progress = new ActivityProgress(() => ({ resume }));
  const result = (done: boolean): VerifyWorkUnitResult => ({
    done,
    resume,
    resumedFrom,
    ...total,
    candidates: candidatesRecorded,
    firstDetectedAt,
  });
  if (stored?.done) return { ...result(true), resume: stored.resume };
  let savedAt = Date.now();
  const save = async (done: boolean): Promise<void> => {
    await checkpoints(destination).replaceOne({ _id: first }, { resume, ...total, done }, { upsert: true });
    savedAt = Date.now();
  };
  const saveWhenDue = async (): Promise<void> => {
    if (Date.now() - savedAt >= CHECKPOINT_INTERVAL_MS) await save(false);
  };
  const maxMismatches = input.batchSize * 4;
  /** Records a batch's differences as candidates, stamped with a source time taken after the batch. */
  const recordFound = async (position: RangePosition): Promise<void> => {
    if (position.mismatches.length === 0) return;
    // Every source write before this time is one the applier must have applied before a recheck.
    const detectedAt = await noteClusterTime(source, { c2cSync: input.syncId, reason: 'verification candidate' });
    await recordCandidates(
      destination,
      position.mismatches.map((m) => ({ key: { db: m.db, coll: m.coll, id: m.id }, kind: m.kind })),
      detectedAt,
    );
    candidatesRecorded += position.mismatches.length;
    if (firstDetectedAt === null || compareClusterTimes(detectedAt, firstDetectedAt) < 0) firstDetectedAt = detectedAt;
  };
  const collectionsOf = (partition: PartitionRange) => ({
    source: source.db(partition.db).collection(partition.coll),
    destination: destination.db(partition.db).collection(partition.coll),
  });
  const boundsOf = (partition: PartitionRange) => ({
    ...(partition.min !== null ? { min: decodeId(partition.min) } : {}),
    ...(partition.max !== null ? { max: decodeId(partition.max) } : {}),
  });

  // Comparisons ahead of the one in order: settled promises (never rejected), ended by `stopAhead`.
  const ahead = new Map<number, Promise<{ found: AheadResult } | { error: unknown }>>();
  let stopAhead = new AbortController();
  const endAhead = async (): Promise<void> => {
    stopAhead.abort();
    await Promise.all(ahead.values());
    ahead.clear();
    stopAhead = new AbortController();
  };
  const compareAhead = async (partition: PartitionRange, shapes: { source: CollectionShape; destination: CollectionShape }): Promise<AheadResult> => {
    const sides = collectionsOf(partition);
    let found: AheadResult | null = null;
    try {
      const compared = await compareRange(sides.source, sides.destination, boundsOf(partition), {
        batchSize: AHEAD_BATCH_SIZE,
        maxMismatches: AHEAD_BATCH_SIZE,
        shapes,
        signal: stopAhead.signal,
        onBatch: async (position) => {
          await recordFound(position);
          found = { done: position.done, lastId: position.lastId, sourceDocuments: position.sourceDocuments, destinationDocuments: position.destinationDocuments };
          if (!position.done) throw new StopComparison();
        },
      });
      // A range with no document reports no batch.
      return found ?? { done: true, lastId: compared.lastId, sourceDocuments: compared.sourceDocuments, destinationDocuments: compared.destinationDocuments };
    } catch (error) {
      if (error instanceof StopComparison && found) return found;
      throw error;
    }
  };

  try {
    for (let unit = unitOf(resume, first); unit < end; unit = unitOf(resume, first)) {
      const partitions = await readUnit(destination, unit);
      const shapes = await shapesOf(source, destination, partitions.slice(resume.partition));
      const lookAhead = (): void => {
        if (partitions.length < 2 || Date.now() >= deadline) return;
        const last = Math.min(partitions.length - 1, resume.partition + PARTITIONS_AHEAD);
        for (let p = resume.partition + 1; p <= last; p++) {
          if (ahead.has(p)) continue;
          const partition = partitions[p]!;
          ahead.set(
            p,
            compareAhead(partition, shapes(partition)).then(
              (found) => ({ found }),
              (error: unknown) => ({ error }),
            ),
          );
        }
      };
      while (resume.partition < partitions.length) {
        const partition = partitions[resume.partition]!;
        const ns = planKey(partition.db, partition.coll);
        lookAhead();
        let counted = { ...total };
        const early = ahead.get(resume.partition);
        if (early) {
          ahead.delete(resume.partition);
          const outcome = await early;
          if ('error' in outcome) throw asFailure(outcome.error, ns);
          const found = outcome.found;
          // Compared ahead from the partition's start: this partition had no position of its own.
          total.sourceDocuments = counted.sourceDocuments + found.sourceDocuments;
          total.destinationDocuments = counted.destinationDocuments + found.destinationDocuments;
          progress.beat();
          if (found.done) {
            resume = resume.partition + 1 < partitions.length ? { unit, partition: resume.partition + 1, after: null } : { unit: unit + 1, partition: 0, after: null };
            if (partition.max === null) total.collectionsScanned += 1;
            await saveWhenDue();
            if (unitOf(resume, first) !== unit) break;
            if (Date.now() >= deadline) {
              await save(false);
              return result(false);
            }
            continue;
          }
          resume = { unit, partition: resume.partition, after: encodeId(found.lastId) };
          counted = { ...total };
          if (Date.now() >= deadline) {
            await save(false);
            return result(false);
          }
        }
        const sides = collectionsOf(partition);
        try {
          await compareRange(sides.source, sides.destination, boundsOf(partition), {
            ...(resume.after !== null ? { after: decodeId(resume.after) } : {}),
            batchSize: input.batchSize,
            maxMismatches,
            shapes: shapes(partition),
            onBatch: async (position) => {
              await recordFound(position);
              resume = { unit, partition: resume.partition, after: encodeId(position.lastId) };
              total.sourceDocuments = counted.sourceDocuments + position.sourceDocuments;
              total.destinationDocuments = counted.destinationDocuments + position.destinationDocuments;
              await saveWhenDue();
              progress.beat();
              if (Date.now() >= deadline || position.mismatchCount > maxMismatches - input.batchSize) throw new StopComparison();
            },
          });
        } catch (error) {
          if (!(error instanceof StopComparison)) throw asFailure(error, ns);
          if (Date.now() >= deadline) {
            await save(false);
            return result(false);
          }
          continue; // the mismatch list filled up: a new comparison from the position reached
        }
        resume = resume.partition + 1 < partitions.length ? { unit, partition: resume.partition + 1, after: null } : { unit: unit + 1, partition: 0, after: null };
        if (partition.max === null) total.collectionsScanned += 1;
        progress.beat();
        if (unitOf(resume, first) !== unit) break;
        if (Date.now() >= deadline) {
          await save(false);
          return result(false);
        }
      }
      await endAhead();
      if (partitions.length === 0) resume = { unit: unit + 1, partition: 0, after: null };
      if (unitOf(resume, first) < end && Date.now() >= deadline) {
        await save(false);
        return result(false);
      }
    }
  } finally {
    // Nothing of a comparison ahead outlives the call (it would record candidates after it ended).
    await endAhead();
  }
  await save(true);
  progress.beatNow();
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
  /** the earliest stamp of the undecided candidates left (null: none) */
  nextDueAt?: ClusterTime | null;
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
  const found: RecheckResult = { candidates: 0, deferred: 0, mismatchCount: 0, mismatches: [], nextDueAt: null };
  const waits = (at: ClusterTime): void => {
    if (!found.nextDueAt || compareClusterTimes(at, found.nextDueAt) < 0) found.nextDueAt = at;
  };
  const progress = new ActivityProgress(() => ({ confirmed: found.mismatchCount }));
  let after: DocumentKey | null = null;
  for (;;) {
    const filter: Document = after === null ? {} : { _id: { $gt: after } };
    const page = await candidates(destination).find(filter, { ...TYPED_READ, sort: { _id: 1 }, limit: PAGE }).toArray();
    if (page.length === 0) break;
    after = page[page.length - 1]!._id;
    const due = page.filter((entry) => compareClusterTimes(entry.detectedAt, input.appliedThrough) <= 0);
    for (const entry of page) if (!entry.deferred && !due.includes(entry)) waits(entry.detectedAt);
    if (due.length > 0) {
      const keys = due.map((entry) => entry._id);
      const [s, d] = await Promise.all([rawDocuments(source, keys), rawDocuments(destination, keys)]);
      const now = await noteClusterTime(source, { c2cSync: input.syncId, reason: 'verification recheck' });
      const writes: AnyBulkWriteOperation<CandidateEntry>[] = [];
      const differing = due.flatMap((_, i) => (sameBytes(s[i]!, d[i]!) ? [] : [i]));
      const resyncing = new Set(
        (await Promise.all(differing.map(async (i) => ((await awaitsResync(destination, due[i]!._id)) ? [i] : [])))).flat(),
      );
      const confirmed: { key: DocumentKey; kind: string }[] = [];
      for (const [i, entry] of due.entries()) {
        if (sameBytes(s[i]!, d[i]!)) {
          writes.push({ deleteOne: { filter: { _id: entry._id } } });
          continue;
        }
        const digest = digestOf(s[i]!);
        if (resyncing.has(i)) {
          writes.push({ updateOne: { filter: { _id: entry._id }, update: { $set: { sourceDigest: digest, deferred: true } } } });
        } else if (entry.sourceDigest !== undefined && entry.sourceDigest === digest) {
          confirmed.push({ key: entry._id, kind: differenceKind(s[i]!, d[i]!) });
          writes.push({ deleteOne: { filter: { _id: entry._id } } });
        } else {
          const rechecks = entry.rechecks + 1;
          if (rechecks < MAX_RECHECKS) waits(now);
          writes.push({
            updateOne: { filter: { _id: entry._id }, update: { $set: { sourceDigest: digest, detectedAt: now, rechecks, deferred: rechecks >= MAX_RECHECKS } } },
          });
        }
      }
      // A mismatch is recorded before its candidate goes: a retry finds it one way or the other.
      await recordMismatches(destination, confirmed);
      for (const { key, kind } of confirmed) noteConfirmed(key, kind, found);
      await candidates(destination).bulkWrite(writes, { ordered: true });
    }
    progress.beat();
  }
  found.candidates = await candidates(destination).countDocuments({});
  found.deferred = await candidates(destination).countDocuments({ deferred: true });
  return found;
}

function noteConfirmed(key: DocumentKey, kind: string, found: RecheckResult): void {
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
      const keys = page.map((entry) => entry._id);
      const [s, d] = await Promise.all([rawDocuments(source, keys), rawDocuments(destination, keys)]);
      await recordMismatches(
        destination,
        keys.flatMap((key, i) => (sameBytes(s[i]!, d[i]!) ? [] : [{ key, kind: differenceKind(s[i]!, d[i]!) }])),
      );
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
