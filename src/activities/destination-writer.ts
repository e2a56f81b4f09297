// Applies a batch of source change events to the destination: CRUD writes per document key in
// rounds (keys in parallel, each key in stream order), DDL at barriers, with the sync's
// relaxations. Every write is idempotent, so replaying a batch after a crash converges.
import { ApplicationFailure } from '@temporalio/activity';
import {
  type AnyBulkWriteOperation,
  type ChangeStreamDocument,
  type Document,
  type MongoClient,
  MongoBulkWriteError,
  type UUID,
} from 'mongodb';
import { isServerError, TYPED_READ } from '../mongo/bson-fidelity';
import { toOpTime } from '../mongo/op-time';
import { bsonSize } from '../sync/document-size';
import { planApply, type RoundGroup, segmentRounds } from '../sync/apply-batching';
import { SyncErrorName } from '../sync/errors';
import { isOversizedStatement } from '../sync/oversize-write';
import {
  type DdlOperation,
  type EventNamespace,
  resyncOperation,
  toBulkWriteOperation,
  translateChangeEvent,
} from '../sync/event-translation';
import { relaxCollModForSync, relaxCollectionOptions, relaxIndexSpec, shouldBuildIndex } from '../sync/index-relaxation';
import type { NamespaceMatcher } from '../sync/namespace-filter';
import { isSystemCollection } from '../sync/namespace-names';
import type { BuildIndexesMode } from '../sync/start-options';
import { compareOpTime, type OpTime } from '../workflows/types';
import { createCollectionOnDestination, createIndexesOnDestination, relaxedIndexSpecs } from './catalog';
import { fitted } from './oversize-writes';
import { recordCollectionForResync, recordForResync } from './resync-set';

const CRUD_TYPES = new Set(['insert', 'update', 'replace', 'delete']);
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
const COPY_BATCH = 1000;
/** Documents held in memory for one copy write, at most (one larger document is a batch alone). */
const COPY_BATCH_BYTES = 32 * 1024 * 1024;

export function isDdlEvent(event: ChangeStreamDocument): boolean {
  return !CRUD_TYPES.has(event.operationType);
}

export interface DestinationWriterOptions {
  source: MongoClient;
  destination: MongoClient;
  filter: NamespaceMatcher;
  buildIndexes: BuildIndexesMode;
  /** events before this source time happened during the collection copy */
  copyCompletedAt: OpTime | null;
  /** this attempt replays events an earlier, interrupted attempt may have applied */
  replaying: boolean;
}

export class DestinationWriter {
  constructor(private readonly options: DestinationWriterOptions) {}

