// The TTL monitor pass: deletes documents whose indexed date (or the earliest date of an array)
// is older than the index's expireAfterSeconds, and clustered collections' expired _id dates.
// Deletions are ordinary deletes with oplog entries.
import type { Document } from 'bson';
import type { EngineState } from './state';
import type { CollectionInfo } from './catalog/catalog';
import { isClustered } from './catalog/catalog';
import { deleteRecord, exemptFromWriteBlocking } from './writes';
import { TransactionWait } from './transactions';
import { indexValues } from './storage/index-keys';
import { recordView } from './storage/collection-store';
import type { DocRecord } from './storage/id-index';
import { toNumber } from './bson/values';

function earliestDate(doc: Document, path: string): number | undefined {
  let best: number | undefined;
  for (const v of indexValues(doc, path).values) {
    if (v instanceof Date && (best === undefined || v.getTime() < best)) best = v.getTime();
  }
  return best;
}

function expiredRecords(info: CollectionInfo, nowMs: number): DocRecord[] {
  const out: DocRecord[] = [];
  const rules: { path: string; seconds: number; partial?: (v: Document) => boolean }[] = [];
  for (const ix of info.store.indexes) {
    if (ix.expireAfterSeconds !== undefined && ix.fields.length === 1) {
      rules.push({ path: ix.fields[0], seconds: ix.expireAfterSeconds, partial: ix.partial });
    }
  }
  const clusteredTtl = toNumber(info.options.expireAfterSeconds);
  if (isClustered(info) && clusteredTtl !== undefined) rules.push({ path: '_id', seconds: clusteredTtl });
  if (rules.length === 0) return out;
  for (const rec of info.store.natural()) {
    for (const rule of rules) {
      const date = earliestDate(rec.doc, rule.path);
      if (date === undefined || date + rule.seconds * 1000 > nowMs) continue;
      if (rule.partial && !rule.partial(recordView(rec))) continue;
      out.push(rec);
      break;
    }
  }
  return out;
}

/** One pass over every collection. Skipped for user data while user writes are blocked. */
export function runTtlPass(state: EngineState): number {
  const now = state.settings.nowMs();
  let deleted = 0;
  for (const db of state.catalog.databaseNames()) {
    for (const info of state.catalog.namespaces(db)) {
      if (info.kind !== 'collection' || info.virtualOplog) continue;
      if (state.writeBlock.enabled && !exemptFromWriteBlocking(db, info.name)) continue;
      for (const rec of expiredRecords(info, now)) {
        try {
          deleteRecord(state, undefined, info, rec);
          deleted++;
        } catch (e) {
          // a document an open transaction wrote: left for a later pass, as the server's TTL
          // monitor gives up on a write conflict
          if (!(e instanceof TransactionWait)) throw e;
        }
      }
    }
  }
  return deleted;
}
