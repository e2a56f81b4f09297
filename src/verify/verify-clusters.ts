// The one-shot verification of two clusters, in this process (no Temporal): compares the
// catalogs, then every document of every collection, each collection split into _id ranges
// that `parallelism` comparisons work through at once. The report names every difference
// (documents up to `maxMismatches`, all of them counted).
import { BSON, type MongoClient } from 'mongodb';
import { type CatalogMismatch, compareCatalog } from './compare-catalog';
import { redactedMessage } from '../mongo/redact';
import { CollationMismatchError, compareRange, type DocumentMismatch, type RangeBounds } from './compare-range';
import { planCollectionRanges } from './plan-ranges';

export interface VerifyClustersOptions {
  /** which namespaces to verify; the never-synced ones (admin, config, local, system.*) never are */
  includeNamespace: (db: string, coll: string) => boolean;
  /** ranges compared at once */
  parallelism: number;
  /** document mismatches listed in the report (all are counted) */
  maxMismatches: number;
  /** wanted size of one range (default: each collection split in 2 ranges per parallel slot, 16 to 256 MiB) */
  targetRangeBytes?: number;
  maxRangesPerCollection?: number;
  batchSize?: number;
  onProgress?: (progress: VerifyProgress) => void;
  signal?: AbortSignal;
}

export interface VerifyProgress {
  phase: 'catalog' | 'planning' | 'documents';
  /** documents compared so far (source and destination) */
  comparedDocuments: number;
  /** documents to compare, estimated from $collStats (source and destination) */
  estimatedDocuments: number;
  mismatches: number;
  collectionsDone: number;
  collectionsTotal: number;
}

export interface NamespaceReport {
  namespace: string;
  type: string;
  sourceDocuments: number;
  destinationDocuments: number;
  documentMismatches: number;
  ranges: number;
  /** why the documents were not compared (a view, a time-series collection, different collations...) */
  documentsNotCompared?: string;
}

export interface ReportedDocumentMismatch {
  namespace: string;
  /** the _id in canonical Extended JSON */
  id: string;
  kind: DocumentMismatch['kind'];
}

export interface VerifyReport {
  equal: boolean;
  startedAt: string;
  finishedAt: string;
  totals: { namespaces: number; sourceDocuments: number; destinationDocuments: number; documentMismatches: number; catalogMismatches: number };
  namespaces: NamespaceReport[];
  documentMismatches: ReportedDocumentMismatch[];
  catalogMismatches: CatalogMismatch[];
  /** namespaces whose documents could not be verified, with the reason (the verdict is then not equal) */
  errors: { namespace: string; error: string }[];
}

/** Runs `work` over `items` with at most `parallelism` at once; the first failure stops the rest. */
async function inParallel<T>(items: readonly T[], parallelism: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, items.length)) }, worker));
}

