// Applies a batch of source change events to the destination: CRUD writes per document key in
// rounds (keys in parallel, each key in stream order), DDL at barriers, with the sync's
// relaxations. Every write is idempotent, so replaying a batch after a crash converges.
import { ApplicationFailure } from '@temporalio/activity';
import {
  type AnyBulkWriteOperation,
  Binary,
  type ChangeStreamDocument,
  type Document,
  type MongoClient,
  type UUID,
} from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { toClusterTime } from '../mongo/cluster-time';
import { perDocumentWriteErrors } from '../mongo/write-outcome';
import { namespacesWithCollatableKeys, namespaceString, planApply, type PlanStep, type PlannedWrite, type RoundGroup, segmentRounds } from '../sync/apply-batching';
import { SyncErrorName } from '../sync/errors';
import { isOversizedStatement, MAX_STATEMENT_BYTES, STATEMENT_OVERHEAD_BYTES } from '../sync/oversize-write';
import {
  type DdlOperation,
  type EventNamespace,
  resyncOperation,
  toBulkWriteOperation,
  translateChangeEvent,
} from '../sync/event-translation';
import type { DdlEvent } from '../sync/ddl-replay';
import type { NamespaceMatcher } from '../sync/namespace-filter';
import type { BuildIndexesMode } from '../sync/start-options';
import { compareClusterTimes, type ClusterTime } from '../sync/vocabulary';
import { changeIdentity, RecordedChanges } from './changed-set-memory';
import { CollatedNamespaces } from './collated-namespaces';
import { DestinationDdl, uuidKey } from './destination-ddl';
import { throwIfAttemptLost } from './heartbeat';
import { bulkReplace } from './id-type-change';
import { fitted } from './oversize-writes';
import { recordForResync } from './resync-set';
import { recordChanged } from './verifier-store';

/** Longest gap between two heartbeats while a batch is applied. */
const HEARTBEAT_EVERY_MS = 1000;
const CRUD_TYPES = new Set(['insert', 'update', 'replace', 'delete']);

export function isDdlEvent(event: ChangeStreamDocument): boolean {
  return !CRUD_TYPES.has(event.operationType);
}

export interface DestinationWriterOptions {
  source: MongoClient;
  destination: MongoClient;
  filter: NamespaceMatcher;
  buildIndexes: BuildIndexesMode;
  /** events before this source time happened during the collection copy */
  copyCompletedAt: ClusterTime | null;
  /** this attempt replays events an earlier, interrupted attempt may have applied */
  replaying: boolean;
  /** record every document written in the embedded verifier's changed set */
  recordChanges?: boolean;
  /** what was recorded there already (by earlier iterations); by default, what this writer records */
  changesRecorded?: RecordedChanges;
  /** heartbeats the caller's checkpoint during long steps (a recopy, a long chain of writes of one document) */
  heartbeat?: () => void;
}

export class DestinationWriter {
  private readonly ddl: DestinationDdl;
  private readonly collated: CollatedNamespaces;
  private readonly changesRecorded: RecordedChanges;

  constructor(private readonly options: DestinationWriterOptions) {
    this.changesRecorded = options.changesRecorded ?? new RecordedChanges();
    this.collated = new CollatedNamespaces(options.destination);
    this.ddl = new DestinationDdl({
      source: options.source,
      destination: options.destination,
      buildIndexes: options.buildIndexes,
      heartbeat: options.heartbeat,
    });
  }

