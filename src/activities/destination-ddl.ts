// Every DDL the sync runs on the destination: collections and views (with the sync's
// relaxations), indexes, renames, drops, collMods and the recopy of a renamed collection, plus
// the bindings (source collection UUID -> destination namespace) that make replayed DDL
// converge (src/sync/ddl-replay.ts, docs/ddl-replay.md). Used by the catalog copy, the change
// event writer and the commit-time finalize.
import { ApplicationFailure } from '@temporalio/activity';
import { type AnyBulkWriteOperation, Binary, BSON, type CollationOptions, type Document, type MongoClient, UUID } from 'mongodb';
import { TYPED_READ } from '../mongo/bson-fidelity';
import { INDEX_CONFLICT_CODES, isNamespaceNotFound, isServerError, ServerErrorCode } from '../mongo/server-errors';
import {
  type Binding,
  crudTarget,
  type DdlAction,
  type DdlEvent,
  type DestinationKind,
  type DestinationView,
  namespaceKey,
  planDdl,
  recoveryPlan,
} from '../sync/ddl-replay';
import { bsonSize } from '../sync/document-size';
import { SyncErrorName } from '../sync/errors';
import type { EventNamespace } from '../sync/event-translation';
import { type FinalizeIndexStep, planIndexBuilds } from '../sync/index-plan';
import { relaxCollModForSync, relaxCollectionOptions, shouldBuildIndex } from '../sync/index-relaxation';
import { C2C_METADATA_DB, isSystemCollection } from '../sync/namespace-names';
import type { BuildIndexesMode } from '../sync/start-options';
import type { ClusterTime } from '../sync/vocabulary';
import { encodeId } from './copy-partition';
import { heartbeatDuring, throwIfActivityCancelled } from './heartbeat';
import { bulkReplace } from './id-type-change';
import { documentsAfterId } from './id-walk';
import { fitted } from './oversize-writes';
import { recordCollectionForResync } from './resync-set';

const BINDINGS = 'bindings';
const RECOPY_PROGRESS = 'recopies';
const COPY_BATCH = 1000;
/** Documents held in memory for one copy write, at most (one larger document is a batch alone). */
const COPY_BATCH_BYTES = 32 * 1024 * 1024;
const HEARTBEAT_EVERY_MS = 1000;
/** UUIDs (and namespaces) looked up per bindings query of the CRUD path. */
const BINDINGS_PER_QUERY = 500;

interface BindingDocument {
  _id: string;
  db: string;
  coll: string;
  state: Binding['state'];
  recopyPending?: boolean;
  renamingFrom?: EventNamespace;
  at?: ClusterTime;
}

function toBinding(doc: BindingDocument): Binding {
  const binding: Binding = { uuid: doc._id, ns: { db: doc.db, coll: doc.coll }, state: doc.state };
  if (doc.recopyPending) binding.recopyPending = true;
  if (doc.renamingFrom) binding.renamingFrom = { db: doc.renamingFrom.db, coll: doc.renamingFrom.coll };
  if (doc.at) binding.at = { t: Number(doc.at.t), i: Number(doc.at.i) };
  return binding;
}

function toDocument(binding: Binding): Omit<BindingDocument, '_id'> {
  const doc: Omit<BindingDocument, '_id'> = { db: binding.ns.db, coll: binding.ns.coll, state: binding.state };
  if (binding.recopyPending) doc.recopyPending = true;
  if (binding.renamingFrom) doc.renamingFrom = binding.renamingFrom;
  if (binding.at) doc.at = binding.at;
  return doc;
}

/** A collection UUID (UUID or subtype-4 Binary, as the driver hands it out) as 32 hex digits; null when absent. */
export function uuidKey(uuid: unknown): string | null {
  if (uuid instanceof Binary && uuid.sub_type === Binary.SUBTYPE_UUID) return Buffer.from(uuid.buffer).toString('hex');
  return null;
}

function bindingsOf(client: MongoClient) {
  return client.db(C2C_METADATA_DB).collection<BindingDocument>(BINDINGS);
}

