// Copies the source's catalog to the destination: collections with their options (relaxed for
// the sync), views, and indexes (relaxed; built before or after the data copy). Idempotent, so a
// retried attempt finishes what an earlier one began.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { BSON, type CollationOptions, type Document, type MongoClient } from 'mongodb';
import { isNamespaceNotFound, isServerError, ServerErrorCode } from '../mongo/server-errors';
import type { ClusterConnections, ClusterLabel } from '../mongo/cluster-clients';
import { listNonSystemDatabases, noteClusterTime } from '../mongo/commands';
import { estimateCollectionBytes } from '../sync/document-size';
import { SyncErrorName } from '../sync/errors';
import { cappedRestoreSteps, type RestoreStep } from '../sync/index-relaxation';
import { type FinalizeIndexStep, finalizeIndexSteps, indexDifferences } from '../sync/index-plan';
import { isNeverSyncedDatabase, isSystemCollection } from '../sync/namespace-names';
import { compileNamespaceFilter, type NamespaceMatcher } from '../sync/namespace-filter';
import { type BuildIndexesMode, indexBuildTiming, type NamespaceFilterSpec } from '../sync/start-options';
import type { IndexBuildProgress } from '../sync/state-types';
import type { PendingCollection } from '../workflows/state';
import { clearBindings, DestinationDdl, uuidKey } from './destination-ddl';
import { ActivityProgress } from './heartbeat';
import { clearResyncSet } from './resync-set';


export interface CatalogInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  includeNamespaces: NamespaceFilterSpec[];
  excludeNamespaces: NamespaceFilterSpec[];
  buildIndexes: BuildIndexesMode;
}

export interface CopyCatalogResult {
  collections: PendingCollection[];
  estimatedTotalBytes: number;
}


interface SourceCollection {
  db: string;
  info: Document;
}

/** The source's user collections and views that the filter includes, database by database. */
async function includedCollections(source: MongoClient, matcher: NamespaceMatcher): Promise<SourceCollection[]> {
  const result: SourceCollection[] = [];
  for (const db of await listNonSystemDatabases(source)) {
    if (!matcher.isDatabaseIncluded(db)) continue;
    for (const info of await source.db(db).listCollections({}, { nameOnly: false }).toArray()) {
      if (matcher.isNamespaceIncluded(db, info.name)) result.push({ db, info: info as Document });
    }
  }
  return result;
}

function destinationDdl(clients: ClusterConnections, input: CatalogInput): DestinationDdl {
  return new DestinationDdl({ source: clients.client(input.source), destination: clients.client(input.destination), buildIndexes: input.buildIndexes });
}

/**
 * Drops what an earlier attempt of the catalog copy created that the source's catalog no longer
 * has there: the destination held no user data when the sync started and no document is copied
 * before the catalog copy ends, so these collections are empty.
 */
async function dropStaleCatalog(ddl: DestinationDdl, destination: MongoClient, all: SourceCollection[]): Promise<void> {
  const wanted = new Map(all.map(({ db, info }) => [`${db}.${info.name as string}`, info]));
  const bindings = await ddl.loadBindings();
  for (const db of await listNonSystemDatabases(destination)) {
    if (isNeverSyncedDatabase(db)) continue;
    for (const info of await destination.db(db).listCollections({}, { nameOnly: true }).toArray()) {
      if (isSystemCollection(info.name)) continue;
      const source = wanted.get(`${db}.${info.name}`);
      const bound = [...bindings.values()].find((b) => b.state === 'live' && b.ns.db === db && b.ns.coll === info.name);
      const sameCollection =
        source !== undefined && source.type === info.type && (info.type === 'view' || bound?.uuid === uuidKey((source.info as Document | undefined)?.uuid));
      if (!sameCollection) await destination.db(db).command({ drop: info.name });
    }
  }
}

async function collectionSize(source: MongoClient, db: string, coll: string): Promise<{ bytes: number; documents: number }> {
  try {
    const [stats] = await source
      .db(db)
      .collection(coll)
      .aggregate([{ $collStats: { storageStats: {} } }])
      .toArray();
    const storage = (stats?.storageStats ?? {}) as Document;
    const documents = Number(storage.count ?? 0);
    const size = Number(storage.size ?? 0);
    return { bytes: estimateCollectionBytes({ size, count: documents }), documents };
  } catch (error) {
    if (isNamespaceNotFound(error)) return { bytes: 0, documents: 0 };
    throw error;
  }
}

/** Views in an order where every view comes after the view it is defined on. */
function viewsInDependencyOrder(views: SourceCollection[]): SourceCollection[] {
  const byName = new Map(views.map((view) => [`${view.db}.${view.info.name as string}`, view]));
  const ordered: SourceCollection[] = [];
  const placed = new Set<string>();
  const place = (key: string, depth: number): void => {
    const view = byName.get(key);
    if (!view || placed.has(key) || depth > byName.size) return;
    place(`${view.db}.${(view.info.options as Document).viewOn as string}`, depth + 1);
    placed.add(key);
    ordered.push(view);
  };
  for (const key of byName.keys()) place(key, 0);
  return ordered;
}

