// The recent history of committed document writes, kept so that a read can see a collection as it
// was at an earlier cluster time: the snapshot of a transaction and `readConcern: {level:
// 'snapshot', atClusterTime}`. Each committed write records the document it replaced (nothing for
// an insert); a snapshot at T is the current store with the writes after T undone, newest first.
// Like mongod, history is kept for minSnapshotHistoryWindowInSeconds (300 s), but only while it
// can be needed: recording starts when a transaction or snapshot read begins and stops 300 s after
// the last one began, so plain writes pay nothing (a snapshot older than the start of recording
// answers 239 SnapshotTooOld; see README). Records older than 300 s are dropped (from every
// collection, at most a second apart), everything is dropped once recording lapsed, and a read at
// a time more than 300 s before the newest write answers 239, as the server's oldest timestamp
// trails its newest by that window.
import type { Document, Timestamp, UUID } from 'bson';
import type { CollectionStore } from './storage/collection-store';
import { compareTimestamps } from './oplog';

export const SNAPSHOT_HISTORY_WINDOW_MS = 300_000;

interface UndoRecord {
  ts: Timestamp;
  wallMs: number;
  key: string;
  /** the committed document before this write, absent when the write inserted it */
  before?: { doc: Document; size: number };
}

export class WriteHistory {
  /** by the collection's UUID object (shared by every CollectionInfo of the collection) */
  private readonly byCollection = new Map<UUID, UndoRecord[]>();
  /** snapshots before this time can no longer be rebuilt */
  private forgottenThrough: Timestamp;
  /** writes are recorded until this wall time */
  private recordUntilMs = 0;
  /** when every collection's records are next pruned by age */
  private nextPruneAllMs = 0;

  constructor(
    private readonly nowMs: () => number,
    startTs: Timestamp,
  ) {
    this.forgottenThrough = startTs;
  }

  /** Is anything reading a snapshot that later writes must be undone for? */
  get recording(): boolean {
    const on = this.recordUntilMs !== 0 && this.nowMs() <= this.recordUntilMs;
    // nothing can read the records any more: release them
    if (!on && this.byCollection.size > 0) this.byCollection.clear();
    return on;
  }

  /** How many undo records are kept (for tests of the bound). */
  retainedRecords(): number {
    void this.recording;
    let n = 0;
    for (const list of this.byCollection.values()) n += list.length;
    return n;
  }

  /**
   * A transaction or snapshot read starts at `ts` (not older than canReadAt allows): writes from
   * now on are recorded for the next 300 s. When recording had lapsed, the records before the gap
   * are useless, so history restarts at `ts`.
   */
  retainFrom(ts: Timestamp): void {
    if (!this.recording) {
      this.byCollection.clear();
      this.forgottenThrough = ts;
    }
    this.recordUntilMs = this.nowMs() + SNAPSHOT_HISTORY_WINDOW_MS;
  }

  record(uuid: UUID, key: string, ts: Timestamp, before: { doc: Document; size: number } | undefined): void {
    let list = this.byCollection.get(uuid);
    if (!list) {
      list = [];
      this.byCollection.set(uuid, list);
    }
    const now = this.nowMs();
    list.push(before ? { ts, wallMs: now, key, before } : { ts, wallMs: now, key });
    if (now - list[0].wallMs > SNAPSHOT_HISTORY_WINDOW_MS) this.prune(list, now);
    if (now >= this.nextPruneAllMs) {
      this.nextPruneAllMs = now + 1000;
      for (const [id, other] of this.byCollection) {
        if (other.length > 0 && now - other[0].wallMs > SNAPSHOT_HISTORY_WINDOW_MS) this.prune(other, now);
        if (other.length === 0) this.byCollection.delete(id);
      }
    }
  }

  private prune(list: UndoRecord[], now: number): void {
    let drop = 0;
    while (drop < list.length && now - list[drop].wallMs > SNAPSHOT_HISTORY_WINDOW_MS) drop++;
    if (drop === 0) return;
    const last = list[drop - 1].ts;
    if (compareTimestamps(last, this.forgottenThrough) > 0) this.forgottenThrough = last;
    list.splice(0, drop);
  }

  /**
   * False when the history needed to read at `ts` is gone or was never kept, or `ts` lies more
   * than the 300 s window before the newest write (timestamps count wall-clock seconds; the
   * server's oldest readable time trails its newest by the window): 239 SnapshotTooOld.
   */
  canReadAt(ts: Timestamp, latest: Timestamp): boolean {
    if (compareTimestamps(ts, latest) >= 0) return true;
    if ((ts.t + 1) * 1000 < latest.t * 1000 - SNAPSHOT_HISTORY_WINDOW_MS) return false;
    return this.recording && compareTimestamps(ts, this.forgottenThrough) >= 0;
  }

  /** Was the document with this key written (committed) after `ts`? */
  writtenAfter(uuid: UUID, key: string, ts: Timestamp): boolean {
    const list = this.byCollection.get(uuid);
    if (!list) return false;
    for (let i = list.length - 1; i >= 0 && compareTimestamps(list[i].ts, ts) > 0; i--) {
      if (list[i].key === key) return true;
    }
    return false;
  }

  /** A private copy of `store` as it was at `ts`. */
  storeAt(uuid: UUID, store: CollectionStore, ts: Timestamp): CollectionStore {
    const copy = store.clone();
    const list = this.byCollection.get(uuid);
    if (!list) return copy;
    for (let i = list.length - 1; i >= 0 && compareTimestamps(list[i].ts, ts) > 0; i--) {
      const undo = list[i];
      const current = copy.records.get(undo.key);
      if (current) copy.remove(current);
      if (undo.before) copy.insert(undo.before.doc, undo.before.size);
    }
    return copy;
  }

  forget(uuid: UUID): void {
    this.byCollection.delete(uuid);
  }
}
