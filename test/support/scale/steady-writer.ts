// The application of a scale run: inserts, updates, replaces and deletes on the source at a
// steady rate (operation k is due at start + k/rate), with a bounded number in flight, until
// stopped. Seeded; reports what it did and the rate it reached.
import type { MongoClient } from 'mongodb';
import { SeededRandom } from '../workload';
import { type DataShape, DocumentFactory, namespaceOf, type ScaleDocument } from './data';

export interface WriterReport {
  inserts: number;
  updates: number;
  replaces: number;
  deletes: number;
  errors: string[];
  seconds: number;
  /** operations per second reached (below the asked rate when the source could not keep up) */
  achievedRate: number;
}

const MAX_IN_FLIGHT = 16;
const TICK_MS = 20;

export class SteadyWriter {
  private readonly report: WriterReport = { inserts: 0, updates: 0, replaces: 0, deletes: 0, errors: [], seconds: 0, achievedRate: 0 };
  private readonly random: SeededRandom;
  private readonly factory: DocumentFactory;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private nextInsertId: number;
  private step = 0;

  constructor(
    private readonly client: MongoClient,
    private readonly shape: DataShape,
    private readonly rate: number,
    seed: number,
  ) {
    this.random = new SeededRandom(seed ^ 0x5bd1e995);
    this.factory = new DocumentFactory(new SeededRandom(seed ^ 0x27d4eb2f), shape.docBytes);
    this.nextInsertId = shape.documentsPerCollection;
  }

  start(): this {
    if (this.rate > 0) this.loop = this.run();
    return this;
  }

  async stop(): Promise<WriterReport> {
    this.stopped = true;
    await this.loop;
    return this.report;
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const inFlight = new Set<Promise<void>>();
    let issued = 0;
    while (!this.stopped) {
      const due = Math.floor(((Date.now() - started) / 1000) * this.rate);
      while (issued < due && inFlight.size < MAX_IN_FLIGHT && !this.stopped) {
        issued++;
        const op = this.once().catch((error: unknown) => {
          if (this.report.errors.length < 20) this.report.errors.push((error as Error).message);
        });
        inFlight.add(op);
        void op.finally(() => inFlight.delete(op));
      }
      // Behind schedule (the source is slower than the rate): skip what cannot be caught up
      // rather than bursting later.
      if (issued < due - this.rate) issued = due - this.rate;
      await (inFlight.size >= MAX_IN_FLIGHT ? Promise.race(inFlight) : new Promise((resolve) => setTimeout(resolve, TICK_MS)));
    }
    await Promise.all(inFlight);
    this.report.seconds = (Date.now() - started) / 1000;
    const done = this.report.inserts + this.report.updates + this.report.replaces + this.report.deletes;
    this.report.achievedRate = this.report.seconds > 0 ? done / this.report.seconds : 0;
  }

  private async once(): Promise<void> {
    this.step++;
    const index = this.random.int(this.shape.collections);
    const ns = namespaceOf(this.shape, index);
    const collection = this.client.db(ns.db).collection<ScaleDocument>(ns.coll);
    const target = this.random.int(this.nextInsertId);
    const kind = this.random.int(100);
    if (kind < 30) {
      await collection.insertOne(this.factory.make(index, this.nextInsertId++, 0));
      this.report.inserts++;
    } else if (kind < 70) {
      await collection.updateOne({ _id: target }, { $set: { v: this.step, touched: new Date() }, $inc: { n: 1 } });
      this.report.updates++;
    } else if (kind < 85) {
      await collection.replaceOne({ _id: target }, this.factory.make(index, target, this.step));
      this.report.replaces++;
    } else {
      await collection.deleteOne({ _id: target });
      this.report.deletes++;
    }
  }
}
