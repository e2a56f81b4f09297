// find on local.oplog.rs: entries as the server shows them, natural order is oplog order.
import type { Document } from 'bson';
import type { EngineState } from '../state';
import { isPlainDocument, toNumber } from '../bson/values';
import { publicOplogEntry } from '../oplog';
import { skipLimit } from '../query/execute';
import { parseSort } from '../query/sort';
import type { ParsedFind } from './find';
import { findOnDocuments } from './views';

export function findOnOplog(state: EngineState, p: ParsedFind): Document[] {
  const entries = state.oplog.all();
  const direction = naturalScanDirection(p);
  if (direction === null) return findOnDocuments(entries.map(publicOplogEntry), p);
  // A scan in natural order without a filter reads only the entries it returns, as the
  // server's collection scan does (the oldest or newest entry is one read, not the whole oplog).
  const ordered = direction < 0 ? entries.reverse() : entries;
  const { sort: _sort, hint: _hint, skip: _skip, limit: _limit, ...rest } = p;
  return findOnDocuments(skipLimit(ordered, p.skip, p.limit).map(publicOplogEntry), rest);
}

/** 1 or -1 when the find reads the oplog in (reverse) natural order without a filter; else null. */
function naturalScanDirection(p: ParsedFind): 1 | -1 | null {
  if (p.filter && Object.keys(p.filter).length > 0) return null;
  const sort = parseSort(p.sort);
  if (sort.length === 1 && sort[0]!.path === '$natural') return sort[0]!.direction === -1 ? -1 : 1;
  if (sort.length > 0) return null;
  const hintNatural = isPlainDocument(p.hint) ? toNumber(p.hint.$natural) : undefined;
  return hintNatural !== undefined && hintNatural < 0 ? -1 : 1;
}