  /** Applies `events` in order; returns the time of the last DDL event applied, if any. */
  async apply(events: ChangeStreamDocument[]): Promise<{ lastDdlAt: OpTime | null }> {
    const plan = planApply(events.map((event) => translateChangeEvent(event as Document)));
    let lastDdlAt: OpTime | null = null;
    for (const step of plan.steps) {
      if (step.kind === 'crud') {
        for (const round of segmentRounds(step)) {
          await Promise.all(round.map((group) => this.applyGroup(group, events)));
        }
      } else {
        const event = events[step.covers[0]!]!;
        await this.applyDdl(step.operation, event);
        lastDdlAt = toOpTime(event.clusterTime!);
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
    return event !== undefined && copyCompletedAt !== null && compareOpTime(toOpTime(event.clusterTime!), copyCompletedAt) < 0;
  }

  private async applyGroup(group: RoundGroup, events: ChangeStreamDocument[]): Promise<void> {
    // Resolved once per group, and only when a document has to be read from the source.
    let location: Promise<EventNamespace | null> | undefined;
    const readSource = async (documentKey: Document): Promise<Document | null> => {
      location ??= this.locateSource(group.ns, uuidOfGroup(group, events));
      const where = await location;
      return where ? this.options.source.db(where.db).collection(where.coll).findOne(documentKey, TYPED_READ) : null;
    };
    const operations: AnyBulkWriteOperation<Document>[] = [];
    const resync: unknown[] = [];
    for (const planned of group.writes) {
      const direct = toBulkWriteOperation(planned.documentKey, planned.write);
      // An update the driver would refuse as too large is taken from the source instead.
      const tooLarge = direct !== null && isOversizedStatement(direct) && 'updateOne' in direct;
      if (!direct || tooLarge || planned.covers.some((index) => this.mayMeetLaterState(events[index]))) {
        resync.push(planned.documentKey._id);
      }
      const operation = direct && !tooLarge ? direct : resyncOperation(planned.documentKey, await readSource(planned.documentKey));
      operations.push(await fitted(this.options.destination, group.ns, operation));
    }
    await recordForResync(this.options.destination, group.ns, resync);
    const collection = this.options.destination.db(group.ns.db).collection(group.ns.coll);
    try {
      await collection.bulkWrite(operations, { ordered: false, bypassDocumentValidation: true });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      // A replayed update can meet a later state it does not fit (a type conflict, a transient
      // unique conflict): the document is then taken from the source as it is now.
      const failed = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      await recordForResync(
        this.options.destination,
        group.ns,
        failed.map((writeError) => group.writes[writeError.index]!.documentKey._id),
      );
      for (const writeError of failed) {
        const documentKey = group.writes[writeError.index]!.documentKey;
        const current = await readSource(documentKey);
        await collection.bulkWrite([await fitted(this.options.destination, group.ns, resyncOperation(documentKey, current))], {
          bypassDocumentValidation: true,
        });
      }
    }
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
    const destination = this.options.destination;
    switch (operation.type) {
      case 'create': {
        if (operation.options.viewOn !== undefined) {
          await createCollectionOnDestination(destination, operation.ns.db, operation.ns.coll, operation.options);
          return;
        }
        const relaxation = relaxCollectionOptions(operation.options);
        if (relaxation.unsupported) {
          throw ApplicationFailure.nonRetryable(
            `cannot sync ${operation.ns.db}.${operation.ns.coll}: ${relaxation.unsupported}`,
            SyncErrorName.UnsupportedOperation,
          );
        }
        await createCollectionOnDestination(destination, operation.ns.db, operation.ns.coll, relaxation.createOptions);
        return;
      }
      case 'drop':
        await ignoring([NAMESPACE_NOT_FOUND], () => destination.db(operation.ns.db).command({ drop: operation.ns.coll }));
        return;
      case 'dropDatabase': {
        const infos = await destination.db(operation.db).listCollections({}, { nameOnly: true }).toArray();
        for (const info of infos) {
          if (isSystemCollection(info.name)) continue;
          await ignoring([NAMESPACE_NOT_FOUND], () => destination.db(operation.db).command({ drop: info.name }));
        }
        return;
      }
      case 'rename':
        await this.applyRename(operation, event);
        return;
      case 'createIndexes': {
        const specs = operation.indexes
          .filter((spec) => spec.name !== '_id_' && shouldBuildIndex(spec, this.options.buildIndexes))
          .map((spec) => relaxIndexSpec(spec).buildSpec);
        await createIndexesOnDestination(destination, operation.ns.db, operation.ns.coll, specs);
        return;
      }
      case 'dropIndexes':
        for (const name of operation.names) {
          await ignoring([NAMESPACE_NOT_FOUND, INDEX_NOT_FOUND], () =>
            destination.db(operation.ns.db).command({ dropIndexes: operation.ns.coll, index: name }),
          );
        }
        return;
      case 'modify': {
        const { command } = relaxCollModForSync(operation.ns.coll, operation.operationDescription);
        if (command) {
          await ignoring([NAMESPACE_NOT_FOUND, INDEX_NOT_FOUND], () => destination.db(operation.ns.db).command(command));
        }
        return;
      }
    }
  }

  private async applyRename(operation: Extract<DdlOperation, { type: 'rename' }>, event: ChangeStreamDocument): Promise<void> {
    const decision = this.options.filter.checkRenameAllowed(operation.from, operation.to);
    if (!decision.ok) throw ApplicationFailure.nonRetryable(decision.error, SyncErrorName.NamespaceFilterViolation);
    if (decision.action === 'ignore') return;
    const destination = this.options.destination;
    if (decision.action === 'rename') {
      await ignoring([NAMESPACE_NOT_FOUND], () =>
        destination.db('admin').command({
          renameCollection: `${operation.from.db}.${operation.from.coll}`,
          to: `${operation.to.db}.${operation.to.coll}`,
          dropTarget: operation.dropTarget,
        }),
      );
    }
    // A collection that arrives from outside the filter, or one renamed while the copy ran (the
    // copy may have missed documents it had not read yet), is copied again as it is now.
    const duringCopy =
      this.options.copyCompletedAt !== null && compareOpTime(toOpTime(event.clusterTime!), this.options.copyCompletedAt) < 0;
    if (decision.action === 'copyIn' || duringCopy) await this.copyWholeCollection(operation.to);
  }

  private async copyWholeCollection(ns: EventNamespace): Promise<void> {
    const source = this.options.source;
    const info = await source.db(ns.db).listCollections({ name: ns.coll }).next();
    if (!info || info.type !== 'collection') return;
    const relaxation = relaxCollectionOptions(((info as Document).options ?? {}) as Document);
    await createCollectionOnDestination(this.options.destination, ns.db, ns.coll, relaxation.createOptions);
    await createIndexesOnDestination(
      this.options.destination,
      ns.db,
      ns.coll,
      await relaxedIndexSpecs(source, ns.db, ns.coll, this.options.buildIndexes),
    );
    await recordCollectionForResync(this.options.destination, ns);
    const target = this.options.destination.db(ns.db).collection(ns.coll);
    let batch: AnyBulkWriteOperation<Document>[] = [];
    let batchBytes = 0;
    for await (const doc of source.db(ns.db).collection(ns.coll).find({}, { ...TYPED_READ, sort: { _id: 1 } })) {
      batch.push(await fitted(this.options.destination, ns, { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }));
      batchBytes += bsonSize(doc);
      if (batch.length >= COPY_BATCH || batchBytes >= COPY_BATCH_BYTES) {
        await target.bulkWrite(batch, { ordered: false, bypassDocumentValidation: true });
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) await target.bulkWrite(batch, { ordered: false, bypassDocumentValidation: true });
  }
}

function uuidOfGroup(group: RoundGroup, events: ChangeStreamDocument[]): UUID | undefined {
  for (const planned of group.writes) {
    for (const index of planned.covers) {
      const uuid = (events[index] as { collectionUUID?: UUID } | undefined)?.collectionUUID;
      if (uuid) return uuid;
    }
  }
  return undefined;
}

async function ignoring(codes: number[], run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isServerError(error, ...codes)) throw error;
  }
}
