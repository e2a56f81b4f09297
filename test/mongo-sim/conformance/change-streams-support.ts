// Helpers shared by the change stream conformance tests (change-streams*.test.ts): reading the
// time out of a resume token, taking events from a driver ChangeStream with a deadline, and
// running a change stream with raw aggregate/getMore commands in one explicit session (a real
// server refuses a getMore from another session than the cursor's).
import assert from 'node:assert/strict';
import { Long, Timestamp, type ChangeStream, type ClientSession, type Db, type Document } from 'mongodb';

/** The cluster time a resume token starts with: '82' + 8 hex digits of t + 8 of i (resume tokens). */
export function tokenTime(token: unknown): Timestamp {
  const data = (token as { _data?: unknown } | undefined)?._data;
  assert.equal(typeof data, 'string', 'a resume token is {_data: string}');
  const hex = data as string;
  assert.equal(hex.slice(0, 2), '82');
  return new Timestamp({ t: parseInt(hex.slice(2, 10), 16), i: parseInt(hex.slice(10, 18), 16) });
}

export function tokenData(token: unknown): string {
  return (token as { _data: string })._data;
}

/** The next `n` events of the stream; fails after `ms`. */
export async function take(stream: ChangeStream<Document, Document>, n: number, ms = 10_000): Promise<Document[]> {
  const out: Document[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    if (Date.now() > deadline) assert.fail(`only ${out.length} of ${n} events within ${ms} ms`);
    const doc = await stream.tryNext();
    if (doc) out.push(doc);
  }
  return out;
}

/** Sends the aggregate of a new stream (the driver sends it lazily) and checks nothing is pending. */
export async function started(stream: ChangeStream<Document, Document>): Promise<void> {
  assert.equal(await stream.tryNext(), null);
}

export function sortedKeys(doc: Document): string[] {
  return Object.keys(doc).sort();
}

/** The error a promise rejects with. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: number; errorLabels?: string[] }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: number; errorLabels?: string[] };
  }
  assert.fail('expected the operation to fail');
}

/** A change stream driven by hand: aggregate and getMore replies as the server sends them. */
export class RawStream {
  id: Long = Long.ZERO;
  ns = '';

  private constructor(
    private readonly db: Db,
    private readonly session: ClientSession,
  ) {}

  static async open(
    db: Db,
    session: ClientSession,
    aggregate: string | 1,
    options: Document = {},
    stages: Document[] = [],
    cursor: Document = {},
  ): Promise<{ stream: RawStream; reply: Document }> {
    const stream = new RawStream(db, session);
    const reply = await db.command({ aggregate, pipeline: [{ $changeStream: options }, ...stages], cursor }, { session, promoteLongs: false });
    stream.id = reply.cursor.id as Long;
    stream.ns = reply.cursor.ns as string;
    return { stream, reply };
  }

  async getMore(maxTimeMS?: number, batchSize?: number): Promise<Document> {
    const collection = this.ns.slice(this.ns.indexOf('.') + 1);
    const cmd: Document = { getMore: this.id, collection };
    if (maxTimeMS !== undefined) cmd.maxTimeMS = maxTimeMS;
    if (batchSize !== undefined) cmd.batchSize = batchSize;
    const reply = await this.db.command(cmd, { session: this.session, promoteLongs: false });
    this.id = reply.cursor.id as Long;
    return reply;
  }

  /** getMores until `n` events arrived (or `ms` passed); returns the replies. */
  async getMoreUntil(n: number, ms = 10_000): Promise<Document[]> {
    const replies: Document[] = [];
    let seen = 0;
    const deadline = Date.now() + ms;
    while (seen < n && !this.id.isZero()) {
      if (Date.now() > deadline) assert.fail(`only ${seen} of ${n} events within ${ms} ms`);
      const reply = await this.getMore(200);
      replies.push(reply);
      seen += (reply.cursor.nextBatch as Document[]).length;
    }
    return replies;
  }

  async kill(): Promise<void> {
    if (this.id.isZero()) return;
    const collection = this.ns.slice(this.ns.indexOf('.') + 1);
    await this.db.command({ killCursors: collection, cursors: [this.id] }, { session: this.session });
  }
}
