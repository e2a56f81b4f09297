// How much source oplog a sync needs: the meter reads the source oplog as it grows (entries
// after the last one read, in natural order) and keeps the cumulative bytes written per second
// of oplog time, so the bytes between any two times are a subtraction. Memory: one number per
// second of the run. Its window (oldest and newest entry) comes from serverStatus, which costs
// the server nothing.
import { BSON, type MongoClient, Timestamp } from 'mongodb';
import type { OpTime } from '../../../src/workflows/types';

export interface OplogWindow {
  oldest: OpTime;
  newest: OpTime;
}

function opTimeOf(value: unknown): OpTime | null {
  // serverStatus answers {ts, t} on mongod and a bare Timestamp on some servers
  const ts = value instanceof Timestamp ? value : (value as { ts?: unknown } | null)?.ts;
  return ts instanceof Timestamp ? { t: ts.high, i: ts.low } : null;
}

/** The source oplog's oldest and newest entries, from serverStatus (no oplog scan). */
export async function oplogWindow(client: MongoClient): Promise<OplogWindow | null> {
  const status = await client.db('admin').command({ serverStatus: 1, oplog: 1 });
  const oplog = status.oplog as { earliestOptime?: unknown; latestOptime?: unknown } | undefined;
  const oldest = opTimeOf(oplog?.earliestOptime);
  const newest = opTimeOf(oplog?.latestOptime);
  return oldest && newest ? { oldest, newest } : null;
}

export class OplogMeter {
  /** oplog second → bytes of entries up to and including that second, since the meter started */
  private readonly cumulative = new Map<number, number>();
  private total = 0;
  private last: Timestamp;
  private firstSecond: number;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** set when entries fell off the oplog before the meter read them: byte figures are then low */
  missedEntries = false;
  error: string | null = null;

  constructor(
    private readonly client: MongoClient,
    from: OpTime,
    private readonly intervalMs = 1000,
  ) {
    this.last = new Timestamp({ t: from.t, i: from.i });
    this.firstSecond = from.t;
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Oplog bytes written from second `from` (inclusive) to second `to` (inclusive). */
  bytesBetween(from: OpTime, to: OpTime): number {
    return Math.max(0, this.bytesThrough(to.t) - this.bytesThrough(from.t - 1));
  }

  private bytesThrough(second: number): number {
    if (second < this.firstSecond) return 0;
    for (let s = second; s >= this.firstSecond; s--) {
      const bytes = this.cumulative.get(s);
      if (bytes !== undefined) return bytes;
    }
    return 0;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const began = Date.now();
      try {
        await this.readNewEntries();
      } catch (error) {
        this.error = (error as Error).message;
      }
      // A full read of a simulated oplog costs the simulator time proportional to its size:
      // read again only after several times what the last read took.
      const wait = Math.max(this.intervalMs, 4 * (Date.now() - began));
      const until = Date.now() + wait;
      while (!this.stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, Math.min(200, wait)));
    }
    await this.readNewEntries().catch(() => undefined);
  }

  private async readNewEntries(): Promise<void> {
    const oplog = this.client.db('local').collection('oplog.rs');
    const window = await oplogWindow(this.client);
    // The oldest entry is past the last one read: the last one read is gone, and maybe others after it.
    if (window && (window.oldest.t > this.last.high || (window.oldest.t === this.last.high && window.oldest.i > this.last.low))) {
      this.missedEntries = true;
    }
    const cursor = oplog.find({ ts: { $gt: this.last } }, { sort: { $natural: 1 }, raw: true, batchSize: 5000 });
    for await (const raw of cursor as unknown as AsyncIterable<Buffer>) {
      const ts = BSON.deserialize(raw, { promoteValues: false }).ts as Timestamp;
      this.total += raw.length;
      this.cumulative.set(ts.high, this.total);
      this.last = ts;
    }
  }
}
