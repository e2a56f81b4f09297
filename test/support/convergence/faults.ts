// Faults at random moments while the sync runs: SIGKILL of the worker process (another one is
// started), and the failCommand fail point on the destination, aimed at the engine's
// connections by their appName: closed connections, write-concern errors on writes that did
// happen, and transient (retryable) errors. A fail point counts as fired only when the server
// says it fired.
import type { Document, MongoClient } from 'mongodb';
import type { SeededRandom } from '../workload';
import { FAIL_POINT_FAULTS, FAULT_KINDS, type FaultKind } from './config';
import type { WorkloadPhase } from './generator';
import type { WorkerPool } from './workers';

/** The engine's connections say who they are (src/mongo/cluster-clients.ts). */
const ENGINE_APP_NAME = 'c2c-sync';
const WRITE_COMMANDS = ['insert', 'update', 'delete'];
const DDL_COMMANDS = ['create', 'createIndexes', 'renameCollection', 'drop', 'dropDatabase', 'collMod', 'dropIndexes'];
const READ_COMMANDS = ['find', 'listCollections', 'listIndexes'];
const TRANSIENT_CODES = [
  { code: 91, name: 'ShutdownInProgress' },
  { code: 189, name: 'PrimarySteppedDown' },
  { code: 10107, name: 'NotWritablePrimary' },
  { code: 11600, name: 'InterruptedAtShutdown' },
  { code: 6, name: 'HostUnreachable' },
];
const WRITE_CONCERN_ERRORS: Document[] = [
  { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } },
  { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes' },
  { code: 91, codeName: 'ShutdownInProgress', errmsg: 'Replication is being shut down' },
];

export type FaultCounts = Record<FaultKind, Record<'copy' | 'apply', number>>;

export class FaultInjector {
  readonly fired: FaultCounts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, { copy: 0, apply: 0 }])) as FaultCounts;
  readonly log: string[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;
  private lastCount: number | undefined;

  constructor(
    private readonly random: SeededRandom,
    /** the fault kinds to inject (fail point kinds only where the server has failCommand) */
    private readonly kinds: FaultKind[],
    private readonly destination: MongoClient,
    private readonly workers: WorkerPool,
    private readonly phase: () => WorkloadPhase,
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Stops injecting, turns the fail point off; rethrows an error of the injector itself. */
  async stop(): Promise<FaultCounts> {
    this.stopped = true;
    await this.loop;
    if (this.kinds.some((kind) => FAIL_POINT_FAULTS.includes(kind))) await this.configure('off');
    if (this.failure) throw this.failure;
    return this.fired;
  }

  /** Kinds that have not fired yet in `phase`. */
  missing(phase: 'copy' | 'apply'): FaultKind[] {
    return this.kinds.filter((kind) => this.fired[kind][phase] === 0);
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        await this.pause(600 + this.random.int(2500));
        const phase = this.phase();
        if (this.stopped || (phase !== 'copy' && phase !== 'apply')) continue;
        // kinds that have not fired in this phase go first; one kill per phase (a new worker
        // needs a while to load, and killing it again before it worked proves nothing)
        const pending = this.missing(phase);
        const repeatable = this.kinds.filter((candidate) => candidate !== 'kill-worker');
        const pool = pending.length ? pending : repeatable;
        if (pool.length === 0) continue;
        const kind = this.random.pick(pool);
        const fired = await this.inject(kind);
        if (fired > 0) {
          this.fired[kind][phase] += fired;
          this.log.push(`${new Date().toISOString()} ${phase}: ${kind} ×${fired}`);
        }
      }
    } catch (error) {
      this.failure = error as Error;
    }
  }

  private async inject(kind: FaultKind): Promise<number> {
    const r = this.random;
    switch (kind) {
      case 'kill-worker':
        await this.workers.killAndReplace();
        return 1;
      case 'network-error':
        return this.failCommand({ closeConnection: true, failCommands: this.commands() });
      case 'transient-error': {
        const error = r.pick(TRANSIENT_CODES);
        return this.failCommand({ errorCode: error.code, failCommands: this.commands() });
      }
      case 'write-concern-error':
        return this.failCommand({ writeConcernError: r.pick(WRITE_CONCERN_ERRORS), failCommands: [...WRITE_COMMANDS, ...DDL_COMMANDS] });
    }
  }

  private commands(): string[] {
    const r = this.random;
    return [...WRITE_COMMANDS, ...DDL_COMMANDS.filter(() => r.int(2) === 0), ...READ_COMMANDS.filter(() => r.int(4) === 0)];
  }

  /** Arms the fail point for 1-3 activations and waits (up to 20 s) until they happened. */
  private async failCommand(data: Document): Promise<number> {
    const times = 1 + this.random.int(3);
    const full = { ...data, appName: ENGINE_APP_NAME };
    await this.configure({ times }, full);
    let fired = 0;
    const deadline = Date.now() + 20_000;
    while (!this.stopped && fired < times && Date.now() < deadline) {
      await this.pause(250);
      fired += await this.configure({ times: times - fired }, full);
    }
    fired += await this.configure('off');
    return fired;
  }

  /** Sets the fail point; returns how many times it fired since the previous call. */
  private async configure(mode: unknown, data?: Document): Promise<number> {
    const reply = await this.destination.db('admin').command({ configureFailPoint: 'failCommand', mode, ...(data ? { data } : {}) });
    const count = Number(reply.count ?? 0);
    const previous = this.lastCount ?? count;
    this.lastCount = count;
    return count >= previous ? count - previous : count;
  }

  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
  }
}

/** Whether the server has the failCommand fail point (a real one needs enableTestCommands). */
export async function supportsFailCommand(client: MongoClient): Promise<boolean> {
  try {
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    return true;
  } catch {
    return false;
  }
}