/** Forgets the bindings kept on `client` (a reverse sync starts with none and binds by name). */
export async function clearBindings(client: MongoClient): Promise<void> {
  const exists = await client.db(C2C_METADATA_DB).listCollections({ name: BINDINGS }, { nameOnly: true }).hasNext();
  if (exists) await ignoring([ServerErrorCode.NamespaceNotFound], () => bindingsOf(client).drop());
}

async function ignoring(codes: readonly ServerErrorCode[], run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isServerError(error, ...codes)) throw error;
  }
}

export interface DestinationDdlOptions {
  source: MongoClient;
  destination: MongoClient;
  buildIndexes: BuildIndexesMode;
  /** called at least every second during long steps (a recopy); heartbeats the caller's details */
  heartbeat?: () => void;
}

export class DestinationDdl {
  /** every binding, once a DDL step needed them all (kept current by this instance's own writes) */
  private bindings: Map<string, Binding> | undefined;
  /**
   * Until then, the bindings CRUD writes asked about: by UUID and by namespace (what crudTarget
   * reads). A source with 100,000 collections would otherwise load 100,000 bindings per activity.
   */
  private readonly someBindings = new Map<string, Binding>();
  private readonly askedUuids = new Set<string>();
  private readonly askedNamespaces = new Set<string>();
  /** no interrupted DDL step was found (later ones would be this instance's own, on the full map) */
  private noneToRecover = false;

  constructor(private readonly options: DestinationDdlOptions) {}

  private get destination(): MongoClient {
    return this.options.destination;
  }

  async loadBindings(): Promise<Map<string, Binding>> {
    if (!this.bindings) {
      const all = await bindingsOf(this.destination).find({}).toArray();
      this.bindings = new Map(all.map((doc) => [doc._id, toBinding(doc)]));
    }
    return this.bindings;
  }

  /** The bindings of these source collection UUIDs (those that have one), in one query. */
  async bindingsOf(uuids: readonly string[]): Promise<Map<string, Binding>> {
    if (this.bindings) return new Map(uuids.flatMap((uuid) => (this.bindings!.has(uuid) ? [[uuid, this.bindings!.get(uuid)!]] : [])));
    if (uuids.length === 0) return new Map();
    const found = await bindingsOf(this.destination)
      .find({ _id: { $in: [...uuids] } })
      .toArray();
    return new Map(found.map((doc) => [doc._id, toBinding(doc)]));
  }

  private async save(binding: Binding): Promise<void> {
    await bindingsOf(this.destination).replaceOne({ _id: binding.uuid }, toDocument(binding), { upsert: true });
    (await this.loadBindings()).set(binding.uuid, binding);
  }

  /** Records that the destination collection at `ns` holds the source collection `uuid`, reflecting its DDL up to `at`. */
  async bind(uuid: string, ns: EventNamespace, at?: ClusterTime): Promise<void> {
    await this.save({ uuid, ns, state: 'live', ...(at ? { at } : {}) });
  }

  /**
   * Binds many collections in one write (the catalog copy). The bindings loaded in memory, if
   * any, are updated too; they are not loaded for this.
   */
  async bindAll(entries: readonly { uuid: string; ns: EventNamespace }[], at: ClusterTime): Promise<void> {
    if (entries.length === 0) return;
    const bindings = entries.map(({ uuid, ns }): Binding => ({ uuid, ns, state: 'live', at }));
    await bindingsOf(this.destination).bulkWrite(
      bindings.map((binding) => ({ replaceOne: { filter: { _id: binding.uuid }, replacement: toDocument(binding), upsert: true } })),
      { ordered: false },
    );
    for (const binding of bindings) this.bindings?.set(binding.uuid, binding);
    this.forgetSomeBindings();
  }

  private forgetSomeBindings(): void {
    this.someBindings.clear();
    this.askedUuids.clear();
    this.askedNamespaces.clear();
  }

  private async markDropped(uuid: string, at: ClusterTime | undefined): Promise<void> {
    const ns = (await this.loadBindings()).get(uuid)?.ns ?? { db: '', coll: '' };
    await this.save({ uuid, ns, state: 'dropped', ...(at ? { at } : {}) });
  }