export async function copyCatalog(clients: ClusterConnections, input: CatalogInput): Promise<CopyCatalogResult> {
  const context = Context.current();
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const matcher = compileNamespaceFilter(input);
  const ddl = destinationDdl(clients, input);
  const collections: PendingCollection[] = [];
  // Each collection is a few quick commands (its indexes, when built now, can take long: they
  // heartbeat meanwhile); the whole catalog is listed before the first one.
  const heartbeat = new ActivityProgress(() => collections.length);
  // The first attempt starts a new sync: nothing recorded on the destination belongs to it yet.
  if (context.info.attempt === 1) await heartbeat.during(clearResyncSet(destination));
  // Every DDL up to this time is in the catalog read next; the bindings record it, so that
  // change events up to it are not applied again (docs/ddl-replay.md).
  const catalogAt = await heartbeat.during(noteClusterTime(source, { c2cSync: 'catalog copy', reason: 'catalog snapshot' }));
  const all = await heartbeat.during(includedCollections(source, matcher));
  if (context.info.attempt > 1) await heartbeat.during(dropStaleCatalog(ddl, destination, all));
  const buildNow = indexBuildTiming(input.buildIndexes) === 'beforeDataCopy';

  for (const { db, info } of all) {
    const name = info.name as string;
    if (info.type === 'view') continue;
    if (info.type !== 'collection') {
      throw ApplicationFailure.nonRetryable(
        `cannot sync ${db}.${name}: collections of type '${String(info.type)}' are not supported`,
        SyncErrorName.UnsupportedOperation,
      );
    }
    const ns = { db, coll: name };
    await ddl.createCollection(ns, (info.options ?? {}) as Document);
    const uuid = uuidKey((info.info as Document | undefined)?.uuid);
    if (uuid) await ddl.bind(uuid, ns, catalogAt);
    if (buildNow) await heartbeat.during(ddl.createIndexes(ns, await ddl.sourceIndexSpecs(ns)));
    const size = await collectionSize(source, db, name);
    collections.push({ db, coll: name, estimatedBytes: size.bytes, documents: size.documents });
    heartbeat.beat();
  }
  for (const { db, info } of viewsInDependencyOrder(all.filter(({ info }) => info.type === 'view'))) {
    await ddl.createCollection({ db, coll: info.name as string }, info.options as Document);
  }
  return { collections, estimatedTotalBytes: collections.reduce((sum, c) => sum + c.estimatedBytes, 0) };
}

/**
 * Builds the relaxed indexes of the collections the catalog copy created (buildIndexes after the
 * data copy); null when the mode builds them before the copy or never.
 *
 * The source's catalog has moved on since the catalog copy, and no change event is applied yet,
 * so each source collection is found on the destination by its UUID's binding, never by its
 * current name: a name the destination does not hold yet would be created implicitly by the
 * index build, without the collection's options, and the collection's own `create` event would
 * then find it there and adopt it. Collections the catalog copy did not create get their indexes
 * from their own createIndexes events, and any index still missing is built at commit.
 */
export async function buildIndexes(clients: ClusterConnections, input: CatalogInput): Promise<IndexBuildProgress | null> {
  if (indexBuildTiming(input.buildIndexes) !== 'afterDataCopy') return null;
  const source = clients.client(input.source);
  const ddl = destinationDdl(clients, input);
  let position: BuildIndexesHeartbeat = {
    after: null,
    progress: { indexesBuilt: 0, totalIndexesToBuild: 0, collectionsFinished: 0, collectionsTotal: 0 },
  };
  const heartbeat = new ActivityProgress(() => position);
  // A retry skips the collections an earlier attempt finished: building an index again would
  // find it there, but asking costs a round trip per index of every collection.
  const resumed = heartbeat.resumed;
  if (resumed) position = resumed;
  const bindings = await heartbeat.during(ddl.loadBindings());
  const included = await heartbeat.during(includedCollections(source, compileNamespaceFilter(input)));
  const collections = included.flatMap(({ db, info }) => {
    const binding = info.type === 'collection' ? bindings.get(uuidKey((info.info as Document | undefined)?.uuid) ?? '') : undefined;
    return binding?.state === 'live' ? [{ source: { db, coll: info.name as string }, destination: binding.ns }] : [];
  });
  collections.sort((a, b) => compareNamespaces(a.source, b.source));
  const progress = { ...position.progress, collectionsTotal: collections.length };
  for (const { source: ns, destination } of collections) {
    if (position.after && compareNamespaces(ns, position.after) <= 0) continue;
    const specs = await heartbeat.during(ddl.sourceIndexSpecs(ns));
    progress.totalIndexesToBuild += specs.length;
    // One createIndexes command per index: each can run for hours on a large collection.
    await heartbeat.during(ddl.createIndexes(destination, specs));
    progress.indexesBuilt += specs.length;
    progress.collectionsFinished += 1;
    position = { after: ns, progress: { ...progress } };
    heartbeat.beatNow();
  }
  return progress;
}

