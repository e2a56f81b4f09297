// What the server layer remembers about open cursors: which user opened them (getMore and
// killCursors of another user's cursor are refused under auth) and which are change streams
// (their getMore errors get change-stream labels).
import { Long, type Document } from 'bson';
import { isDocument } from './bson-values';

interface CursorInfo {
  owner: string | undefined;
  changeStream: boolean;
}

/** Cursors that are never exhausted or killed are forgotten after this many newer ones. */
const MAX_TRACKED = 100_000;

function idKey(id: unknown): string | undefined {
  if (id instanceof Long) return id.isZero() ? undefined : id.toString();
  if (typeof id === 'number' || typeof id === 'bigint') return id === 0 || id === 0n ? undefined : String(id);
  return undefined;
}

export class CursorRegistry {
  private readonly cursors = new Map<string, CursorInfo>();

  /** Records the cursor a find/aggregate/list* reply opened. */
  opened(reply: Document, owner: string | undefined, changeStream: boolean): void {
    const cursor: unknown = reply.cursor;
    if (!isDocument(cursor)) return;
    const key = idKey(cursor.id);
    if (!key) return;
    if (this.cursors.size >= MAX_TRACKED) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
    this.cursors.set(key, { owner, changeStream });
  }

  get(id: unknown): CursorInfo | undefined {
    const key = idKey(id);
    return key ? this.cursors.get(key) : undefined;
  }

  /** Forgets a cursor after its last batch, a kill, or CursorNotFound. */
  closed(id: unknown): void {
    const key = idKey(id);
    if (key) this.cursors.delete(key);
  }
}