  /**
   * Applies `events` in order; returns the time of the last DDL event applied, if any.
   * `eventBytes`, the sum of the events' BSON sizes when the caller knows it, spares measuring
   * each write against the driver's statement limit when no write can come near it.
   */
  async apply(events: ChangeStreamDocument[], eventBytes?: number): Promise<{ lastDdlAt: ClusterTime | null }> {
    const fitsStatements = eventBytes !== undefined && eventBytes + STATEMENT_OVERHEAD_BYTES < MAX_STATEMENT_BYTES;
    await this.ddl.recover();
    const translations = events.map((event) => translateChangeEvent(event as Document));
    // Keys that a collection's collation may hold equal must not run in parallel.
    const serializedNamespaces = await this.collated.among(namespacesWithCollatableKeys(translations));
    const plan = planApply(translations, { serializedNamespaces });
    await this.ddl.prepareCrudTargets(crudTargetsOf(plan.steps, events));
    let lastDdlAt: ClusterTime | null = null;
    let lastBeat = Date.now();
    for (const step of plan.steps) {
      if (step.kind === 'crud') {
        // A document changed thousands of times in one batch is thousands of rounds, one write
        // each: the batch can outlast the heartbeat timeout, so it heartbeats between rounds.
        for (const round of segmentRounds(step)) {
          await Promise.all(round.map((group) => this.applyGroup(group, events, fitsStatements)));
          // a batch is applied whole: the workflow's request to end the iteration waits for it
          throwIfAttemptLost();
          if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
            this.options.heartbeat?.();
            lastBeat = Date.now();
          }
        }
      } else {
        const event = events[step.covers[0]!]!;
        await this.applyDdl(step.operation, event);
        this.collated.forget();
        lastDdlAt = toClusterTime(event.clusterTime!);
      }
    }
    if (plan.stop) {
      throw ApplicationFailure.nonRetryable(
        `cannot apply the source's '${plan.stop.operationType}' event: ${plan.stop.reason}`,
        SyncErrorName.UnsupportedOperation,
      );
    }
    return { lastDdlAt };
  }

  /** Whether the event may meet a later state of its document on the destination. */
  private mayMeetLaterState(event: ChangeStreamDocument | undefined): boolean {
    if (this.options.replaying) return true;
    const copyCompletedAt = this.options.copyCompletedAt;
    return event !== undefined && copyCompletedAt !== null && compareClusterTimes(toClusterTime(event.clusterTime!), copyCompletedAt) < 0;
  }

  /** `fitsStatements`: every write made from the events fits one statement (see STATEMENT_OVERHEAD_BYTES) */
  private async applyGroup(group: RoundGroup, events: ChangeStreamDocument[], fitsStatements: boolean): Promise<void> {
    // The destination collection of the group's source collection (it may have been renamed
    // since); none when that collection was dropped since or a later one holds the name.
    const target = await this.ddl.crudTarget(group.ns, uuidOfGroup(group, events));
    if (!target) return;
    // Resolved once per group, and only when a document has to be read from the source.
    let location: Promise<EventNamespace | null> | undefined;
    const readSource = async (documentKey: Document): Promise<Document | null> => {
      location ??= this.locateSource(group.ns, uuidOfGroup(group, events));
      const where = await location;
      return where ? this.options.source.db(where.db).collection(where.coll).findOne(documentKey, TYPED_READ) : null;
    };
    // An update the driver would refuse as too large is taken from the source instead.
    const direct = group.writes.map((planned) => {
      const operation = toBulkWriteOperation(planned.documentKey, planned.write);
      return operation && (fitsStatements || !(isOversizedStatement(operation) && 'updateOne' in operation)) ? operation : null;
    });
    const resync = group.writes
      .filter((planned, i) => !direct[i] || planned.covers.some((index) => this.mayMeetLaterState(events[index])))
      .map((planned) => planned.documentKey._id);
    // The writes of a group are of distinct documents (a serialized queue gives one per round),
    // so their source reads can run together. When every write is direct and fits a statement
    // (the usual case), there is nothing to await.
    const operations: AnyBulkWriteOperation<Document>[] =
      fitsStatements && direct.every((operation) => operation !== null)
        ? (direct as AnyBulkWriteOperation<Document>[])
        : await Promise.all(
            group.writes.map(async (planned, i) => {
              const operation = direct[i];
              if (operation && fitsStatements) return operation;
              return fitted(this.options.destination, target, operation ?? resyncOperation(planned.documentKey, await readSource(planned.documentKey)));
            }),
          );
    // The records and the writes are independent: they run together, and the batch (so the
    // checkpoint) is done only once all of them are.
    const recording = Promise.all([
      recordForResync(this.options.destination, target, resync),
      this.options.recordChanges ? this.recordChanged(target, group.writes.map((planned) => planned.documentKey._id)) : undefined,
    ]);
    // awaited below; a failed write throws without waiting for it
    recording.catch(() => undefined);
    const collection = this.options.destination.db(target.db).collection(target.coll);
    try {
      await collection.bulkWrite(operations, { ordered: false, bypassDocumentValidation: true });
    } catch (error) {
      // A write-concern, command or network error fails the whole group: the activity is retried
      // and the checkpoint stays before these events.
      const failed = perDocumentWriteErrors(error);
      if (!failed) throw error;
      // A replayed update can meet a later state it does not fit (a type conflict, a transient
      // unique conflict): the document is then taken from the source as it is now.
      await recordForResync(
        this.options.destination,
        target,
        failed.map((writeError) => group.writes[writeError.index]!.documentKey._id),
      );
      for (const writeError of failed) {
        const documentKey = group.writes[writeError.index]!.documentKey;
        const current = await readSource(documentKey);
        await bulkReplace(collection, [await fitted(this.options.destination, target, resyncOperation(documentKey, current))]);
      }
    }
    await recording;
  }

  /**
   * Records documents in the embedded verifier's changed set, leaving out those recorded
   * already (changed-set-memory.ts: an entry once written stays while events are applied).
   */
  private async recordChanged(target: EventNamespace, ids: unknown[]): Promise<void> {
    const identities = ids.map((id) => changeIdentity(target, id));
    const fresh = ids.filter((_, i) => !this.changesRecorded.has(identities[i]!));
    await recordChanged(this.options.destination, target, fresh);
    this.changesRecorded.add(identities);
  }

  /**
   * Where the group's documents live on the source now: the event's namespace, or wherever the
   * collection with the event's UUID was renamed to since; null when it is gone.
   */
  private async locateSource(ns: EventNamespace, uuid: UUID | undefined): Promise<EventNamespace | null> {
    if (!uuid) return ns;
    const info = await this.options.source.db(ns.db).listCollections({ name: ns.coll }).next();
    const currentUuid = (info as Document | null)?.info?.uuid as UUID | undefined;
    if (currentUuid?.equals(uuid)) return ns;
    const moved = await this.options.source.db(ns.db).listCollections({ 'info.uuid': uuid }).next();
    return moved ? { db: ns.db, coll: moved.name } : null;
  }

  private async applyDdl(operation: DdlOperation, event: ChangeStreamDocument): Promise<void> {
    const uuid = uuidKey((event as { collectionUUID?: unknown }).collectionUUID);
    const dropTarget = (event as { operationDescription?: { dropTarget?: unknown } }).operationDescription?.dropTarget;
    let renameAction: DdlEvent['renameAction'];
    let recopy = false;
    if (operation.type === 'rename') {
      const decision = this.options.filter.checkRenameAllowed(operation.from, operation.to);
      if (!decision.ok) throw ApplicationFailure.nonRetryable(decision.error, SyncErrorName.NamespaceFilterViolation);
      renameAction = decision.action;
      // A collection that arrives from outside the filter, or one renamed while the copy ran (the
      // copy may have missed documents it had not read yet), is copied again as it is now.
      const duringCopy =
        this.options.copyCompletedAt !== null && compareClusterTimes(toClusterTime(event.clusterTime!), this.options.copyCompletedAt) < 0;
      recopy = decision.action === 'copyIn' || duringCopy;
    }
    await this.ddl.applyEvent({
      operation,
      at: toClusterTime(event.clusterTime!),
      uuid,
      dropTargetUuid: uuidKey(dropTarget),
      renameAction,
      recopy,
    });
  }
}