/** Where buildIndexes stands: collections are handled in namespace order, up to `after`. */
interface BuildIndexesHeartbeat {
  after: { db: string; coll: string } | null;
  progress: IndexBuildProgress;
}

function compareNamespaces(a: { db: string; coll: string }, b: { db: string; coll: string }): number {
  if (a.db !== b.db) return a.db < b.db ? -1 : 1;
  if (a.coll !== b.coll) return a.coll < b.coll ? -1 : 1;
  return 0;
}

export interface FinalizeInput extends CatalogInput {
  stage: RestoreStep['stage'];
}

/**
 * Undoes the sync's relaxations on the destination (TTL, hidden, unique, capped limits) and
 * builds the indexes deferred during the sync, by comparing each source index and collection
 * with the destination's. Running it again finds nothing left to do. After the last stage every
 * source index must be on the destination with its exact options, or the sync fails naming it.
 */
export async function finalizeDestination(clients: ClusterConnections, input: FinalizeInput): Promise<number> {
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const ddl = destinationDdl(clients, input);
  let position: FinalizeHeartbeat = { after: null, applied: 0, differences: [] };
  const heartbeat = new ActivityProgress(() => position);
  // Every step is idempotent (it compares source and destination), so a retry could start over;
  // it resumes after the last finished collection so that a long finalize still ends.
  const resumed = heartbeat.resumed;
  if (resumed) position = resumed;
  let applied = position.applied;
  const differences = [...position.differences];
  const included = await heartbeat.during(includedCollections(source, compileNamespaceFilter(input)));
  const collections = included.filter(({ info }) => info.type === 'collection');
  collections.sort((a, b) => compareNamespaces({ db: a.db, coll: a.info.name as string }, { db: b.db, coll: b.info.name as string }));
  for (const { db, info } of collections) {
    const coll = info.name as string;
    if (position.after && compareNamespaces({ db, coll }, position.after) <= 0) continue;
    const steps: FinalizeIndexStep[] = [];
    const destinationInfo = await heartbeat.during(destination.db(db).listCollections({ name: coll }).next());
    if (destinationInfo) {
      steps.push(...cappedRestoreSteps(coll, (info.options ?? {}) as Document, ((destinationInfo as Document).options ?? {}) as Document));
      const sourceSpecs = await heartbeat.during(ddl.sourceIndexSpecs({ db, coll }));
      const destinationSpecs = async (): Promise<Document[]> =>
        (await heartbeat.during(destination.db(db).collection(coll).listIndexes().toArray())).filter((spec) => spec.name !== '_id_');
      if (input.buildIndexes !== 'never') steps.push(...finalizeIndexSteps(coll, sourceSpecs, await destinationSpecs()));
      for (const step of steps.filter((s) => s.stage === input.stage)) {
        // An index build or a unique conversion reads the whole collection: heartbeat meanwhile.
        try {
          if ('command' in step) await heartbeat.during(destination.db(db).command(step.command));
          else if (step.kind === 'drop') await heartbeat.during(destination.db(db).command({ dropIndexes: coll, index: step.name }));
          else await heartbeat.during(buildExactIndex(destination, db, coll, step.spec));
        } catch (error) {
          if ('command' in step && isServerError(error, ServerErrorCode.CannotConvertIndexToUnique)) {
            throw await uniqueConversionFailure(destination, db, coll, step.command.index as Document, error as Error);
          }
          throw error;
        }
        applied++;
        position = { ...position, applied };
        heartbeat.beat();
      }
      if (input.stage === 'afterCanWrite' && input.buildIndexes !== 'never') {
        differences.push(...indexDifferences(sourceSpecs, await destinationSpecs()).map((d) => `${db}.${coll}: ${d}`));
      }
    }
    position = { after: { db, coll }, applied, differences: [...differences] };
    heartbeat.beat();
  }
  if (input.stage === 'beforeCanWrite') {
    // A reverse sync starts from clusters equal by name and binds collections as it meets them.
    await heartbeat.during(clearBindings(source));
  }
  if (differences.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `the destination's indexes differ from the source's after commit: ${differences.join('; ')}`,
      SyncErrorName.UnsupportedOperation,
    );
  }
  return applied;
}

/** Where finalizeDestination stands: collections are handled in namespace order, up to `after`. */
interface FinalizeHeartbeat {
  after: { db: string; coll: string } | null;
  applied: number;
  /** index differences found in the collections done (reported together at the end) */
  differences: string[];
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
