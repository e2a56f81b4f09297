// The engine's shared state, handed to every command handler.
import { LocalSessions } from './local-sessions';
import { UUID, type Document } from 'bson';
import type { RequestContext } from './types';
import { Catalog } from './catalog/catalog';
import { Oplog } from './oplog';
import { CursorManager } from './cursors';
import { parseVersion, type ServerVersion } from './version';
import { WriteHistory } from './history';
import { TransactionManager, type Transaction } from './transactions';

/** mongod's transactionLifetimeLimitSeconds default */
export const DEFAULT_TRANSACTION_LIFETIME_SECONDS = 60;

export interface EngineSettings {
  version: string;
  oplogSizeBytes: number;
  periodicNoopIntervalMs: number;
  hostAndPort: string;
  /** how often the TTL monitor runs (mongod: 60 s); 0 turns it off */
  ttlMonitorIntervalMs: number;
  /** idle cursors are closed after this long (mongod: 10 minutes) */
  cursorTimeoutMs: number;
  /** clock source, for tests */
  nowMs: () => number;
}

export interface WriteBlockState {
  enabled: boolean;
  reason?: string;
}

export class EngineState {
  readonly catalog = new Catalog();
  readonly oplog: Oplog;
  readonly cursors: CursorManager;
  readonly version: ServerVersion;
  readonly writeBlock: WriteBlockState = { enabled: false };
  readonly localSessions = new LocalSessions();
  readonly startedAt: number;
  /** committed document writes of the last 300 s, for snapshots */
  readonly history: WriteHistory;
  readonly transactions = new TransactionManager(DEFAULT_TRANSACTION_LIFETIME_SECONDS * 1000);
  /** set only on the state a transaction's (or snapshot read's) statements run against */
  readonly transaction?: Transaction;
  /**
   * Above 0 while running writes that cannot wait for a transaction (TTL deletions, capped
   * evictions): a conflict aborts the transaction instead (see noteCommittedWrite).
   */
  abortHoldersOnConflict = 0;
  private readonly viewCatalogUuids = new Map<string, UUID>();

  constructor(readonly settings: EngineSettings) {
    this.version = parseVersion(settings.version);
    this.oplog = new Oplog(settings.oplogSizeBytes, settings.nowMs);
    this.cursors = new CursorManager(settings.cursorTimeoutMs, settings.nowMs);
    this.startedAt = settings.nowMs();
    this.history = new WriteHistory(settings.nowMs, this.oplog.latest());
  }

  /** The UUID a database's `system.views` collection reports (stable for the engine's life). */
  systemViewsUuid(db: string): UUID {
    let uuid = this.viewCatalogUuids.get(db);
    if (!uuid) {
      uuid = new UUID();
      this.viewCatalogUuids.set(db, uuid);
    }
    return uuid;
  }
}

export type CommandHandler = (cmd: Document, ctx: RequestContext, state: EngineState) => Promise<Document> | Document;
