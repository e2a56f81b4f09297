// find on local.oplog.rs: entries as the server shows them, natural order is oplog order.
import type { Document } from 'bson';
import type { EngineState } from '../state';
import { publicOplogEntry } from '../oplog';
import type { ParsedFind } from './find';
import { findOnDocuments } from './views';

export function findOnOplog(state: EngineState, p: ParsedFind): Document[] {
  return findOnDocuments(state.oplog.all().map(publicOplogEntry), p);
}