  /** Finishes what an interrupted DDL step left (a rename under way, a recopy); run before applying events. */
  async recover(): Promise<void> {
    if (!this.bindings) {
      if (this.noneToRecover) return;
      const interrupted = await bindingsOf(this.destination).findOne({ state: 'live', $or: [{ renamingFrom: { $exists: true } }, { recopyPending: true }] });
      if (!interrupted) {
        this.noneToRecover = true;
        return;
      }
    }
    const bindings = await this.loadBindings();
    if (![...bindings.values()].some((b) => b.state === 'live' && (b.renamingFrom || b.recopyPending))) return;
    const dbs = [...bindings.values()].flatMap((b) => [b.ns.db, ...(b.renamingFrom ? [b.renamingFrom.db] : [])]);
    const actions = recoveryPlan({ bindings, namespaces: await this.namespacesOf(dbs) });
    for (const action of actions) await this.run(action);
  }

  /** Where a CRUD write of collection `uuid` seen at `ns` goes; null when its collection is gone. */
  async crudTarget(ns: EventNamespace, uuid: UUID | undefined): Promise<EventNamespace | null> {
    if (this.bindings) return crudTarget({ bindings: this.bindings }, uuidKey(uuid), ns);
    await this.prepareCrudTargets([{ ns, uuid }]);
    // Holds the binding of `uuid` and every binding at `ns`: all that crudTarget reads.
    return crudTarget({ bindings: this.bindings ?? this.someBindings }, uuidKey(uuid), ns);
  }

  /** Reads, in one query per chunk, the bindings crudTarget will need for these writes. */
  async prepareCrudTargets(targets: readonly { ns: EventNamespace; uuid: UUID | undefined }[]): Promise<void> {
    if (this.bindings) return;
    const uuids = new Set<string>();
    const namespaces = new Map<string, EventNamespace>();
    for (const { ns, uuid } of targets) {
      const key = uuidKey(uuid);
      if (key === null) continue;
      if (!this.askedUuids.has(key)) uuids.add(key);
      if (!this.askedNamespaces.has(namespaceKey(ns))) namespaces.set(namespaceKey(ns), ns);
    }
    const uuidList = [...uuids];
    const namespaceList = [...namespaces.values()];
    for (let i = 0; i < Math.max(uuidList.length, namespaceList.length); i += BINDINGS_PER_QUERY) {
      const someUuids = uuidList.slice(i, i + BINDINGS_PER_QUERY);
      const someNamespaces = namespaceList.slice(i, i + BINDINGS_PER_QUERY);
      const found = await bindingsOf(this.destination)
        .find({ $or: [{ _id: { $in: someUuids } }, ...someNamespaces.map((ns) => ({ db: ns.db, coll: ns.coll }))] })
        .toArray();
      for (const doc of found) this.someBindings.set(doc._id, toBinding(doc));
      for (const uuid of someUuids) this.askedUuids.add(uuid);
      for (const ns of someNamespaces) this.askedNamespaces.add(namespaceKey(ns));
    }
  }

  private async namespacesOf(dbs: string[]): Promise<Map<string, DestinationKind>> {
    const namespaces = new Map<string, DestinationKind>();
    for (const db of new Set(dbs)) {
      for (const info of await this.destination.db(db).listCollections({}, { nameOnly: true }).toArray()) {
        if (isSystemCollection(info.name)) continue;
        namespaces.set(`${db}.${info.name}`, info.type === 'view' ? 'view' : 'collection');
      }
    }
    return namespaces;
  }

  /** Plans and runs one source DDL event (see src/sync/ddl-replay.ts). */
  async applyEvent(event: DdlEvent): Promise<void> {
    await this.recover();
    const op = event.operation;
    const dbs = op.type === 'dropDatabase' ? [op.db] : op.type === 'rename' ? [op.from.db, op.to.db] : [op.ns.db];
    const bindings = await this.loadBindings();
    const view: DestinationView = { bindings, namespaces: await this.namespacesOf(dbs) };
    const plan = planDdl(event, view);
    for (const action of plan.actions) await this.run(action);
  }

