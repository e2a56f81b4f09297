// The cursor manager: registers ServerCursors (find/aggregate/list* results and change streams),
// builds first-batch and getMore replies (16 MiB batch cap), kills and expires idle cursors.
import { randomBytes } from 'node:crypto';
import { Long, type Document } from 'bson';
import type { ServerCursor } from './internal';
import { commandError, ErrorCodes } from './errors';
import { bsonSize } from './storage/doc-size';
import { toNumber } from './bson/values';

export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
export const DEFAULT_FIRST_BATCH = 101;
/** getMore without batchSize: as many documents as fit in 16 MiB */
const UNLIMITED = 2 ** 31 - 1;

/** A cursor over documents computed up front. */
export class ArrayCursor implements ServerCursor {
  readonly awaitData = false;
  private pos = 0;

  constructor(
    readonly ns: string,
    private docs: Document[],
  ) {}

  nextBatch(limit: number): Promise<{ docs: Document[]; exhausted: boolean }> {
    const end = Math.min(this.docs.length, this.pos + limit);
    const docs = this.docs.slice(this.pos, end);
    this.pos = end;
    return Promise.resolve({ docs, exhausted: this.pos >= this.docs.length });
  }

  close(): void {
    this.docs = [];
  }
}

interface CursorEntry {
  id: bigint;
  cursor: ServerCursor;
  lastUsed: number;
  kill: AbortController;
  inUse: boolean;
  /** documents fetched but not returned because of the 16 MiB cap */
  carry: Document[];
  carryExhausted: boolean;
  carryToken?: Document;
}

function newCursorId(): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
    if (id !== 0n) return id;
  }
}

function cursorIdOf(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v !== null && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'Long') return (v as Long).toBigInt();
  const n = toNumber(v);
  return n !== undefined && Number.isInteger(n) ? BigInt(n) : undefined;
}

interface Batch {
  docs: Document[];
  exhausted: boolean;
  postBatchResumeToken?: Document;
  /** the documents' BSON sizes, when the cursor measured them already */
  sizes?: number[];
}

