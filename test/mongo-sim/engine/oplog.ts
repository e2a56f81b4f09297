// The logical clock and the capped oplog (local.oplog.rs), with the OplogReader change streams use.
import { calculateObjectSize, Long, Timestamp, type Document } from 'bson';
import type { OplogEntry, OplogReader } from './internal';

/** What a writer supplies; the oplog adds ts, t, v, wall and sizeBytes. */
export type OplogEntryInput = Omit<OplogEntry, 'ts' | 't' | 'v' | 'wall' | 'sizeBytes'>;

const TERM = Long.fromNumber(1);
const VERSION = Long.fromNumber(2);
/** int32 length + terminating byte of a BSON document */
const DOC_OVERHEAD = 5;

/** type byte + field name + NUL + value */
function element(name: string, valueSize: number): number {
  return 1 + name.length + 1 + valueSize;
}

function stringElement(name: string, value: string): number {
  return element(name, 4 + Buffer.byteLength(value) + 1);
}

/** ts (timestamp), t and v (int64), wall (date): 8-byte values */
const FIXED_TAIL_SIZE = element('ts', 8) + element('t', 8) + element('v', 8) + element('wall', 8);

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.i !== b.i ? (a.i < b.i ? -1 : 1) : 0;
}

/** The entry as local.oplog.rs shows it: simulator-only fields left out. */
export function publicOplogEntry(e: OplogEntry): Document {
  const out: Document = {};
  if (e.lsid !== undefined) out.lsid = e.lsid;
  if (e.txnNumber !== undefined) out.txnNumber = e.txnNumber;
  out.op = e.op;
  out.ns = e.ns;
  if (e.ui !== undefined) out.ui = e.ui;
  out.o = e.o;
  if (e.o2 !== undefined) out.o2 = e.o2;
  out.ts = e.ts;
  out.t = e.t;
  out.v = e.v;
  out.wall = e.wall;
  if (e.prevOpTime !== undefined) out.prevOpTime = e.prevOpTime;
  return out;
}

export class Oplog implements OplogReader {
  private entries: OplogEntry[] = [];
  private head = 0;
  private totalBytes = 0;
  private lastTick = new Timestamp({ t: 0, i: 0 });
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private capBytes: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Advances the logical clock by one tick: t = max(now, last.t), i increments within a second. */
  reserveTimestamp(): Timestamp {
    const now = Math.floor(this.nowMs() / 1000);
    const last = this.lastTick;
    const ts = now > last.t ? new Timestamp({ t: now, i: 1 }) : new Timestamp({ t: last.t, i: last.i + 1 });
    this.lastTick = ts;
    return ts;
  }

  /** The logical clock: the last reserved tick (never behind the newest entry). */
  clusterTime(): Timestamp {
    return this.lastTick;
  }

  /**
   * Appends one entry. `oSizeBytes`, when the caller already knows the serialized size of `o`,
   * saves serializing a large document twice.
   */
  append(input: OplogEntryInput, oSizeBytes?: number): OplogEntry {
    const ts = this.reserveTimestamp();
    // Built field by field, in the order local.oplog.rs shows them (object spreads of optional
    // fields cost several times as much for every write).
    const entry = {} as OplogEntry;
    if (input.lsid !== undefined) entry.lsid = input.lsid;
    if (input.txnNumber !== undefined) entry.txnNumber = input.txnNumber;
    entry.op = input.op;
    entry.ns = input.ns;
    if (input.ui !== undefined) entry.ui = input.ui;
    entry.o = input.o;
    if (input.o2 !== undefined) entry.o2 = input.o2;
    entry.ts = ts;
    entry.t = TERM;
    entry.v = VERSION;
    entry.wall = new Date(this.nowMs());
    entry.sizeBytes = 0;
    if (input.prevOpTime !== undefined) entry.prevOpTime = input.prevOpTime;
    if (input.txnOps !== undefined) entry.txnOps = input.txnOps;
    if (input.txnImages !== undefined) entry.txnImages = input.txnImages;
    if (input.preImage !== undefined) entry.preImage = input.preImage;
    if (input.postImage !== undefined) entry.postImage = input.postImage;
    entry.sizeBytes = this.sizeOf(entry, oSizeBytes);
    this.entries.push(entry);
    this.totalBytes += entry.sizeBytes;
    this.trim();
    this.wakeWaiters();
    return entry;
  }

  /** The serialized size of the entry as local.oplog.rs shows it, without serializing `o` again. */
  private sizeOf(entry: OplogEntry, oSizeBytes: number | undefined): number {
    let size = DOC_OVERHEAD;
    if (entry.lsid !== undefined) size += calculateObjectSize({ lsid: entry.lsid }) - DOC_OVERHEAD;
    if (entry.txnNumber !== undefined) size += element('txnNumber', 8);
    size += stringElement('op', entry.op) + stringElement('ns', entry.ns);
    if (entry.ui !== undefined) size += element('ui', 4 + 1 + entry.ui.position);
    size += element('o', oSizeBytes ?? calculateObjectSize(entry.o));
    if (entry.o2 !== undefined) size += element('o2', calculateObjectSize(entry.o2));
    if (entry.prevOpTime !== undefined) size += element('prevOpTime', calculateObjectSize(entry.prevOpTime));
    return size + FIXED_TAIL_SIZE;
  }

  private trim(): void {
    while (this.totalBytes > this.capBytes && this.entries.length - this.head > 1) {
      this.totalBytes -= this.entries[this.head].sizeBytes;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  setCapBytes(capBytes: number): void {
    this.capBytes = capBytes;
    this.trim();
  }

  private wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** Resolves every pending and future waitForNewer call at once (engine shutdown). */
  close(): void {
    this.closed = true;
    this.wakeWaiters();
  }

  count(): number {
    return this.entries.length - this.head;
  }

  sizeBytes(): number {
    return this.totalBytes;
  }

  capacityBytes(): number {
    return this.capBytes;
  }

  /** Index of the first live entry with ts >= from. */
  private lowerBound(from: Timestamp): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareTimestamps(this.entries[mid].ts, from) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  readFrom(from: Timestamp): OplogEntry[] {
    return this.entries.slice(this.lowerBound(from));
  }

  /** All live entries, oldest first (a snapshot). */
  all(): OplogEntry[] {
    return this.entries.slice(this.head);
  }

  oldest(): Timestamp {
    return this.entries.length > this.head ? this.entries[this.head].ts : this.lastTick;
  }

  latest(): Timestamp {
    return this.entries.length > this.head ? this.entries[this.entries.length - 1].ts : this.lastTick;
  }

  latestWall(): Date {
    return this.entries.length > this.head ? this.entries[this.entries.length - 1].wall : new Date(this.nowMs());
  }

  waitForNewer(after: Timestamp, ms: number, signal: AbortSignal): Promise<void> {
    if (this.closed || compareTimestamps(this.latest(), after) > 0 || signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(onAppend);
        resolve();
      };
      const onAppend = (): void => {
        if (this.closed || compareTimestamps(this.latest(), after) > 0) done();
        else this.waiters.add(onAppend);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(onAppend);
    });
  }
}