  private async run(action: DdlAction): Promise<void> {
    const destination = this.destination;
    switch (action.type) {
      case 'createCollection':
        await this.createCollection(action.ns, action.options);
        return;
      case 'createView':
        await ignoring([ServerErrorCode.NamespaceExists], () => destination.db(action.ns.db).command({ create: action.ns.coll, ...action.options }));
        return;
      case 'drop':
        await ignoring([ServerErrorCode.NamespaceNotFound], () => destination.db(action.ns.db).command({ drop: action.ns.coll }));
        return;
      case 'rename':
        await destination.db('admin').command({
          renameCollection: namespaceKey(action.from),
          to: namespaceKey(action.to),
          dropTarget: action.dropTarget,
        });
        return;
      case 'bind':
        await this.save({
          uuid: action.uuid,
          ns: action.ns,
          state: 'live',
          ...(action.recopyPending ? { recopyPending: true } : {}),
          ...(action.renamingFrom ? { renamingFrom: action.renamingFrom } : {}),
          ...(action.at ? { at: action.at } : {}),
        });
        return;
      case 'markDropped':
        await this.markDropped(action.uuid, action.at);
        return;
      case 'recopy':
        await this.recopy(action.uuid, action.ns);
        return;
      case 'createIndexes':
        await this.createIndexes(
          action.ns,
          action.indexes.filter((spec) => spec.name !== '_id_' && shouldBuildIndex(spec, this.options.buildIndexes)),
        );
        return;
      case 'dropIndexes':
        for (const name of action.names) {
          await ignoring([ServerErrorCode.NamespaceNotFound, ServerErrorCode.IndexNotFound], () => destination.db(action.ns.db).command({ dropIndexes: action.ns.coll, index: name }));
        }
        return;
      case 'collMod': {
        const { command } = relaxCollModForSync(action.ns.coll, action.operationDescription);
        if (command) await ignoring([ServerErrorCode.NamespaceNotFound, ServerErrorCode.IndexNotFound], () => destination.db(action.ns.db).command(command));
        return;
      }
    }
  }

  /** Creates a collection (relaxed) or view from the source's options; an existing one is kept. */
  async createCollection(ns: EventNamespace, sourceOptions: Document): Promise<void> {
    let createOptions = sourceOptions;
    if (sourceOptions.viewOn === undefined) {
      const relaxation = relaxCollectionOptions(sourceOptions);
      if (relaxation.unsupported) {
        throw ApplicationFailure.nonRetryable(`cannot sync ${namespaceKey(ns)}: ${relaxation.unsupported}`, SyncErrorName.UnsupportedOperation);
      }
      createOptions = relaxation.createOptions;
    }
    await ignoring([ServerErrorCode.NamespaceExists], () => this.destination.db(ns.db).command({ create: ns.coll, ...createOptions }));
  }

  /**
   * Builds source index specs relaxed for the sync. An index that would collide with another
   * once relaxed, or whose name holds another index, is left for the commit-time finalize,
   * which builds it exactly or fails naming it; nothing is dropped silently.
   */
  async createIndexes(ns: EventNamespace, sourceSpecs: Document[]): Promise<void> {
    if (sourceSpecs.length === 0) return;
    const collection = this.destination.db(ns.db).collection(ns.coll);
    let existing: Document[];
    try {
      existing = await collection.listIndexes().toArray();
    } catch (error) {
      if (!isNamespaceNotFound(error)) throw error;
      existing = [];
    }
    const plan = planIndexBuilds(sourceSpecs, existing);
    for (const spec of plan.build) {
      try {
        await this.destination.db(ns.db).command({ createIndexes: ns.coll, indexes: [spec] });
      } catch (error) {
        // A concurrent or later index took the name or the key: the finalize settles it.
        if (!isServerError(error, ...INDEX_CONFLICT_CODES)) throw error;
      }
    }
  }

  /**
   * Builds source index specs, relaxed, on a collection the catalog copy created, in one
   * command: the collection was created with its _id index alone, so there is nothing on the
   * destination to plan around and no listIndexes to ask first (a round trip per collection at
   * tens of thousands of collections). An index already there from an earlier attempt is left
   * as it is by the server; when one conflicts (an earlier attempt built a source index since
   * dropped and built again with other options), the command fails as a whole and createIndexes
   * plans against what the destination holds, as for any other collection.
   */
  async createIndexesOnCopiedCollection(ns: EventNamespace, sourceSpecs: Document[]): Promise<void> {
    const { build } = planIndexBuilds(sourceSpecs, []);
    if (build.length === 0) return;
    try {
      await this.destination.db(ns.db).command({ createIndexes: ns.coll, indexes: build });
    } catch (error) {
      if (!isServerError(error, ...INDEX_CONFLICT_CODES)) throw error;
      await this.createIndexes(ns, sourceSpecs);
    }
  }

