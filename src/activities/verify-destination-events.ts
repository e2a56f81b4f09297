// The embedded verifier's follower of the destination's change stream (docs/embedded-verifier.md,
// "Writes made on the destination"). A range comparison sees the destination once; a write made
// there later, to a document the applier never writes, would go unseen. So from a start point
// taken when verification begins (before any range is compared), every destination event on a
// synced namespace is recorded for the commit check:
// - a document event (insert, update, replace, delete) adds its _id to the changed set, which the
//   commit check rechecks (the applier's own writes arrive here too: the set holds them already,
//   and an _id this worker knows the set holds is not inserted again: changed-set-memory.ts);
// - a drop or a rename of a synced collection, which changes documents without a document event,
//   records the whole namespace (both names of a rename): the commit check compares it whole;
// - other DDL (createIndexes, dropIndexes, collMod, create, ...) changes no document and is not
//   followed here: the sync makes such changes itself, and the catalog is the catalog check's;
// - dropDatabase needs nothing: the server emits a drop for each of its collections before it.
//
// The stream's position (resume token, or the start time) is checkpointed in the verifier's store
// on the destination after the entries it covers, so a retry, a restart or a worker killed with
// SIGKILL resumes where it was, and events that happened while no worker ran are read then. A
// destination oplog that no longer holds that position fails the sync (ChangeStreamHistoryLost):
// what happened on the destination meanwhile cannot be known.
import { ApplicationFailure } from '@temporalio/activity';
import { type ClientSession, type Document, type Long, type MongoClient, MongoServerError } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import type { ClusterConnections } from '../mongo/cluster-clients';
import { toTimestamp } from '../mongo/cluster-time';
import { noteClusterTime } from '../mongo/commands';
import { isServerError, ServerErrorCode } from '../mongo/server-errors';
import { buildChangeStreamMatchStage } from '../sync/change-stream-filter';
import { planKey } from '../sync/copy-plan';
import { SyncErrorName } from '../sync/errors';
import { compileNamespaceFilter, type NamespaceMatcher } from '../sync/namespace-filter';
import { C2C_VERIFIER_DB } from '../sync/namespace-names';
import type { SyncScope } from '../sync/start-options';
import { type ClusterLabel, type ClusterTime, clusterTimeFromResumeToken, compareClusterTimes } from '../sync/vocabulary';
import { compareRange } from '../verify/compare-range';
import { decodeId, encodeId } from './copy-partition';
import { ActivityProgress } from './heartbeat';
import { changeIdentity, type RecordedChanges, recordedChangesFor } from './changed-set-memory';
import { recordChanged, recordMismatches } from './verifier-store';

/** Where the follower resumes: after a resume token, or at a destination time (the start point). */
interface StreamPosition {
  _id: 'destinationEvents';
  resumeToken: { _data: string } | null;
  startAt: ClusterTime | null;
}

/** Where a whole-namespace comparison stands: the namespace and the last _id compared. */
interface NamespacePosition {
  db: string;
  coll: string;
  after: string | null;
}

/** What the follower heartbeats: how far it has read, and where the commit's comparison stands. */
interface FollowHeartbeat {
  through: ClusterTime | null;
  namespace: NamespacePosition | null;
}

interface NamespaceEntry {
  _id: { db: string; coll: string };
}

const positions = (destination: MongoClient) => destination.db(C2C_VERIFIER_DB).collection<StreamPosition>('streamPosition');
/** Namespaces dropped or renamed on the destination while the verifier ran: compared whole at commit. */
export const changedNamespaces = (destination: MongoClient) => destination.db(C2C_VERIFIER_DB).collection<NamespaceEntry>('changedNamespaces');

/** How often an idle follower moves its durable position on (it always does after recording entries). */
const POSITION_INTERVAL_MS = 1000;
/** Document mismatches a whole-namespace comparison records before it stops (the commit fails anyway). */
const MAX_NAMESPACE_MISMATCHES = 1000;
const DOCUMENT_EVENTS = ['insert', 'update', 'replace', 'delete'];
const NAMESPACE_EVENTS = ['drop', 'rename'];

export interface BeginDestinationEventsInput {
  destination: ClusterLabel;
  syncId: string;
}

/**
 * Takes the follower's start point (the destination's time now) unless the store has a position
 * already: called once the store is claimed and before any range is compared. Idempotent.
 */
