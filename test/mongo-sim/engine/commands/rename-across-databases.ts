// renameCollection to another database as mongod 6.0-8.0 performs it: the documents are copied
// into a temporary collection `tmpXXXXX.renameCollection` of the target database (created with
// `temp: true` and the source's options, then its indexes, then one insert per document), which
// is renamed over the target within that database; then the source is dropped. The oplog, and so
// every change stream, shows exactly those steps.
import { randomInt } from 'node:crypto';
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import type { CollectionInfo } from '../catalog/catalog';
import { createCollection, insertRecord } from '../writes';
import { createIndexesOnNewCollection, indexSpecs } from './indexes';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

function temporaryName(state: EngineState, db: string): string {
  for (;;) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
    const name = `tmp${suffix}.renameCollection`;
    if (!state.catalog.get(db, name)) return name;
  }
}

export interface CrossDatabaseRename {
  source: CollectionInfo;
  to: { db: string; coll: string };
  dropTarget: boolean;
  /** renameCollection within the target database (temp -> target) */
  renameWithin: (cmd: Document) => void;
  /** drops the source collection, logging its `drop` entry */
  dropSource: () => void;
}

export function renameAcrossDatabases(state: EngineState, ctx: RequestContext, r: CrossDatabaseRename): void {
  const { source, to } = r;
  const targetCtx: RequestContext = { db: to.db, mayBypassWriteBlocking: ctx.mayBypassWriteBlocking, signal: ctx.signal };
  const tempName = temporaryName(state, to.db);
  const temp = createCollection(state, to.db, tempName, { ...source.options, temp: true });
  const secondary = indexSpecs(source).filter((spec) => spec.name !== '_id_' && spec.clustered === undefined);
  if (secondary.length > 0) {
    createIndexesOnNewCollection({ createIndexes: tempName, indexes: secondary.map(({ v: _v, ...spec }) => spec) }, targetCtx, state);
  }
  for (const rec of [...source.store.natural()]) insertRecord(state, targetCtx, temp, rec.doc, { bypassValidation: true });
  r.renameWithin({ renameCollection: `${to.db}.${tempName}`, to: `${to.db}.${to.coll}`, dropTarget: r.dropTarget });
  const moved = state.catalog.getCollection(to.db, to.coll);
  if (moved) {
    const { temp: _temp, ...options } = moved.options;
    moved.options = options;
  }
  r.dropSource();
}