  /** The source's specs of a collection's indexes that the mode builds (_id excepted). */
  async sourceIndexSpecs(source: EventNamespace): Promise<Document[]> {
    try {
      const specs = await this.options.source.db(source.db).collection(source.coll).listIndexes().toArray();
      return specs.filter((spec) => spec.name !== '_id_' && shouldBuildIndex(spec, this.options.buildIndexes));
    } catch (error) {
      if (isNamespaceNotFound(error)) return [];
      throw error;
    }
  }

  /**
   * Drops a destination collection or view the sync does not want (catalog copy, before any
   * document is copied).
   */
  async dropStaleCollection(ns: EventNamespace): Promise<void> {
    await this.destination.db(ns.db).command({ drop: ns.coll });
  }

  /**
   * Runs one commit-time finalize step (src/sync/index-plan.ts) on a destination collection: a
   * collMod or capped restore, an index drop, or an exact index build. A unique conversion that
   * meets duplicate keys fails naming the index and a duplicate key.
   */
  async applyFinalizeStep(ns: EventNamespace, step: FinalizeIndexStep): Promise<void> {
    const { db, coll } = ns;
    try {
      if ('command' in step) await this.destination.db(db).command(step.command);
      else if (step.kind === 'drop') await this.destination.db(db).command({ dropIndexes: coll, index: step.name });
      else await buildExactIndex(this.destination, db, coll, step.spec);
    } catch (error) {
      if ('command' in step && isServerError(error, ServerErrorCode.CannotConvertIndexToUnique)) {
        throw await uniqueConversionFailure(this.destination, db, coll, step.command.index as Document, error as Error);
      }
      throw error;
    }
  }

  /** Where the source collection with `uuid` is now, looking in `near`'s database first. */
  private async locateSource(uuid: string, near: EventNamespace[]): Promise<{ ns: EventNamespace; info: Document } | null> {
    const id = new UUID(uuid);
    for (const db of new Set(near.map((ns) => ns.db))) {
      const info = await this.options.source.db(db).listCollections({ 'info.uuid': id }).next();
      if (info) return { ns: { db, coll: info.name }, info: info as Document };
    }
    return null;
  }

  /**
   * Copies the source collection with `uuid`, as it is now, into `ns`: created with its options
   * and indexes if missing, then every document upserted in _id order. Heartbeats at least every
   * second, and records the last _id written on the destination after every batch, so that a
   * retried attempt (whose recovery redoes the recopy) resumes after it: the documents before it
   * were upserted from the source already, and the events replayed after the recopy bring them
   * up to date as they do every recopied document.
   */
  async recopy(uuid: string, ns: EventNamespace): Promise<void> {
    const heartbeat = (): void => this.options.heartbeat?.();
    const progress = recopyProgressOf(this.destination);
    heartbeat();
    const prepare = async (): Promise<{ source: EventNamespace; after: string | null } | null> => {
      const found = await this.locateSource(uuid, [ns]);
      if (!found || found.info.type !== 'collection') return null;
      await this.createCollection(ns, (found.info.options ?? {}) as Document);
      await this.createIndexes(ns, await this.sourceIndexSpecs(found.ns));
      await recordCollectionForResync(this.destination, ns);
      const earlier = await progress.findOne({ _id: uuid });
      return { source: found.ns, after: earlier && earlier.db === ns.db && earlier.coll === ns.coll ? earlier.after : null };
    };
    const prepared = await heartbeatDuring(heartbeat, prepare());
    if (!prepared) {
      await progress.deleteOne({ _id: uuid });
      return;
    }
    const target = this.destination.db(ns.db).collection(ns.coll);
    let batch: AnyBulkWriteOperation<Document>[] = [];
    let lastId: unknown;
    let batchBytes = 0;
    let lastBeat = Date.now();
    const flush = async (): Promise<void> => {
      if (batch.length > 0) {
        const written = encodeId(lastId);
        await heartbeatDuring(
          heartbeat,
          bulkReplace(target, batch).then(() => progress.replaceOne({ _id: uuid }, { db: ns.db, coll: ns.coll, after: written }, { upsert: true })),
        );
      }
      batch = [];
      batchBytes = 0;
      beatIfDue();
    };
    const beatIfDue = (): void => {
      throwIfActivityCancelled();
      if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
        heartbeat();
        lastBeat = Date.now();
      }
    };
    const source = this.options.source.db(prepared.source.db).collection(prepared.source.coll);
    for await (const doc of documentsAfterId(source, prepared.after, TYPED_READ)) {
      batch.push(await fitted(this.destination, ns, { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }));
      lastId = doc._id;
      batchBytes += bsonSize(doc);
      if (batch.length >= COPY_BATCH || batchBytes >= COPY_BATCH_BYTES) await flush();
      else beatIfDue();
    }
    await flush();
    await progress.deleteOne({ _id: uuid });
  }
}