export async function beginDestinationEvents(clients: ClusterConnections, input: BeginDestinationEventsInput): Promise<ClusterTime> {
  const destination = clients.client(input.destination);
  const stored = await positions(destination).findOne({ _id: 'destinationEvents' });
  if (stored) return positionTime(stored)!;
  const startAt = await noteClusterTime(destination, { c2cSync: input.syncId, reason: 'verification follows the destination' });
  await positions(destination).updateOne({ _id: 'destinationEvents' }, { $setOnInsert: { resumeToken: null, startAt } }, { upsert: true });
  return positionTime((await positions(destination).findOne({ _id: 'destinationEvents' }))!)!;
}

export interface FollowDestinationEventsInput extends SyncScope {
  /** return after this long (unless `drain`) */
  maxDurationMs: number;
  /** events per getMore */
  batchSize: number;
  /**
   * the commit check: note the destination's time now, read every event up to it, then compare
   * the recorded namespaces whole; the result says whether that point was reached
   */
  drain?: boolean;
  syncId: string;
}

export interface FollowDestinationEventsResult {
  /** destination events on synced namespaces read by this call */
  events: number;
  /** document events among them (their _ids went to the changed set) */
  documentEvents: number;
  /** drops and renames among them (their namespaces are compared whole at commit) */
  namespaceEvents: number;
  /** every destination event up to this time is recorded */
  through: ClusterTime | null;
  /** drain: the point noted at the start was reached and the namespaces compared */
  drained: boolean;
  /** drain: document mismatches the whole-namespace comparisons recorded */
  mismatchCount: number;
}

/**
 * Reads the destination's change stream from the stored position for up to `maxDurationMs`,
 * recording what each event changed, then the position. With `drain`, reads up to a point taken
 * at its start (the destination is write-blocked by then, or no longer written to) and compares
 * the recorded namespaces.
 */
export async function followDestinationEvents(clients: ClusterConnections, input: FollowDestinationEventsInput): Promise<FollowDestinationEventsResult> {
  const destination = clients.client(input.destination);
  const source = clients.client(input.source);
  const filter = compileNamespaceFilter(input);
  const result: FollowDestinationEventsResult = { events: 0, documentEvents: 0, namespaceEvents: 0, through: null, drained: false, mismatchCount: 0 };
  const comparing: { namespace: NamespacePosition | null } = { namespace: null };
  const progress = new ActivityProgress<FollowHeartbeat>(() => ({ through: result.through, namespace: comparing.namespace }));
  const until = input.drain ? await noteClusterTime(destination, { c2cSync: input.syncId, reason: 'verification reads the destination up to here' }) : null;
  const deadline = Date.now() + input.maxDurationMs;

  let position: StreamPosition =
    (await positions(destination).findOne({ _id: 'destinationEvents' })) ??
    // a run whose verifier began before the follower existed follows from now
    { _id: 'destinationEvents', resumeToken: null, startAt: await beginDestinationEvents(clients, input) };
  result.through = positionTime(position);
  let savedAt = Date.now();
  const save = async (): Promise<void> => {
    await positions(destination).replaceOne({ _id: 'destinationEvents' }, { resumeToken: position.resumeToken, startAt: position.startAt }, { upsert: true });
    savedAt = Date.now();
  };

  // what the changed set is known to hold (the applier's records, this worker's earlier calls)
  const memory = await recordedChangesFor(destination);
  const stream = new DestinationEventCursor(destination, filter, input.batchSize);
  try {
    await stream.open(position);
    for (;;) {
      progress.beat();
      const events = await stream.next();
      const recorded = await record(destination, filter, memory, events);
      result.events += events.length;
      result.documentEvents += recorded.documents;
      result.namespaceEvents += recorded.namespaces;
      const token = stream.resumeToken;
      const moved = token && token._data !== position.resumeToken?._data;
      if (moved) {
        position = { _id: 'destinationEvents', resumeToken: token, startAt: null };
        result.through = positionTime(position);
      }
      if (moved && (events.length > 0 || Date.now() - savedAt >= POSITION_INTERVAL_MS)) await save();
      if (until && result.through && compareClusterTimes(result.through, until) >= 0) break;
      if (!until && Date.now() >= deadline) break;
      // a cursor the server closed (it never does for a cluster-wide stream but by killing it) opens again from here
      if (stream.exhausted) await stream.open(position);
    }
    if (position.resumeToken) await save();
  } catch (error) {
    throw asFailure(error);
  } finally {
    await stream.close();
  }
  progress.beatNow();
  if (until) {
    result.mismatchCount = await compareNamespaces(source, destination, progress, comparing);
    result.drained = true;
  }
  return result;
}