/** Verifies that cluster1 (the destination) holds what cluster0 (the source) holds. */
export async function verifyClusters(source: MongoClient, destination: MongoClient, options: VerifyClustersOptions): Promise<VerifyReport> {
  const startedAt = new Date().toISOString();
  const progress: VerifyProgress = { phase: 'catalog', comparedDocuments: 0, estimatedDocuments: 0, mismatches: 0, collectionsDone: 0, collectionsTotal: 0 };
  const tell = () => options.onProgress?.({ ...progress });
  tell();
  const catalog = await compareCatalog(source, destination, { includeNamespace: options.includeNamespace, signal: options.signal });
  const namespaces: NamespaceReport[] = catalog.namespaces.map((ns) => ({
    namespace: `${ns.db}.${ns.coll}`,
    type: ns.type,
    sourceDocuments: 0,
    destinationDocuments: 0,
    documentMismatches: 0,
    ranges: 0,
    ...(ns.type === 'view' ? { documentsNotCompared: 'a view: its definition is compared' } : {}),
    ...(ns.type === 'timeseries' ? { documentsNotCompared: 'a time-series collection: its options and indexes are compared' } : {}),
  }));
  const collections = catalog.namespaces.map((ns, i) => ({ ...ns, report: namespaces[i]! })).filter((ns) => ns.type === 'collection');
  progress.phase = 'planning';
  progress.collectionsTotal = collections.length;
  tell();

  type Collection = (typeof collections)[number];
  const work: { ns: Collection; bounds: RangeBounds; order: [number, number] }[] = [];
  const rangesLeft = new Map<Collection, number>();
  await inParallel(collections, options.parallelism, async (ns) => {
    const sourceColl = source.db(ns.db).collection(ns.coll);
    const destinationColl = destination.db(ns.db).collection(ns.coll);
    const limits = { parallelism: options.parallelism, maxRanges: options.maxRangesPerCollection ?? 512, ...(options.targetRangeBytes ? { targetRangeBytes: options.targetRangeBytes } : {}) };
    const [plan, destinationCount] = await Promise.all([
      planCollectionRanges(ns.onSource ? sourceColl : destinationColl, limits, options.signal),
      ns.onSource && ns.onDestination ? destinationColl.estimatedDocumentCount() : Promise.resolve(0),
    ]);
    progress.estimatedDocuments += plan.documents + (ns.onSource ? destinationCount : 0);
    ns.report.ranges = plan.ranges.length;
    rangesLeft.set(ns, plan.ranges.length);
    plan.ranges.forEach((bounds, i) => work.push({ ns, bounds, order: [collections.indexOf(ns), i] }));
    tell();
  });

  progress.phase = 'documents';
  tell();
  // The listed mismatches are the first ones in namespace and _id order, whatever order the
  // ranges finish in: each carries its range's place in `work`, and the list is cut back to
  // `maxMismatches` whenever it holds twice that.
  let listed: { at: [number, number]; mismatch: ReportedDocumentMismatch }[] = [];
  const byPlace = (a: { at: [number, number] }, b: { at: [number, number] }) => a.at[0] - b.at[0] || a.at[1] - b.at[1];
  const errors: VerifyReport['errors'] = [];
  const failed = new Set<Collection>();
  // In namespace order, each collection's ranges in _id order.
  const indexed = work.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]).map((item, index) => ({ ...item, index }));
  await inParallel(indexed, options.parallelism, async ({ ns, bounds, index }) => {
    const rangeDone = () => {
      const left = rangesLeft.get(ns)! - 1;
      rangesLeft.set(ns, left);
      if (left === 0) progress.collectionsDone++;
      tell();
    };
    if (failed.has(ns)) return rangeDone();
    let counted = { source: 0, destination: 0, mismatches: 0 };
    const account = (now: { sourceDocuments: number; destinationDocuments: number; mismatchCount: number }) => {
      progress.comparedDocuments += now.sourceDocuments - counted.source + now.destinationDocuments - counted.destination;
      progress.mismatches += now.mismatchCount - counted.mismatches;
      counted = { source: now.sourceDocuments, destination: now.destinationDocuments, mismatches: now.mismatchCount };
    };
    try {
      const result = await compareRange(source.db(ns.db).collection(ns.coll), destination.db(ns.db).collection(ns.coll), bounds, {
        maxMismatches: options.maxMismatches,
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onBatch: (position) => {
          account(position);
          tell();
        },
      });
      account(result);
      ns.report.sourceDocuments += result.sourceDocuments;
      ns.report.destinationDocuments += result.destinationDocuments;
      ns.report.documentMismatches += result.mismatchCount;
      result.mismatches.forEach((mismatch, i) => {
        listed.push({ at: [index, i], mismatch: { namespace: ns.report.namespace, id: BSON.EJSON.stringify(mismatch.id, { relaxed: false }), kind: mismatch.kind } });
      });
      if (listed.length >= 2 * options.maxMismatches) listed = listed.sort(byPlace).slice(0, options.maxMismatches);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // One namespace that cannot be compared does not stop the others; the verdict is "not equal".
      failed.add(ns);
      const reason = error instanceof CollationMismatchError ? 'the default collations differ (see the catalog mismatches)' : redactedMessage(error);
      ns.report.documentsNotCompared = reason;
      if (!(error instanceof CollationMismatchError)) errors.push({ namespace: ns.report.namespace, error: reason });
    }
    rangeDone();
  });
  const mismatches = listed.sort(byPlace).slice(0, options.maxMismatches).map((entry) => entry.mismatch);

  const totals = {
    namespaces: namespaces.length,
    sourceDocuments: namespaces.reduce((sum, ns) => sum + ns.sourceDocuments, 0),
    destinationDocuments: namespaces.reduce((sum, ns) => sum + ns.destinationDocuments, 0),
    documentMismatches: namespaces.reduce((sum, ns) => sum + ns.documentMismatches, 0),
    catalogMismatches: catalog.mismatches.length,
  };
  return {
    equal: totals.documentMismatches === 0 && totals.catalogMismatches === 0 && errors.length === 0,
    startedAt,
    finishedAt: new Date().toISOString(),
    totals,
    namespaces,
    documentMismatches: mismatches,
    catalogMismatches: catalog.mismatches,
    errors,
  };
}
