// Stored document records and the ordered `_id` index over them. Inserts in increasing `_id`
// order (ObjectIds, counters) append in O(1); others wait in a pending list that is sorted and
// merged on the next ordered read, so bulk loads never pay for per-insert array splicing.
import type { Document } from 'bson';
import { compareValues } from '../bson/compare';

export interface DocRecord {
  /** canonical key of the _id */
  readonly key: string;
  /** the typed _id value */
  readonly id: unknown;
  /** the typed document; never mutated once stored (updates install a new object) */
  doc: Document;
  /** cached query view of `doc` (see bson/typed-view) */
  view?: Document;
  /** serialized BSON size of `doc` */
  size: number;
  removed: boolean;
}

export interface IdBound {
  value: unknown;
  inclusive: boolean;
}

function byId(a: DocRecord, b: DocRecord): number {
  return compareValues(a.id, b.id);
}

export class SortedIdIndex {
  private sorted: DocRecord[] = [];
  private pending: DocRecord[] = [];
  private removedCount = 0;

  add(rec: DocRecord): void {
    const last = this.sorted[this.sorted.length - 1];
    if (this.pending.length === 0 && (last === undefined || compareValues(rec.id, last.id) > 0)) this.sorted.push(rec);
    else this.pending.push(rec);
  }

  /** Call after marking the record removed. */
  noteRemoved(): void {
    this.removedCount++;
  }

  clear(): void {
    this.sorted = [];
    this.pending = [];
    this.removedCount = 0;
  }

  /** Live records in `_id` order. The returned array must not be modified. */
  ordered(): DocRecord[] {
    if (this.pending.length > 0) {
      const incoming = this.pending.filter((r) => !r.removed).sort(byId);
      const merged: DocRecord[] = [];
      let i = 0;
      let j = 0;
      const a = this.sorted;
      while (i < a.length || j < incoming.length) {
        if (i < a.length && a[i].removed) {
          i++;
          continue;
        }
        if (j >= incoming.length || (i < a.length && byId(a[i], incoming[j]) <= 0)) merged.push(a[i++]);
        else merged.push(incoming[j++]);
      }
      this.sorted = merged;
      this.pending = [];
      this.removedCount = 0;
    } else if (this.removedCount > 0) {
      this.sorted = this.sorted.filter((r) => !r.removed);
      this.removedCount = 0;
    }
    return this.sorted;
  }

  /** Live records whose _id lies within the bounds (compared by BSON order), in `_id` order. */
  range(lower: IdBound | undefined, upper: IdBound | undefined): DocRecord[] {
    const all = this.ordered();
    let lo = 0;
    if (lower) {
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const c = compareValues(all[mid].id, lower.value);
        if (c < 0 || (c === 0 && !lower.inclusive)) lo = mid + 1;
        else hi = mid;
      }
    }
    let end = all.length;
    if (upper) {
      let a = lo;
      let b = all.length;
      while (a < b) {
        const mid = (a + b) >>> 1;
        const c = compareValues(all[mid].id, upper.value);
        if (c < 0 || (c === 0 && upper.inclusive)) a = mid + 1;
        else b = mid;
      }
      end = a;
    }
    return all.slice(lo, end);
  }
}