function positionTime(position: Pick<StreamPosition, 'resumeToken' | 'startAt'>): ClusterTime | null {
  return (position.resumeToken && clusterTimeFromResumeToken(position.resumeToken)) ?? position.startAt;
}

/**
 * The follower's change stream, read with the aggregate and getMore commands themselves (one
 * explicit session, as a cursor requires): each getMore's whole batch is handed over at once, and
 * the position after it is the batch's postBatchResumeToken. The driver's ChangeStream hands out
 * one event per call (a few promises each), which cost about as much CPU as serving the projected
 * event, for a stream that carries every write the applier makes. A resumable error is not
 * retried here: the activity fails and its retry resumes from the stored position.
 */
class DestinationEventCursor {
  private session: ClientSession | undefined;
  private cursorId: Long | number | bigint = 0;
  private firstBatch: Document[] | undefined;
  /** where the stream stands after the events handed out so far (the server's postBatchResumeToken) */
  resumeToken: { _data: string } | null = null;
  exhausted = false;

  constructor(
    private readonly destination: MongoClient,
    private readonly filter: NamespaceMatcher,
    private readonly batchSize: number,
  ) {}

  async open(from: StreamPosition): Promise<void> {
    await this.killCursor();
    this.session ??= this.destination.startSession({ causalConsistency: false });
    const reply = await this.destination.db('admin').command(
      {
        aggregate: 1,
        pipeline: [
          {
            $changeStream: {
              allChangesForCluster: true,
              ...(from.resumeToken ? { resumeAfter: from.resumeToken } : { startAtOperationTime: toTimestamp(from.startAt!) }),
            },
          },
          buildChangeStreamMatchStage(this.filter),
          { $match: { operationType: { $in: [...DOCUMENT_EVENTS, ...NAMESPACE_EVENTS] } } },
          // only what says which document or namespace changed: the documents themselves stay on the server
          { $project: { operationType: 1, ns: 1, to: 1, documentKey: 1 } },
        ],
        cursor: { batchSize: this.batchSize },
      },
      { ...TYPED_READ, session: this.session },
    );
    const cursor = reply.cursor as { id: Long | number | bigint; firstBatch: Document[]; postBatchResumeToken?: { _data: string } };
    this.cursorId = cursor.id;
    this.firstBatch = cursor.firstBatch;
    this.exhausted = isZero(cursor.id);
    this.resumeToken = from.resumeToken;
    this.moveTo(cursor.firstBatch, cursor.postBatchResumeToken);
  }

  /** The next batch of events (waits up to 200 ms for one when there is none); may be empty. */
  async next(): Promise<Document[]> {
    if (this.firstBatch) {
      const batch = this.firstBatch;
      this.firstBatch = undefined;
      if (batch.length > 0 || this.exhausted) return batch;
    }
    if (this.exhausted) return [];
    const reply = await this.destination.db('admin').command(
      { getMore: this.cursorId, collection: '$cmd.aggregate', batchSize: this.batchSize, maxTimeMS: 200 },
      { ...TYPED_READ, session: this.session },
    );
    const cursor = reply.cursor as { id: Long | number | bigint; nextBatch: Document[]; postBatchResumeToken?: { _data: string } };
    this.exhausted = isZero(cursor.id);
    if (this.exhausted) this.cursorId = 0;
    this.moveTo(cursor.nextBatch, cursor.postBatchResumeToken);
    return cursor.nextBatch;
  }

  private moveTo(events: Document[], postBatchResumeToken: { _data: string } | undefined): void {
    // the postBatchResumeToken is never behind the batch's last event; a server without it: the last event's token
    const token = postBatchResumeToken ?? (events.length > 0 ? (events[events.length - 1]!._id as { _data: string }) : undefined);
    if (token) this.resumeToken = { _data: String(token._data) };
  }

  private async killCursor(): Promise<void> {
    if (isZero(this.cursorId)) return;
    const id = this.cursorId;
    this.cursorId = 0;
    await this.destination
      .db('admin')
      .command({ killCursors: '$cmd.aggregate', cursors: [id] }, { session: this.session })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.killCursor();
    await this.session?.endSession().catch(() => undefined);
    this.session = undefined;
  }
}

function isZero(id: Long | number | bigint): boolean {
  return typeof id === 'object' ? id.isZero() : Number(id) === 0;
}

/**
 * Records the documents and namespaces the events changed; idempotent (a replay records nothing
 * new). A document the changed set is known to hold already (`recorded`: written by the applier,
 * or by an earlier batch) is not recorded again: its entry stays until the commit check, which
 * rechecks the document as it is then, whoever wrote it last (changed-set-memory.ts).
 */