/**
 * The (namespace, collection UUID) pairs the CRUD steps write, each once: the events of a
 * collection carry equal UUIDs, so a batch has as many pairs as collections, not writes.
 */
function crudTargetsOf(steps: readonly PlanStep[], events: ChangeStreamDocument[]): { ns: EventNamespace; uuid: UUID | undefined }[] {
  const targets: { ns: EventNamespace; uuid: UUID | undefined }[] = [];
  const seen = new Map<string, (UUID | undefined)[]>();
  for (const step of steps) {
    if (step.kind !== 'crud') continue;
    for (const queue of step.queues) {
      const uuid = uuidOfWrites(queue.writes, events);
      const name = namespaceString(queue.ns);
      let uuids = seen.get(name);
      if (!uuids) seen.set(name, (uuids = []));
      if (uuids.some((known) => sameUuid(known, uuid))) continue;
      uuids.push(uuid);
      targets.push({ ns: queue.ns, uuid });
    }
  }
  return targets;
}

function sameUuid(a: UUID | undefined, b: UUID | undefined): boolean {
  if (a === b) return true;
  if (!(a instanceof Binary) || !(b instanceof Binary)) return false;
  return a.sub_type === b.sub_type && Buffer.compare(a.buffer, b.buffer) === 0;
}

function uuidOfGroup(group: RoundGroup, events: ChangeStreamDocument[]): UUID | undefined {
  return uuidOfWrites(group.writes, events);
}

function uuidOfWrites(writes: readonly PlannedWrite[], events: ChangeStreamDocument[]): UUID | undefined {
  for (const planned of writes) {
    for (const index of planned.covers) {
      const uuid = (events[index] as { collectionUUID?: UUID } | undefined)?.collectionUUID;
      if (uuid) return uuid;
    }
  }
  return undefined;
}
