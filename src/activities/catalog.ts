// Copies the source's catalog to the destination: collections with their options (relaxed for
// the sync), views, and indexes (relaxed; built before or after the data copy). Idempotent, so a
// retried attempt finishes what an earlier one began.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Document, MongoClient } from 'mongodb';
import { isNamespaceNotFound } from '../mongo/server-errors';
import type { ClusterConnections } from '../mongo/cluster-clients';
import type { ClusterTime } from '../sync/vocabulary';
import { listNonSystemDatabases, noteClusterTime } from '../mongo/commands';
import { estimateCollectionBytes } from '../sync/document-size';
import { SyncErrorName } from '../sync/errors';
import { cappedRestoreSteps, type RestoreStep } from '../sync/index-relaxation';
import { type FinalizeIndexStep, finalizeIndexSteps, indexDifferences } from '../sync/index-plan';
import { planKey } from '../sync/copy-plan';
import { isNeverSyncedDatabase, isSystemCollection } from '../sync/namespace-names';
import { compileNamespaceFilter, type NamespaceMatcher } from '../sync/namespace-filter';
import { type BuildIndexesMode, indexBuildTiming, type SyncScope } from '../sync/start-options';
import type { IndexBuildProgress } from '../sync/state';
import { clearBindings, DestinationDdl, uuidKey } from './destination-ddl';
import { forEachConcurrentlyInOrder } from './concurrently';
import { ActivityProgress } from './heartbeat';
import { clearResyncSet } from './resync-set';
import { forgetCollection, type PagePlanning, planPage, type PlanCopyPageResult, type PlanPageHeartbeat, type PlanRecord, planTotals, recordCollections } from './copy-plan';


export interface CatalogInput extends SyncScope {
  buildIndexes: BuildIndexesMode;
}

export interface CopyCatalogInput extends CatalogInput {
  /**
   * Plan the copy's first page too, once the catalog is complete (docs/copy-plan.md): planCopyPage's
   * input from the start of the plan, the page's copiers sharing the estimated bytes the catalog
   * copy found. Saves the workflow task and the activity between the catalog and the first units.
   */
  planFirstPage?: Omit<PagePlanning, 'after' | 'firstUnit' | 'parallelism'> & { workers: number };
}

export interface CopyCatalogResult {
  /** included collections, recorded in the copy plan on the destination (src/sync/copy-plan.ts) */
  collectionsTotal: number;
  estimatedTotalBytes: number;
  /** the first page, when asked to plan it and it could (else the workflow asks planCopyPage) */
  firstPage?: PlanCopyPageResult;
}

/** Collections handled between two heartbeats (and recorded in the plan in one write). */
const CATALOG_PAGE = 100;
/** Collections of a page created at the same time. */
const CATALOG_CONCURRENCY = 8;

interface SourceCollection {
  db: string;
  info: Document;
}

/** Where the catalog copy stands: every database before `db` is done, and in `db` every collection up to `after`. */
interface CatalogHeartbeat {
  db: string;
  after: string | null;
  /** the catalog is copied and the first page is being planned (planFirstPage): where */
  planning?: PlanPageHeartbeat;
}

/** The included databases of `client`, in name order. */
async function includedDatabases(client: MongoClient, matcher: NamespaceMatcher): Promise<string[]> {
  return (await listNonSystemDatabases(client)).filter((db) => matcher.isDatabaseIncluded(db)).sort();
}

/**
 * The source's user collections and views that the filter includes, database by database, a
 * page of one database at a time, in name order: only the names of one database and one page
 * of full entries are held, and no server cursor stays open while the caller works on a page
 * (index builds can take long).
 */
