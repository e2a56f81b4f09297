// The engine: dispatches commands to handlers over the shared state, owns the background timers
// (periodic no-op writer, TTL monitor) and answers the server layer's clock questions.
import type { Document, Timestamp } from 'bson';
import type { Engine, RequestContext } from './types';
import { EngineState, type EngineSettings } from './state';
import { buildRegistry, type CommandSpec } from './commands/registry';
import { adminOnly, commandError, ErrorCodes } from './errors';
import { seedInternalDatabases } from './catalog/seed';
import { compareTimestamps } from './oplog';
import { runTtlPass } from './ttl-monitor';
import { KNOWN_FIELDS } from './commands/known-fields';
import { assertKnownFields } from './commands/args';
import { isSnapshotRead, isTransactionStatement, runSnapshotRead, runTransactionStatement } from './transaction-commands';
import { sessionKeyOf } from './transactions';
import { isPlainDocument } from './bson/values';

/** Lower-case spellings the server also accepts. */
const ALIASES: Record<string, string> = {
  findandmodify: 'findAndModify',
  dbhash: 'dbHash',
  dbstats: 'dbStats',
  collstats: 'collStats',
};

export class SimEngine implements Engine {
  readonly state: EngineState;
  private readonly registry = buildRegistry();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastNoopCheck: Timestamp;

  constructor(settings: EngineSettings) {
    this.state = new EngineState(settings);
    seedInternalDatabases(this.state);
    this.state.oplog.append({ op: 'n', ns: '', o: { msg: 'new primary' } });
    this.lastNoopCheck = this.state.oplog.latest();
    if (settings.periodicNoopIntervalMs > 0) {
      this.startTimer(settings.periodicNoopIntervalMs, () => this.periodicNoop());
    }
    if (settings.ttlMonitorIntervalMs > 0) {
      this.startTimer(settings.ttlMonitorIntervalMs, () => runTtlPass(this.state));
    }
  }

  private startTimer(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Writes a no-op when nothing was written since the previous tick, like mongod's NoopWriter. */
  private periodicNoop(): void {
    const latest = this.state.oplog.latest();
    if (compareTimestamps(latest, this.lastNoopCheck) === 0) {
      this.state.oplog.append({ op: 'n', ns: '', o: { msg: 'periodic noop' } });
    }
    this.lastNoopCheck = this.state.oplog.latest();
  }

  private lookup(name: string): CommandSpec | undefined {
    return this.registry.get(name) ?? this.registry.get(ALIASES[name] ?? '');
  }

  async runCommand(cmd: Document, ctx: RequestContext): Promise<Document> {
    const name = Object.keys(cmd)[0] ?? '';
    const spec = this.lookup(name);
    if (!spec) throw commandError(ErrorCodes.CommandNotFound, `no such command: '${name}'`);
    if (spec.adminOnly && ctx.db !== 'admin') throw adminOnly(name);
    const canonicalName = ALIASES[name] ?? name;
    const known = KNOWN_FIELDS[canonicalName];
    if (known) assertKnownFields(cmd, canonicalName, known);
    this.state.localSessions.touch(ctx.lsid, this.state.settings.nowMs());
    if (isTransactionStatement(cmd)) {
      return runTransactionStatement(canonicalName, cmd, ctx, this.state, (txnState) => spec.handler(cmd, ctx, txnState));
    }
    if (spec.transactionOnly) {
      throw commandError(ErrorCodes.InvalidOptions, `${canonicalName} must be run within a transaction`);
    }
    if (isSnapshotRead(cmd)) {
      return runSnapshotRead(canonicalName, cmd, this.state, (snapshotState) => spec.handler(cmd, ctx, snapshotState));
    }
    return spec.handler(cmd, ctx, this.state);
  }

  endSessions(lsids: unknown[]): void {
    for (const lsid of lsids) if (isPlainDocument(lsid)) this.state.transactions.endSession(sessionKeyOf(lsid));
  }

  clusterTime(): Timestamp {
    return this.state.oplog.clusterTime();
  }

  lastApplied(): Timestamp {
    return this.state.oplog.latest();
  }

  lastAppliedWall(): Date {
    return this.state.oplog.latestWall();
  }

  userWriteBlockMode(): 1 | 2 {
    return this.state.writeBlock.enabled ? 2 : 1;
  }

  oplogWindow(): { earliest: Timestamp; latest: Timestamp } {
    return { earliest: this.state.oplog.oldest(), latest: this.state.oplog.latest() };
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.state.cursors.close();
    this.state.oplog.close();
  }
}
