// Contract inside the engine between storage (catalog, CRUD, DDL, oplog writer, cursors) and
// change streams. Storage implements these interfaces; change streams only consume them.
import type { Document, Long, Timestamp, UUID } from 'bson';

/**
 * One oplog entry, in the real 7.0 format (administrative commands):
 *  insert  {op:'i', ns:'db.c', ui, o: doc, o2: {_id}}
 *  update  {op:'u', ns:'db.c', ui, o: {$v: 2, diff: <diff>}, o2: {_id}}   (operator updates)
 *  replace {op:'u', ns:'db.c', ui, o: <full new document>, o2: {_id}}     (replacement updates)
 *  delete  {op:'d', ns:'db.c', ui, o: {_id}}
 *  no-op   {op:'n', ns:'', o: {msg: 'periodic noop'} | <appendOplogNote data>}
 *  DDL     {op:'c', ns:'db.$cmd', ui?, o: {...}, o2?: {...}}:
 *    create            o: {create: 'c', idIndex?: {...}, ...options}   (views: {create:'v', viewOn, pipeline})
 *    commitIndexBuild  o: {commitIndexBuild: 'c', indexBuildUUID: UUID, indexes: [spec, ...]}  (one per createIndexes command)
 *    dropIndexes       o: {dropIndexes: 'c', index: 'name'}, o2: <full spec of the dropped index>  (one per index)
 *    collMod           o: {collMod: 'c', ...the command body}, o2: {collectionOptions_old: {...}, indexOptions_old?: {...}}
 *    drop              o: {drop: 'c'}, o2: {numRecords: Long}
 *    renameCollection  o: {renameCollection: 'db.a', to: 'db2.b', stayTemp: false, dropTarget?: UUID}
 *    dropDatabase      o: {dropDatabase: 1}   (written after one `drop` entry per collection)
 *
 * The update diff (`$v: 2`) format:
 *   object diff: { u?: {field: newValue}, i?: {field: value}, d?: {field: false}, s<field>?: <sub diff> }
 *     u = existing field changed, i = new field added, d = field removed
 *   array diff:  { a: true, l?: <new length when truncated>, u<index>?: value, s<index>?: <sub diff> }
 */
export interface OplogEntry {
  ts: Timestamp;
  t: Long;
  v: Long;
  wall: Date;
  op: 'i' | 'u' | 'd' | 'c' | 'n';
  ns: string;
  ui?: UUID;
  o: Document;
  o2?: Document;
  lsid?: Document;
  txnNumber?: Long;
  /** transactions: the optime of the transaction's previous entry ({ts: Timestamp(0, 0), t: -1} for the first) */
  prevOpTime?: Document;
  /** simulator-only, on a transaction's commit entry: every applyOps element of the transaction,
   *  across its partialTxn chain, in order */
  txnOps?: Document[];
  /** simulator-only: pre/post images of `txnOps`, same index */
  txnImages?: Array<{ preImage?: Document; postImage?: Document }>;
  /** simulator-only (never shown in local.oplog.rs): document before an update/replace/delete,
   *  recorded only when the collection has changeStreamPreAndPostImages enabled */
  preImage?: Document;
  /** simulator-only: document after an update/replace, same condition */
  postImage?: Document;
  /** simulator-only: serialized BSON size, used for the size cap */
  sizeBytes: number;
}

export interface OplogReader {
  /** entries with ts >= from, oldest first (a snapshot; safe to iterate while writes happen) */
  readFrom(from: Timestamp): OplogEntry[];
  /** ts of the oldest entry still in the capped oplog */
  oldest(): Timestamp;
  /** ts of the newest entry */
  latest(): Timestamp;
  /** resolves when an entry newer than `after` exists, when `ms` passes, or when `signal` aborts */
  waitForNewer(after: Timestamp, ms: number, signal: AbortSignal): Promise<void>;
}

export interface CatalogReader {
  /** the current document with this _id (for fullDocument: 'updateLookup'), or undefined */
  findById(db: string, coll: string, id: unknown): Document | undefined;
  /** the collection's UUID, or undefined if it does not exist */
  collectionUUID(db: string, coll: string): UUID | undefined;
}

/** A cursor that the engine's cursor manager serves through getMore/killCursors. */
export interface ServerCursor {
  /** `cursor.ns` of the replies, e.g. 'db.c', 'admin.$cmd.aggregate' */
  readonly ns: string;
  /** true for tailable awaitData cursors (change streams) */
  readonly awaitData: boolean;
  /**
   * The next batch of at most `limit` documents (the manager also caps at 16 MiB). Awaitable
   * cursors wait up to `maxTimeMS` (default 1000) for data and return an empty batch on timeout.
   * `exhausted` true closes the cursor (reply id 0). `sizes`, when the cursor knows them, are
   * the documents' BSON sizes (spares the manager measuring them again for its cap).
   */
  nextBatch(
    limit: number,
    maxTimeMS: number | undefined,
    signal: AbortSignal,
  ): Promise<{ docs: Document[]; exhausted: boolean; postBatchResumeToken?: Document; sizes?: number[] }>;
  close(): void;
}

/**
 * Implemented by engine/change-stream.ts (exported as `openChangeStream`). The aggregate command
 * handler calls it when `pipeline[0]` is `$changeStream`; it validates the request (throwing
 * CommandError with the server's codes), and returns the cursor whose first batch the aggregate
 * reply carries. The stages after `$changeStream` ($match, $project, ...) are its business too.
 */
export type OpenChangeStream = (args: {
  cmd: Document;
  db: string;
  oplog: OplogReader;
  catalog: CatalogReader;
  /** server version, e.g. '7.0.14' */
  version: string;
}) => ServerCursor;
