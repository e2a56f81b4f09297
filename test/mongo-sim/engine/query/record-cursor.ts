// A find cursor over stored records in scan order (natural or _id order). Like a server cursor
// that yields between batches, it returns each document as it is when its batch is produced:
// documents deleted since the query started are skipped, and updated ones are returned in their
// new version if they still match the filter. Documents inserted after the query are not seen.
import type { Document } from 'bson';
import type { ServerCursor } from '../internal';
import type { DocRecord } from '../storage/id-index';
import { recordView } from '../storage/collection-store';
import type { ViewPredicate } from './matcher';
import type { Projector } from './projection';

export class RecordCursor implements ServerCursor {
  readonly awaitData = false;
  private pos = 0;
  private skipped = 0;
  private returned = 0;
  /** the version of each record that matched when the query ran */
  private readonly matchedVersion: Document[];

  constructor(
    readonly ns: string,
    private records: DocRecord[],
    private readonly test: ViewPredicate | undefined,
    private readonly project: Projector | undefined,
    private readonly skip: number,
    private readonly limit: number | undefined,
  ) {
    this.matchedVersion = records.map((r) => r.doc);
  }

  /** The current version of record `i` if it still qualifies. */
  private current(i: number): Document | undefined {
    const rec = this.records[i];
    if (rec.removed) return undefined;
    if (rec.doc !== this.matchedVersion[i] && this.test && !this.test(recordView(rec))) return undefined;
    return rec.doc;
  }

  private done(): boolean {
    return this.limit !== undefined && this.returned >= this.limit;
  }

  /** Moves past records that no longer qualify; true when none is left. */
  private atEnd(): boolean {
    while (this.pos < this.records.length && this.current(this.pos) === undefined) this.pos++;
    return this.done() || this.pos >= this.records.length;
  }

  nextBatch(limit: number): Promise<{ docs: Document[]; exhausted: boolean }> {
    const docs: Document[] = [];
    while (docs.length < limit && !this.done() && this.pos < this.records.length) {
      const doc = this.current(this.pos++);
      if (doc === undefined) continue;
      if (this.skipped < this.skip) {
        this.skipped++;
        continue;
      }
      docs.push(this.project ? this.project(doc) : doc);
      this.returned++;
    }
    return Promise.resolve({ docs, exhausted: this.atEnd() });
  }

  close(): void {
    this.records = [];
  }
}