/** How far an unfinished recopy got, per source collection UUID. */
interface RecopyProgressDocument {
  _id: string;
  db: string;
  coll: string;
  /** the last _id written (canonical EJSON) */
  after: string | null;
}

function recopyProgressOf(client: MongoClient) {
  return client.db(C2C_METADATA_DB).collection<RecopyProgressDocument>(RECOPY_PROGRESS);
}

async function buildExactIndex(destination: MongoClient, db: string, coll: string, spec: Document): Promise<void> {
  try {
    await destination.db(db).command({ createIndexes: coll, indexes: [spec] });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ApplicationFailure.nonRetryable(
      `cannot build index '${String(spec.name)}' of ${db}.${coll} on the destination with the source's options: ${reason}`,
      SyncErrorName.UnsupportedOperation,
    );
  }
}

const shortJson = (value: unknown): string => {
  const text = BSON.EJSON.stringify(value, { relaxed: true });
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/**
 * collMod could not make an index unique because documents share a key. Retrying cannot help:
 * the failure names the index and one duplicate key (found with the index's key pattern,
 * partial filter and collation), so the user can resolve it.
 */
async function uniqueConversionFailure(
  destination: MongoClient,
  db: string,
  coll: string,
  change: Document,
  error: { message: string },
): Promise<ApplicationFailure> {
  const name = String(change.name);
  const collection = destination.db(db).collection(coll);
  const spec = (await collection.listIndexes().toArray()).find((index) => index.name === name);
  let duplicate = '';
  if (spec) {
    const fields = Object.keys(spec.key as Document);
    const groupKey = Object.fromEntries(fields.map((field, i) => [`k${i}`, `$${field}`]));
    const [found] = await collection
      .aggregate<{ _id: Document; count: number; ids: unknown[] }>(
        [
          ...(spec.partialFilterExpression ? [{ $match: spec.partialFilterExpression as Document }] : []),
          { $group: { _id: groupKey, count: { $sum: 1 }, ids: { $push: '$_id' } } },
          { $match: { count: { $gt: 1 } } },
          { $limit: 1 },
          { $project: { count: 1, ids: { $slice: ['$ids', 2] } } },
        ],
        { allowDiskUse: true, ...(spec.collation ? { collation: spec.collation as CollationOptions } : {}) },
      )
      .toArray();
    if (found) {
      const key = Object.fromEntries(fields.map((field, i) => [field, found._id[`k${i}`] ?? null]));
      duplicate = `: ${found.count} documents share the key ${shortJson(key)} (e.g. _id ${found.ids.map(shortJson).join(' and ')})`;
    }
  }
  return ApplicationFailure.nonRetryable(
    `cannot restore the unique index '${name}'${spec ? ` ${shortJson(spec.key)}` : ''} on ${db}.${coll}${duplicate || ` (${error.message})`}; ` +
      'the source holds it as unique, so the destination differs from the source. Remove the duplicates on the destination ' +
      `and run collMod {index: {name: '${name}', unique: true}} there, or sync again from the start`,
    SyncErrorName.UniqueIndexConversionFailed,
  );
}
