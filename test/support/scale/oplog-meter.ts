// How much source oplog a sync needs: the meter follows the source's change stream (what the
// sync itself reads) from the moment the sync starts, and keeps the cumulative bytes of the
// change events per second of source time, so the bytes between any two times are a
// subtraction. Change events are the oplog entries as the sync receives them (an insert's event
// carries the document, an update's the changed fields), so their bytes track the oplog's within
// a small per-entry overhead; reading the oplog collection itself would make a simulator
// materialise its whole oplog at every read. Memory: one number per second of the run. The
// oplog's window (oldest and newest entry) comes from serverStatus, which costs the server nothing.
import { BSON, type ChangeStream, type MongoClient, Timestamp } from 'mongodb';
import type { ClusterTime } from '../../../src/sync/vocabulary';

export interface OplogWindow {
  oldest: ClusterTime;
  newest: ClusterTime;
}

function opTimeOf(value: unknown): ClusterTime | null {
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
  /** source second → change-event bytes up to and including that second, since the meter started */
  private readonly cumulative = new Map<number, number>();
  private total = 0;
  private readonly firstSecond: number;
  private stream: ChangeStream | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** set when the meter lost its place in the oplog (it fell behind a tiny one): byte figures are then low */
  missedEntries = false;
  error: string | null = null;

  constructor(
    private readonly client: MongoClient,
    private from: ClusterTime,
  ) {
    this.firstSecond = from.t;
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stream?.close().catch(() => undefined);
    await this.loop;
  }

  /** Change-event bytes from second `from` (inclusive) to second `to` (inclusive). */
  bytesBetween(from: ClusterTime, to: ClusterTime): number {
    return Math.max(0, this.bytesThrough(to.t) - this.bytesThrough(from.t - 1));
  }

  private bytesThrough(second: number): number {
    for (let s = second; s >= this.firstSecond; s--) {
      const bytes = this.cumulative.get(s);
      if (bytes !== undefined) return bytes;
    }
    return 0;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        this.stream = this.client.watch([], {
          startAtOperationTime: new Timestamp({ t: this.from.t, i: this.from.i }),
          showExpandedEvents: true,
          maxAwaitTimeMS: 500,
        });
        for await (const event of this.stream) {
          const time = (event as { clusterTime?: Timestamp }).clusterTime;
          this.total += BSON.calculateObjectSize(event);
          if (time) {
            this.cumulative.set(time.high, this.total);
            this.from = { t: time.high, i: time.low + 1 };
          }
          if (this.stopped) break;
        }
      } catch (error) {
        if (this.stopped) break;
        this.error = (error as Error).message;
        // Lost its place (the oplog rolled past it): go on from the newest entry, figures now low.
        this.missedEntries = true;
        const window = await oplogWindow(this.client).catch(() => null);
        if (window) this.from = window.newest;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