export class CursorManager {
  private readonly cursors = new Map<bigint, CursorEntry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.expireIdle(), Math.min(60_000, Math.max(1000, idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Cursors currently open (for tests and serverStatus-like reporting). */
  openCount(): number {
    return this.cursors.size;
  }

  expireIdle(): void {
    const now = this.nowMs();
    for (const [id, e] of this.cursors) {
      if (!e.inUse && now - e.lastUsed >= this.idleTimeoutMs) {
        this.cursors.delete(id);
        e.cursor.close();
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const e of this.cursors.values()) {
      e.kill.abort();
      e.cursor.close();
    }
    this.cursors.clear();
  }

  /** Cuts a batch at 16 MiB (at least one document); the rest is carried to the next batch. */
  private capBatch(entry: CursorEntry | undefined, batch: Batch): Batch {
    let total = 0;
    for (let i = 0; i < batch.docs.length; i++) {
      total += batch.sizes?.[i] ?? bsonSize(batch.docs[i]);
      if (total > MAX_BATCH_BYTES && i > 0) {
        const kept = batch.docs.slice(0, i);
        const rest = batch.docs.slice(i);
        if (entry) {
          entry.carry = rest;
          entry.carryExhausted = batch.exhausted;
          entry.carryToken = batch.postBatchResumeToken;
        }
        const lastId = (kept[kept.length - 1] as { _id?: unknown })._id;
        return {
          docs: kept,
          exhausted: false,
          postBatchResumeToken: batch.postBatchResumeToken !== undefined ? (lastId as Document) : undefined,
        };
      }
    }
    return batch;
  }

  private async fetch(entry: CursorEntry, limit: number, maxTimeMS: number | undefined, signal: AbortSignal): Promise<Batch> {
    if (entry.carry.length > 0) {
      const docs = entry.carry.slice(0, limit);
      entry.carry = entry.carry.slice(docs.length);
      const drained = entry.carry.length === 0;
      return this.capBatch(entry, {
        docs,
        exhausted: drained && entry.carryExhausted,
        postBatchResumeToken: drained ? entry.carryToken : (docs[docs.length - 1] as { _id?: Document })._id,
      });
    }
    return this.capBatch(entry, await entry.cursor.nextBatch(limit, maxTimeMS, signal));
  }

  private reply(field: 'firstBatch' | 'nextBatch', batch: Batch, id: bigint, ns: string): Document {
    const cursor: Document = { [field]: batch.docs };
    if (batch.postBatchResumeToken !== undefined) cursor.postBatchResumeToken = batch.postBatchResumeToken;
    cursor.id = Long.fromBigInt(id);
    cursor.ns = ns;
    return { cursor };
  }

  /**
   * Produces the first batch of a new cursor and registers it when more may follow.
   * `batchSize` undefined means the server default (101); `singleBatch` closes it regardless.
   */
  async open(
    cursor: ServerCursor,
    opts: { batchSize?: number; singleBatch?: boolean; maxTimeMS?: number; signal: AbortSignal },
  ): Promise<Document> {
    const entry: CursorEntry = {
      id: newCursorId(),
      cursor,
      lastUsed: this.nowMs(),
      kill: new AbortController(),
      inUse: true,
      carry: [],
      carryExhausted: false,
    };
    const limit = opts.batchSize ?? DEFAULT_FIRST_BATCH;
    let batch: Batch;
    try {
      if (cursor.awaitData) {
        // the opening command of an awaitData cursor (change stream) never waits for data
        batch = await this.fetch(entry, limit, 0, opts.signal);
      } else {
        batch = limit === 0 ? { docs: [], exhausted: false } : await this.fetch(entry, limit, opts.maxTimeMS, opts.signal);
      }
    } catch (e) {
      cursor.close();
      throw e;
    }
    entry.inUse = false;
    if (batch.exhausted || opts.singleBatch) {
      cursor.close();
      return this.reply('firstBatch', batch, 0n, cursor.ns);
    }
    this.cursors.set(entry.id, entry);
    return this.reply('firstBatch', batch, entry.id, cursor.ns);
  }

  async getMore(cmd: Document, db: string, signal: AbortSignal): Promise<Document> {
    const id = cursorIdOf(cmd.getMore);
    if (id === undefined) {
      throw commandError(ErrorCodes.TypeMismatch, "BSON field 'getMore.getMore' is the wrong type, expected type 'long'");
    }
    if (typeof cmd.collection !== 'string') {
      throw commandError(ErrorCodes.TypeMismatch, "BSON field 'getMore.collection' is the wrong type, expected type 'string'");
    }
    const entry = this.cursors.get(id);
    if (!entry) throw commandError(ErrorCodes.CursorNotFound, `cursor id ${id} not found`);
    const requestedNs = `${db}.${cmd.collection}`;
    if (requestedNs !== entry.cursor.ns) {
      throw commandError(
        ErrorCodes.Unauthorized,
        `Requested getMore on namespace '${requestedNs}', but cursor belongs to a different namespace ${entry.cursor.ns}`,
      );
    }
    const maxTimeMS = toNumber(cmd.maxTimeMS);
    if (maxTimeMS !== undefined && maxTimeMS !== 0 && !entry.cursor.awaitData) {
      throw commandError(ErrorCodes.BadValue, 'cannot set maxTimeMS on getMore command for a non-awaitData cursor');
    }
    if (entry.inUse) {
      throw commandError(292, `Cursor already in use (namespace: '${entry.cursor.ns}', id: ${id}).`);
    }
    const batchSize = toNumber(cmd.batchSize);
    if (batchSize !== undefined && batchSize < 0) {
      throw commandError(ErrorCodes.BadValue, `BatchSize value must be non-negative, but received: ${batchSize}`);
    }
    entry.inUse = true;
    let batch: Batch;
    try {
      batch = await this.fetch(entry, batchSize || UNLIMITED, maxTimeMS, AbortSignal.any([signal, entry.kill.signal]));
    } catch (e) {
      entry.inUse = false;
      if (!entry.kill.signal.aborted) {
        this.cursors.delete(id);
        entry.cursor.close();
      }
      throw e;
    } finally {
      entry.lastUsed = this.nowMs();
    }
    entry.inUse = false;
    if (entry.kill.signal.aborted) {
      throw commandError(ErrorCodes.CursorKilled, "operation was interrupted because the cursor was killed");
    }
    if (batch.exhausted) {
      this.cursors.delete(id);
      entry.cursor.close();
      return this.reply('nextBatch', batch, 0n, entry.cursor.ns);
    }
    return this.reply('nextBatch', batch, id, entry.cursor.ns);
  }

  killCursors(cmd: Document, db: string): Document {
    const ns = `${db}.${String(cmd.killCursors)}`;
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = cursorIdOf(raw);
      if (id === undefined) continue;
      const entry = this.cursors.get(id);
      if (!entry || entry.cursor.ns !== ns) {
        notFound.push(Long.fromBigInt(id));
        continue;
      }
      this.cursors.delete(id);
      entry.kill.abort();
      entry.cursor.close();
      killed.push(Long.fromBigInt(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  }
}
