// The seeded workload: seeds the source before the sync starts, then runs operations of the
// enabled kinds one after another while the sync copies and applies change events. The sequence
// of operations depends only on the seed (and on how many run before change event application
// begins): a failing seed replays the same writes.
import type { Document, MongoClient } from 'mongodb';
import { SeededRandom } from '../workload';
import { type ConvergenceConfig, OPERATION_KINDS, type OperationKind } from './config';
import { IdFactory } from './ids';
import { SourceModel } from './model';
import { BASE_DATABASES, insertInto, OPERATIONS, type OperationContext, WEIGHTS } from './operations';

export type WorkloadPhase = 'seed' | 'copy' | 'apply';

export interface KindStats {
  /** operations that did something, per phase */
  applied: Record<WorkloadPhase, number>;
  /** operations that found nothing to act on */
  skipped: number;
  /** operations the source refused (counted, not failed: a real server may refuse what a simulator accepts) */
  rejected: number;
}

export interface WorkloadStats {
  kinds: Record<OperationKind, KindStats>;
  operations: number;
  /** the first messages of refused operations */
  rejections: string[];
}

function emptyStats(): WorkloadStats {
  const kinds = Object.fromEntries(
    OPERATION_KINDS.map((kind) => [kind, { applied: { seed: 0, copy: 0, apply: 0 }, skipped: 0, rejected: 0 }]),
  ) as Record<OperationKind, KindStats>;
  return { kinds, operations: 0, rejections: [] };
}

export function appliedTotal(stats: KindStats): number {
  return stats.applied.seed + stats.applied.copy + stats.applied.apply;
}

export class ConvergenceWorkload {
  readonly stats = emptyStats();
  readonly model = new SourceModel();
  phase: WorkloadPhase = 'seed';
  private readonly random: SeededRandom;
  private readonly context: OperationContext;
  private seq = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    client: MongoClient,
    private readonly config: ConvergenceConfig,
    seed: number,
    /** kinds the source cannot run (e.g. `$out` on the simulator): never picked */
    private readonly unavailable: ReadonlySet<OperationKind> = new Set(),
  ) {
    this.random = new SeededRandom(seed);
    this.context = {
      client,
      model: this.model,
      random: this.random,
      ids: new IdFactory(new SeededRandom(seed ^ 0x5eed1d)),
      config,
      nextSeq: () => ++this.seq,
      hugeDocuments: 0,
    };
  }

  /** The kinds this run picks from. */
  get kinds(): OperationKind[] {
    return OPERATION_KINDS.filter((kind) => this.config.operations.has(kind) && !this.unavailable.has(kind));
  }

  /** The minimum applied operations a kind must reach for the run to count. */
  minimumFor(kind: OperationKind): number {
    return kind === 'huge-document' ? Math.min(this.config.minimumPerKind, this.config.maxHugeDocuments) : this.config.minimumPerKind;
  }

  /** Kinds still below their minimum. */
  lacking(): OperationKind[] {
    return this.kinds.filter((kind) => appliedTotal(this.stats.kinds[kind]) < this.minimumFor(kind));
  }

  /** Source data before the sync starts: collections with documents, options and indexes. */
  async seedSource(): Promise<void> {
    const r = this.random;
    const kinds = this.kinds;
    for (let i = 0; i < this.config.seedCollections; i++) {
      const db = BASE_DATABASES[i % BASE_DATABASES.length]!;
      const ns = this.model.add(db, `seeded${i}`);
      const options: Document = i === 1 ? { validator: { seq: { $exists: true } }, validationLevel: 'strict' } : i === 2 ? { collation: { locale: 'en', strength: 2 } } : {};
      await this.context.client.db(db).createCollection(ns.coll, options);
      for (let done = 0; done < this.config.seedDocuments; done += 250) {
        await insertInto(this.context, ns, Math.min(250, this.config.seedDocuments - done));
      }
    }
    // a share of the DDL and index kinds before the copy, so the copy meets them too
    for (const kind of ['ddl-index', 'ddl-index-same-key', 'ddl-create', 'ddl-view', 'dotted-fields', 'huge-document'] as const) {
      if (kinds.includes(kind) && r.int(3) > 0) await this.runOne(kind);
    }
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Stops after the operation in flight; rethrows an unexpected error of the loop. */
  async stop(): Promise<WorkloadStats> {
    this.stopped = true;
    await this.loop;
    if (this.failure) throw this.failure;
    return this.stats;
  }

  /** Operations applied while change events were being applied. */
  applyPhaseOperations(): number {
    return Object.values(this.stats.kinds).reduce((sum, kind) => sum + kind.applied.apply, 0);
  }

  copyPhaseOperations(): number {
    return Object.values(this.stats.kinds).reduce((sum, kind) => sum + kind.applied.copy, 0);
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        await this.runOne(this.pickKind());
        if (this.config.operationPauseMs) await new Promise((resolve) => setTimeout(resolve, this.config.operationPauseMs));
      }
    } catch (error) {
      this.failure = error as Error;
    }
  }

  private pickKind(): OperationKind {
    const kinds = this.kinds;
    // past the planned amount, kinds still below their minimum go first
    const lacking = this.applyPhaseOperations() >= this.config.applyPhaseOperations ? this.lacking() : [];
    const pool = lacking.length ? lacking : kinds;
    const total = pool.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
    let point = this.random.next() * total;
    for (const kind of pool) {
      point -= WEIGHTS[kind];
      if (point < 0) return kind;
    }
    return pool[pool.length - 1]!;
  }

  private async runOne(kind: OperationKind): Promise<void> {
    const phase = this.phase;
    const stats = this.stats.kinds[kind];
    this.stats.operations++;
    try {
      const outcome = await OPERATIONS[kind](this.context);
      if (outcome === 'applied') stats.applied[phase]++;
      else stats.skipped++;
    } catch (error) {
      if (!isServerRefusal(error)) throw new Error(`workload operation ${kind} failed: ${(error as Error).stack}`);
      stats.rejected++;
      if (this.stats.rejections.length < 20) this.stats.rejections.push(`${kind}: ${(error as Error).message}`);
    }
  }
}

/** An error the server answered (the operation was refused), as opposed to a bug in the workload. */
function isServerRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && typeof (error as { code: unknown }).code === 'number';
}