async function* includedCollectionPages(source: MongoClient, matcher: NamespaceMatcher): AsyncGenerator<{ db: string; infos: Document[] }> {
  for (const db of await includedDatabases(source, matcher)) {
    const names = (await source.db(db).listCollections({}, { nameOnly: true }).toArray())
      .map((info) => info.name)
      .filter((name) => matcher.isNamespaceIncluded(db, name))
      .sort();
    for (let start = 0; start < names.length; start += CATALOG_PAGE) {
      const page = names.slice(start, start + CATALOG_PAGE);
      const infos = (await source.db(db).listCollections({ name: { $in: page } }, { nameOnly: false }).toArray()) as Document[];
      infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      yield { db, infos };
    }
  }
}

/** Runs `work` on every item, at most `concurrency` at a time. */
async function eachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function destinationDdl(clients: ClusterConnections, input: CatalogInput): DestinationDdl {
  return new DestinationDdl({ source: clients.client(input.source), destination: clients.client(input.destination), buildIndexes: input.buildIndexes });
}

/**
 * Drops what an earlier attempt of the catalog copy created that the source's catalog no longer
 * has there: the destination held no user data when the sync started and no document is copied
 * before the catalog copy ends, so these collections are empty. Goes one database and one page of
 * names at a time; the live bindings are indexed by namespace once.
 */
