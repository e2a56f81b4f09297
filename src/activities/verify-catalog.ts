// The embedded verifier's catalog check at commit (docs/embedded-verifier.md): once every event
// is applied and the destination's indexes and options are restored (finalizeDestination's
// beforeCanWrite stage), every synced namespace must have on the destination the options, the
// indexes and the view definition it has on the source. Only what the commit has not done yet
// is accepted: unique indexes are prepared (prepareUnique) and become unique once the
// destination is writable; indexes the buildIndexes mode does not build are not expected.
//
// The catalog is read a page of namespaces at a time (src/verify/compare-catalog.ts); each
// page's differences are recorded in the verifier's store before the heartbeat moves past it,
// so a retry resumes after the last page done and counts each difference once.
import type { Document, MongoClient } from 'mongodb';
import type { ClusterConnections } from '../mongo/cluster-clients';
import { shouldBuildIndex } from '../sync/index-relaxation';
import { C2C_VERIFIER_DB } from '../sync/namespace-names';
import { compileNamespaceFilter } from '../sync/namespace-filter';
import type { BuildIndexesMode, SyncScope } from '../sync/start-options';
import type { VerificationMismatch } from '../sync/verification';
import type { CatalogMismatch, CatalogMismatchKind } from '../sync/verify/catalog-diff';
import { catalogMismatchKey, catalogVerificationMismatch } from '../sync/verify/catalog-mismatch';
import { type CatalogPosition, compareCatalogPages } from '../verify/compare-catalog';
import { ActivityProgress } from './heartbeat';

export interface VerifyCatalogInput extends SyncScope {
  buildIndexes: BuildIndexesMode;
  /** namespaces per page (default 100) */
  pageSize?: number;
}

export interface VerifyCatalogResult {
  /** namespaces compared (on either side) */
  namespaces: number;
  mismatchCount: number;
  /** the first few, named */
  mismatches: VerificationMismatch[];
}

/** Where the check stands (heartbeated): every namespace up to `after` is compared and its differences recorded. */
interface VerifyCatalogPosition {
  after: CatalogPosition | null;
  namespaces: number;
}

/** A catalog difference in the verifier's store, next to the document mismatches. */
export interface CatalogMismatchEntry {
  _id: { db: string; coll: string; catalog: string };
  kind: CatalogMismatchKind;
  message: string;
}

/** Catalog differences the result names; the rest are counted. */
const MAX_RETURNED = 10;

const catalogMismatches = (destination: MongoClient) => destination.db(C2C_VERIFIER_DB).collection<CatalogMismatchEntry>('mismatches');
const CATALOG_ENTRIES: Document = { '_id.catalog': { $exists: true } };

async function recordCatalogMismatches(destination: MongoClient, found: readonly CatalogMismatch[]): Promise<void> {
  if (found.length === 0) return;
  await catalogMismatches(destination).bulkWrite(
    found.map((m) => ({
      replaceOne: {
        filter: { _id: { db: m.db, coll: m.coll, catalog: catalogMismatchKey(m) } },
        replacement: { kind: m.kind, message: m.message },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}

/**
 * Compares the catalog of every namespace the sync covers on both clusters, a page at a time,
 * and records the differences in the verifier's store; returns how many there are (those an
 * earlier attempt recorded included) and the first few.
 */
export async function verifyCatalog(clients: ClusterConnections, input: VerifyCatalogInput): Promise<VerifyCatalogResult> {
  const source = clients.client(input.source);
  const destination = clients.client(input.destination);
  const matcher = compileNamespaceFilter(input);
  let position: VerifyCatalogPosition = { after: null, namespaces: 0 };
  const progress = new ActivityProgress(() => position);
  if (progress.resumed) position = progress.resumed;
  const pages = compareCatalogPages(source, destination, {
    after: position.after,
    ...(input.pageSize !== undefined ? { pageSize: input.pageSize } : {}),
    includeDatabase: (db) => matcher.isDatabaseIncluded(db),
    includeNamespace: (db, coll) => matcher.isNamespaceIncluded(db, coll),
    uniqueConversionPending: true,
    expectIndex: (spec) => shouldBuildIndex(spec, input.buildIndexes),
  });
  for (;;) {
    const next = await progress.during(pages.next());
    if (next.done) break;
    const page = next.value;
    await progress.during(recordCatalogMismatches(destination, page.mismatches));
    position = { after: page.last, namespaces: position.namespaces + page.namespaces.length };
    progress.beat();
  }
  progress.beatNow();
  const count = await catalogMismatches(destination).countDocuments(CATALOG_ENTRIES);
  const shown = count === 0 ? [] : await catalogMismatches(destination).find(CATALOG_ENTRIES, { sort: { _id: 1 }, limit: MAX_RETURNED }).toArray();
  return {
    namespaces: position.namespaces,
    mismatchCount: count,
    mismatches: shown.map((entry) => catalogVerificationMismatch({ db: entry._id.db, coll: entry._id.coll, kind: entry.kind, message: entry.message })),
  };
}