async function record(
  destination: MongoClient,
  filter: NamespaceMatcher,
  recorded: RecordedChanges,
  events: readonly Document[],
): Promise<{ documents: number; namespaces: number }> {
  const ids = new Map<string, { ns: { db: string; coll: string }; ids: unknown[]; identities: string[] }>();
  const batch = new Set<string>();
  const namespaces: { db: string; coll: string }[] = [];
  let documents = 0;
  const synced = (ns: { db?: unknown; coll?: unknown } | undefined): ns is { db: string; coll: string } =>
    typeof ns?.db === 'string' && typeof ns.coll === 'string' && filter.isNamespaceIncluded(ns.db, ns.coll);
  for (const event of events) {
    const ns = event.ns as { db: string; coll: string } | undefined;
    if (DOCUMENT_EVENTS.includes(event.operationType as string)) {
      if (!synced(ns)) continue;
      documents += 1;
      const id = (event.documentKey as { _id: unknown })._id;
      const identity = changeIdentity(ns, id);
      if (recorded.has(identity) || batch.has(identity)) continue;
      batch.add(identity);
      const key = planKey(ns.db, ns.coll);
      const group = ids.get(key) ?? { ns: { db: ns.db, coll: ns.coll }, ids: [], identities: [] };
      group.ids.push(id);
      group.identities.push(identity);
      ids.set(key, group);
    } else {
      for (const name of [ns, event.to as typeof ns]) if (synced(name)) namespaces.push({ db: name.db, coll: name.coll });
    }
  }
  await Promise.all(
    [...ids.values()].map(async (group) => {
      await recordChanged(destination, group.ns, group.ids);
      recorded.add(group.identities);
    }),
  );
  if (namespaces.length > 0) {
    await changedNamespaces(destination).bulkWrite(
      namespaces.map((ns) => ({ updateOne: { filter: { _id: ns }, update: { $setOnInsert: {} }, upsert: true } })),
      { ordered: false },
    );
  }
  return { documents, namespaces: namespaces.length };
}

/**
 * Compares every recorded namespace whole (both sides, in _id order), recording its document
 * mismatches; an entry is forgotten once compared, and a retry resumes inside a namespace from
 * the last heartbeat. Returns the mismatches recorded by this call.
 */
async function compareNamespaces(
  source: MongoClient,
  destination: MongoClient,
  progress: ActivityProgress<FollowHeartbeat>,
  comparing: { namespace: NamespacePosition | null },
): Promise<number> {
  const resumed = progress.resumed?.namespace ?? null;
  let found = 0;
  for (;;) {
    const entry = await changedNamespaces(destination).findOne({}, { ...TYPED_READ, sort: { _id: 1 } });
    if (!entry) return found;
    const { db, coll } = entry._id;
    const position: NamespacePosition = { db, coll, after: resumed && resumed.db === db && resumed.coll === coll ? resumed.after : null };
    comparing.namespace = position;
    try {
      await compareRange(
        source.db(db).collection(coll),
        destination.db(db).collection(coll),
        {},
        {
          ...(position.after !== null ? { after: decodeId(position.after) } : {}),
          maxMismatches: MAX_NAMESPACE_MISMATCHES,
          onBatch: async (at) => {
            await recordMismatches(
              destination,
              at.mismatches.map((m) => ({ key: { db: m.db, coll: m.coll, id: m.id }, kind: m.kind })),
            );
            found += at.mismatches.length;
            position.after = encodeId(at.lastId);
            progress.beat();
          },
        },
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'CollationMismatchError') {
        throw ApplicationFailure.nonRetryable(`verification cannot compare ${planKey(db, coll)}: ${error.message}`, SyncErrorName.VerificationFailed);
      }
      throw error;
    }
    await changedNamespaces(destination).deleteOne({ _id: entry._id });
    comparing.namespace = null;
    progress.beatNow();
  }
}

function asFailure(error: unknown): unknown {
  if (error instanceof MongoServerError && isServerError(error, ServerErrorCode.ChangeStreamHistoryLost)) {
    return ApplicationFailure.nonRetryable(
      `the destination's oplog no longer holds the position from which the verifier follows the destination's writes ` +
        `(workers were down for longer than the destination's oplog window): writes made on the destination meanwhile ` +
        `cannot be checked; start a new sync, or one without verification (server: ${error.message})`,
      SyncErrorName.ChangeStreamHistoryLost,
    );
  }
  return error;
}