async function dropStaleCatalog(
  ddl: DestinationDdl,
  source: MongoClient,
  destination: MongoClient,
  matcher: NamespaceMatcher,
  beat: () => void,
): Promise<void> {
  const boundUuid = new Map<string, string>();
  for (const binding of (await ddl.loadBindings()).values()) {
    if (binding.state === 'live') boundUuid.set(planKey(binding.ns.db, binding.ns.coll), binding.uuid);
  }
  for (const db of await listNonSystemDatabases(destination)) {
    if (isNeverSyncedDatabase(db)) continue;
    const existing = (await destination.db(db).listCollections({}, { nameOnly: true }).toArray()).filter((info) => !isSystemCollection(info.name));
    for (let start = 0; start < existing.length; start += CATALOG_PAGE) {
      const page = existing.slice(start, start + CATALOG_PAGE);
      const sourceInfos = await source
        .db(db)
        .listCollections({ name: { $in: page.map((info) => info.name) } }, { nameOnly: false })
        .toArray();
      const wanted = new Map(sourceInfos.filter((info) => matcher.isNamespaceIncluded(db, info.name)).map((info) => [info.name, info as Document]));
      for (const info of page) {
        const sourceInfo = wanted.get(info.name);
        const sameCollection =
          sourceInfo !== undefined &&
          sourceInfo.type === info.type &&
          (info.type === 'view' || boundUuid.get(planKey(db, info.name)) === uuidKey((sourceInfo.info as Document | undefined)?.uuid));
        if (!sameCollection) {
          await ddl.dropStaleCollection({ db, coll: info.name });
          await forgetCollection(destination, db, info.name);
        }
      }
      beat();
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

/** Views in an order where every view comes after the view it is defined on (views of one database). */
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

/**
 * Creates the included collections of one database on the destination, binds them and records
 * them in the copy plan, a page of names at a time in name order, from after `after`; then
 * creates the database's views. `beat` is called with the last name of each finished page.
 */
async function copyDatabaseCatalog(
  ctx: {
    source: MongoClient;
    destination: MongoClient;
    ddl: DestinationDdl;
    matcher: NamespaceMatcher;
    buildNow: boolean;
    catalogAt: ClusterTime;
    heartbeat: ActivityProgress<unknown>;
  },
  db: string,
  after: string | null,
  beat: (after: string) => void,
): Promise<void> {
  const { source, destination, ddl, matcher } = ctx;
  // Names only, so the database's catalog is held one page of full entries at a time.
  const names = (await source.db(db).listCollections({ type: 'collection' }, { nameOnly: true }).toArray())
    .map((info) => info.name)
    .filter((name) => matcher.isNamespaceIncluded(db, name) && (after === null || name > after))
    .sort();
  for (let start = 0; start < names.length; start += CATALOG_PAGE) {
    const pageNames = names.slice(start, start + CATALOG_PAGE);
    const infos = await source.db(db).listCollections({ name: { $in: pageNames } }, { nameOnly: false }).toArray();
    const recorded: Omit<PlanRecord, '_id' | 'ranges'>[] = [];
    const bindings: { uuid: string; ns: { db: string; coll: string } }[] = [];
    await eachConcurrently(infos as Document[], CATALOG_CONCURRENCY, async (info) => {
      const name = info.name as string;
      if (info.type === 'view') return; // became a view since the names were listed: created with the views
      if (info.type !== 'collection') {
        throw ApplicationFailure.nonRetryable(
          `cannot sync ${db}.${name}: collections of type '${String(info.type)}' are not supported`,
          SyncErrorName.UnsupportedOperation,
        );
      }
      const ns = { db, coll: name };
      // The source's size is read while the destination creates the collection: two clusters,
      // one wait.
      const [size] = await Promise.all([collectionSize(source, db, name), ddl.createCollection(ns, (info.options ?? {}) as Document)]);
      const uuid = uuidKey((info.info as Document | undefined)?.uuid);
      if (uuid) bindings.push({ uuid, ns });
      if (ctx.buildNow) await ctx.heartbeat.during(ddl.createIndexesOnCopiedCollection(ns, await ddl.sourceIndexSpecs(ns)));
      recorded.push({ db, coll: name, estimatedBytes: size.bytes, documents: size.documents });
    });
    await ddl.bindAll(bindings, ctx.catalogAt);
    await recordCollections(destination, recorded);
    beat(pageNames.at(-1)!);
  }
  const views: SourceCollection[] = [];
  for await (const info of source.db(db).listCollections({ type: 'view' }, { nameOnly: false })) {
    if (matcher.isNamespaceIncluded(db, info.name)) views.push({ db, info: info as Document });
  }
  for (const { info } of viewsInDependencyOrder(views)) {
    await ddl.createCollection({ db, coll: info.name as string }, info.options as Document);
  }
}

/**
 * Creates every included collection and view on the destination and records the collections in
 * the copy plan. Heartbeats a cursor (database, last collection name) after every page and
 * resumes from it; everything it writes is idempotent, so an attempt running at the same time
 * as another (a zombie after a heartbeat timeout) does no harm.
 */
export async function copyCatalog(clients: ClusterConnections, input: CopyCatalogInput): Promise<CopyCatalogResult> {
  const context = Context.current();
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const matcher = compileNamespaceFilter(input);
  const ddl = destinationDdl(clients, input);
  const resumed = context.info.heartbeatDetails as CatalogHeartbeat | undefined;
  let cursor: CatalogHeartbeat | undefined = resumed;
  // Each page of collections is a few quick commands per collection (its indexes, when built
  // now, can take long: they heartbeat meanwhile).
  const heartbeat = new ActivityProgress(() => cursor);
  // The first attempt starts a new sync: nothing recorded on the destination belongs to it yet.
  // Every DDL up to catalogAt is in the catalog read next; the bindings record it, so that change
  // events up to it are not applied again (docs/ddl-replay.md). The two are on different clusters
  // and neither needs the other: at once (nothing is recorded before both are done).
  const [, catalogAt] = await heartbeat.during(
    Promise.all([
      context.info.attempt === 1 ? clearResyncSet(destination) : undefined,
      noteClusterTime(source, { c2cSync: 'catalog copy', reason: 'catalog snapshot' }),
    ]),
  );
  // Heartbeats while it checks keep the cursor the attempt resumes from.
  if (context.info.attempt > 1) await dropStaleCatalog(ddl, source, destination, matcher, () => heartbeat.beat());
  const buildNow = indexBuildTiming(input.buildIndexes) === 'beforeDataCopy';
  const ctx = { source, destination, ddl, matcher, buildNow, catalogAt, heartbeat };

  for (const db of await heartbeat.during(includedDatabases(source, matcher))) {
    if (resumed && db < resumed.db) continue;
    const after = resumed && db === resumed.db ? resumed.after : null;
    cursor = { db, after };
    heartbeat.beatNow();
    await copyDatabaseCatalog(ctx, db, after, (last) => {
      cursor = { db, after: last };
      heartbeat.beatNow();
    });
  }
  const totals = await planTotals(destination);
  const copied: CopyCatalogResult = { collectionsTotal: totals.collections, estimatedTotalBytes: totals.estimatedBytes };
  if (!input.planFirstPage) return copied;
  // The catalog is complete: plan the first page exactly as the workflow's planCopyPage would
  // (the same input: from the plan's start, unit 0, the estimated bytes the workflow keeps).
  const { workers, ...limits } = input.planFirstPage;
  const done = cursor ?? { db: '', after: null };
  const firstPage = await planPage(
    clients,
    {
      ...limits,
      source: input.source,
      destination: input.destination,
      after: null,
      firstUnit: 0,
      parallelism: { workers, totalBytes: Math.max(1, totals.estimatedBytes) },
    },
    {
      progress: heartbeat,
      resumed: resumed?.planning,
      report: (planning) => (cursor = { db: done.db, after: done.after, planning }),
      catalogAttemptAt: context.info.currentAttemptScheduledTimestampMs,
    },
  );
  return firstPage ? { ...copied, firstPage } : copied;
}

/** Collections whose indexes buildIndexes builds at once, unless the input says otherwise. */
const COLLECTIONS_BUILT_AT_ONCE = 8;

export interface BuildIndexesInput extends CatalogInput {
  /** collections built at once (the sync's indexBuildConcurrency) */
  collectionsAtOnce?: number;
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
export async function buildIndexes(clients: ClusterConnections, input: BuildIndexesInput): Promise<IndexBuildProgress | null> {
  if (indexBuildTiming(input.buildIndexes) !== 'afterDataCopy') return null;
  const source = clients.client(input.source);
  const ddl = destinationDdl(clients, input);
  let position: BuildIndexesHeartbeat = {
    after: null,
    progress: { indexesBuilt: 0, totalIndexesToBuild: 0, collectionsFinished: 0, collectionsTotal: 0 },
  };
  const heartbeat = new ActivityProgress(() => position);
  // A retry skips the collections an earlier attempt finished (the catalog comes in namespace
  // order): building an index again would find it there, but asking costs a round trip per
  // index of every collection.
  const resumed = heartbeat.resumed;
  if (resumed) position = resumed;
  // The collections up to the resume point are finished; the rest are counted as they are
  // listed (the heartbeat's total may already count some of them: its page was listed whole).
  const progress: IndexBuildProgress = { ...position.progress, collectionsTotal: position.progress.collectionsFinished };
  const matcher = compileNamespaceFilter(input);
  for await (const { db, infos } of includedCollectionPages(source, matcher)) {
    const collections = infos.filter((info) => info.type === 'collection' && (!position.after || compareNamespaces({ db, coll: info.name as string }, position.after) > 0));
    // The page's bindings in one query (all of them would be 100,000 documents in memory).
    const uuids = collections.map((info) => uuidKey((info.info as Document | undefined)?.uuid)).filter((uuid): uuid is string => uuid !== null);
    const bindings = await heartbeat.during(ddl.bindingsOf(uuids));
    const building: { ns: { db: string; coll: string }; destination: { db: string; coll: string } }[] = [];
    for (const info of collections) {
      const binding = bindings.get(uuidKey((info.info as Document | undefined)?.uuid) ?? '');
      if (binding?.state !== 'live') continue;
      building.push({ ns: { db, coll: info.name as string }, destination: binding.ns });
    }
    progress.collectionsTotal += building.length;
    // A few collections at a time (thousands of small collections would otherwise cost their
    // round trips one after another). The resume point moves over the collections finished in
    // namespace order: one finished ahead of an unfinished one is built again by a retry.
    await heartbeat.during(
      forEachConcurrentlyInOrder(
        building,
        input.collectionsAtOnce ?? COLLECTIONS_BUILT_AT_ONCE,
        async ({ ns, destination }) => {
          const specs = await ddl.sourceIndexSpecs(ns);
          // One command builds all of a collection's indexes in one scan of it (heartbeats go
          // on meanwhile): a round trip per collection, not per index.
          await ddl.createIndexesOnCopiedCollection(destination, specs);
          return specs.length;
        },
        ({ ns }, built) => {
          progress.totalIndexesToBuild += built;
          progress.indexesBuilt += built;
          progress.collectionsFinished += 1;
          position = { after: ns, progress: { ...progress } };
          heartbeat.beat();
        },
      ),
    );
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

/** Collections finalizeDestination works on at once. */
const COLLECTIONS_FINALIZED_AT_ONCE = 8;

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
  // it resumes after the last finished collection (the catalog comes in namespace order) so
  // that a long finalize still ends.
  const resumed = heartbeat.resumed;
  if (resumed) position = resumed;
  let applied = position.applied;
  const differences = [...position.differences];
  const indexes = input.buildIndexes !== 'never';
  /** Applies the stage's steps to one collection: how many, and the index differences left. */
  const finalizeCollection = async (db: string, info: Document, destinationInfo: Document | undefined): Promise<{ applied: number; differences: string[] }> => {
    if (!destinationInfo) return { applied: 0, differences: [] };
    const coll = info.name as string;
    const steps: FinalizeIndexStep[] = cappedRestoreSteps(coll, (info.options ?? {}) as Document, (destinationInfo.options ?? {}) as Document);
    const sourceSpecs = indexes ? await ddl.sourceIndexSpecs({ db, coll }) : [];
    const destinationSpecs = async (): Promise<Document[]> =>
      (await destination.db(db).collection(coll).listIndexes().toArray()).filter((spec) => spec.name !== '_id_');
    let destinationIndexes = indexes ? await destinationSpecs() : [];
    if (indexes) steps.push(...finalizeIndexSteps(coll, sourceSpecs, destinationIndexes));
    const stageSteps = steps.filter((step) => step.stage === input.stage);
    // An index build or a unique conversion reads the whole collection: the caller heartbeats.
    for (const step of stageSteps) await ddl.applyFinalizeStep({ db, coll }, step);
    if (input.stage !== 'afterCanWrite' || !indexes) return { applied: stageSteps.length, differences: [] };
    if (stageSteps.length > 0) destinationIndexes = await destinationSpecs();
    return { applied: stageSteps.length, differences: indexDifferences(sourceSpecs, destinationIndexes).map((d) => `${db}.${coll}: ${d}`) };
  };
  for await (const { db, infos } of includedCollectionPages(source, compileNamespaceFilter(input))) {
    const collections = infos.filter((info) => info.type === 'collection' && (!position.after || compareNamespaces({ db, coll: info.name as string }, position.after) > 0));
    if (collections.length === 0) continue;
    // The destination's entries of the page in one query, then a few collections at a time;
    // the resume point moves over the collections finished in namespace order.
    const onDestination = await heartbeat.during(
      destination
        .db(db)
        .listCollections({ name: { $in: collections.map((info) => info.name as string) } })
        .toArray(),
    );
    const destinationInfos = new Map(onDestination.map((info) => [info.name, info as Document]));
    await heartbeat.during(
      forEachConcurrentlyInOrder(
        collections,
        COLLECTIONS_FINALIZED_AT_ONCE,
        (info) => finalizeCollection(db, info, destinationInfos.get(info.name as string)),
        (info, done) => {
          applied += done.applied;
          differences.push(...done.differences);
          position = { after: { db, coll: info.name as string }, applied, differences: [...differences] };
          heartbeat.beat();
        },
      ),
    );
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
