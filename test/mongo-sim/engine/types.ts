// The contract between the simulator's server layer (wire protocol, handshake, auth, fail points,
// reply envelopes) and its engine (catalog, documents, oplog, cursors, change streams).
import type { Document, Long, Timestamp } from 'bson';

/** A command failure: the server layer turns it into an `ok: 0` reply. */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    /** extra top-level reply fields, e.g. keyPattern/keyValue or errInfo */
    readonly extra: Document = {},
    readonly errorLabels: string[] = [],
  ) {
    super(message);
  }
}

/** What the server layer knows about the request that the engine needs. */
export interface RequestContext {
  /** the `$db` of the request */
  db: string;
  /** true when this connection may write while user writes are blocked */
  mayBypassWriteBlocking: boolean;
  /** generic arguments, passed through when present */
  lsid?: Document;
  txnNumber?: Long;
  /**
   * Called just before each document write of the command (insert, update, delete) commits;
   * throwing fails that statement with nothing written. The server layer sets it for the
   * onPrimaryTransactionalWrite fail point.
   */
  beforeWriteCommit?: () => void;
  /** aborted when the client connection closes */
  signal: AbortSignal;
}

/** The engine: everything that reads or writes data. One per simulated replica set. */
export interface Engine {
  /**
   * Runs one command whose name is the first key of `cmd`. Resolves to the reply body without
   * `ok`, `$clusterTime` and `operationTime`; throws CommandError for `ok: 0` replies.
   * Unknown commands throw CommandError(59, 'CommandNotFound', "no such command: 'x'").
   */
  runCommand(cmd: Document, ctx: RequestContext): Promise<Document>;
  /** The logical clock, for `$clusterTime.clusterTime` (never behind lastApplied). */
  clusterTime(): Timestamp;
  /** ts of the newest oplog entry: the `operationTime` of replies. */
  lastApplied(): Timestamp;
  /** wall clock of the newest oplog entry */
  lastAppliedWall(): Date;
  /** Int 1 = disabled, 2 = enabled, for serverStatus().repl.userWriteBlockMode */
  userWriteBlockMode(): 1 | 2;
  /** oldest and newest oplog timestamps, for serverStatus({oplog: 1}) */
  oplogWindow(): { earliest: Timestamp; latest: Timestamp };
  /** endSessions: aborts the sessions' open transactions */
  endSessions(lsids: unknown[]): void;
  /** stops timers (periodic no-op writer) and wakes waiting getMores */
  close(): void;
}

export interface EngineOptions {
  /** '7.0.14' by default; '6.0.x' and '8.0.x' selectable */
  version: string;
  /** oplog cap in bytes (serialized BSON size of the entries) */
  oplogSizeBytes: number;
  /** interval of the periodic no-op writer, 10 s like mongod; 0 turns it off */
  periodicNoopIntervalMs: number;
  /** `host:port` the server advertises (used in $collStats.host, dbHash.host) */
  hostAndPort: string;
}
