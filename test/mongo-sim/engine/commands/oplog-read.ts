// find on local.oplog.rs: entries as the server shows them, natural order is oplog order.
import type { Document } from 'bson';
import type { EngineState } from '../state';
import { publicOplogEntry } from '../oplog';
import { compileFilter } from '../query/matcher';
import { toQueryView } from '../bson/typed-view';
import { isPlainDocument, toNumber } from '../bson/values';
import type { ParsedFind } from './find';
import { findOnDocuments } from './views';

export function findOnOplog(state: EngineState, p: ParsedFind): Document[] {
  const entries = state.oplog.all();
  const scan = naturalScan(p);
  if (!scan) return findOnDocuments(entries.map(publicOplogEntry), p);
  // A collection scan in natural order with a limit stops once it has found skip + limit
  // entries (a findOne of the oldest or newest entry reads one), as mongod's does.
  const spec = p.collation?.locale === 'simple' ? undefined : p.collation;
  const test = p.filter && Object.keys(p.filter).length > 0 ? compileFilter(p.filter, { collation: spec, variables: p.variables }) : undefined;
  const found: Document[] = [];
  for (let k = 0; k < entries.length && found.length < scan.wanted; k++) {
    const entry = publicOplogEntry(entries[scan.direction === 1 ? k : entries.length - 1 - k]);
    if (!test || test(toQueryView(entry))) found.push(entry);
  }
  return findOnDocuments(found, { ...p, sort: undefined, hint: undefined });
}

/** A find that reads in natural order and wants at most `wanted` matching entries; else null. */
function naturalScan(p: ParsedFind): { direction: 1 | -1; wanted: number } | null {
  if (p.limit === undefined || p.limit <= 0) return null;
  const sortKeys = isPlainDocument(p.sort) ? Object.keys(p.sort) : [];
  let direction: 1 | -1 = 1;
  if (sortKeys.length === 1 && sortKeys[0] === '$natural') direction = (toNumber(p.sort!.$natural) ?? 1) < 0 ? -1 : 1;
  else if (sortKeys.length > 0) return null;
  else if (isPlainDocument(p.hint) && (toNumber(p.hint.$natural) ?? 1) < 0) direction = -1;
  return { direction, wanted: (p.skip ?? 0) + p.limit };
}
