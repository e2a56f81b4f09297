// The tailable, awaitData cursor of a change stream (change stream getMore, resume tokens):
// scans the oplog from its position, turns entries into events, applies the resume check, the
// images, the classic-event filter, the user's stages and the size limit, and fills batches whose
// postBatchResumeToken never goes backwards.
import { calculateObjectSize, type Document, type Timestamp } from 'bson';
import type { CatalogReader, OplogEntry, OplogReader, ServerCursor } from './internal';
import type { ChangeStreamSpec } from './change-stream-spec';
import { CLASSIC_EVENT_TYPES, eventsFromOp, PREVIEW_FIELDS, type RawEvent } from './change-stream-events';
import { unwindEntry } from './change-stream-unwind';
import { addImages } from './change-stream-images';
import { UserPipeline } from './change-stream-pipeline';
import { MAX_EVENT_BYTES, MAX_UNSPLIT_EVENT_BYTES, splitEvent, tooLarge } from './change-stream-split';
import { encodeTokenData, eventPrefix } from './change-stream-token';
import { nextTick, timestampFromValue, timestampValue } from './change-stream-timestamps';
import { historyLost, resumeTokenNotFound, streamError } from './change-stream-errors';

/** Limits, overridable so tests can exercise them without 16 MiB documents. */
export interface CursorLimits {
  /** an event larger than this fails with BSONObjectTooLarge */
  maxEventBytes: number;
  /** with $changeStreamSplitLargeEvent, an event larger than this is split */
  maxUnsplitEventBytes: number;
  /** a batch stops before a document that would take it over this size (the first always fits) */
  maxBatchBytes: number;
  /** getMore await time when maxTimeMS is not given */
  defaultAwaitMs: number;
}

export const DEFAULT_LIMITS: CursorLimits = {
  maxEventBytes: MAX_EVENT_BYTES,
  maxUnsplitEventBytes: MAX_UNSPLIT_EVENT_BYTES,
  maxBatchBytes: 16 * 1024 * 1024,
  defaultAwaitMs: 1000,
};

interface ReadyEvent {
  doc: Document;
  tokenData: string;
  size: number;
}

interface ResumeCheck {
  /** event prefix of the client's token */
  prefix: string;
  /** fragment the client last saw, when it resumes inside a split event */
  fragmentNum?: number;
  found: boolean;
}

interface Batch {
  docs: Document[];
  exhausted: boolean;
  postBatchResumeToken: Document;
  /** each event's BSON size, measured for the size limits */
  sizes: number[];
}

function maxToken(a: string, b: string): string {
  return a >= b ? a : b;
}

function highWaterMark(ts: bigint): string {
  return encodeTokenData({ tokenType: 'highWaterMark', clusterTime: ts });
}

export class ChangeStreamCursor implements ServerCursor {
  readonly ns: string;
  readonly awaitData = true;

  /** the oldest timestamp the stream still needs: entries before it were consumed */
  private scanFrom: Timestamp;
  private lastScanned: bigint | undefined;
  /** newest oplog time known to hold nothing the stream has not seen: what to wait beyond */
  private waitAfter: Timestamp;
  private snapshot: OplogEntry[] = [];
  private snapshotIndex = 0;
  /** whether this batch has read the oplog already */
  private refreshed = false;
  private readonly raw: RawEvent[] = [];
  private readonly ready: ReadyEvent[] = [];
  private pbrt: string;
  private resume: ResumeCheck | undefined;
  /** token of the invalidate the stream processed; the stream ends once its queue is drained */
  private invalidatedBy: string | undefined;
  private readonly pipeline: UserPipeline;
  /** the user's leading $match stages over the fields an event has before it is made, if they read no other */
  private readonly preview: ((fields: Document) => boolean) | undefined;
  private firstBatch = true;
  private closed = false;
  private readonly killed = new AbortController();

  constructor(
    private readonly spec: ChangeStreamSpec,
    private readonly oplog: OplogReader,
    private readonly catalog: CatalogReader,
    private readonly limits: CursorLimits = DEFAULT_LIMITS,
  ) {
    this.ns = spec.cursorNs;
    this.pipeline = new UserPipeline(spec.userStages);
    this.preview = this.pipeline.matchOn(PREVIEW_FIELDS);
    const start = spec.start;
    if (start.kind === 'now') {
      this.scanFrom = nextTick(oplog.latest());
      this.pbrt = highWaterMark(timestampValue(this.scanFrom));
    } else {
      const from = start.kind === 'time' ? start.clusterTime : start.token.clusterTime;
      this.scanFrom = timestampFromValue(from);
      this.pbrt = start.kind === 'time' ? highWaterMark(from) : start.data;
      if (start.kind === 'event') {
        this.resume = { prefix: eventPrefix(start.data), fragmentNum: start.token.fragmentNum, found: false };
      }
      this.assertHistoryKept();
    }
    this.waitAfter = oplog.latest();
  }

  private assertHistoryKept(): void {
    if (timestampValue(this.oplog.oldest()) > timestampValue(this.scanFrom)) throw historyLost();
  }

  async nextBatch(limit: number, maxTimeMS: number | undefined, signal: AbortSignal): Promise<Batch> {
    try {
      return await this.produceBatch(limit, maxTimeMS, signal);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private async produceBatch(limit: number, maxTimeMS: number | undefined, signal: AbortSignal): Promise<Batch> {
    if (this.closed) return this.reply([], true);
    // the aggregate's first batch never waits
    const mayWait = !this.firstBatch && limit > 0;
    this.firstBatch = false;
    let batch = this.collect(limit);
    if (!mayWait || batch.docs.length > 0 || batch.exhausted) return batch;
    const deadline = Date.now() + (maxTimeMS ?? this.limits.defaultAwaitMs);
    const interrupt = AbortSignal.any([signal, this.killed.signal]);
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || interrupt.aborted) break;
      await this.oplog.waitForNewer(this.waitAfter, remaining, interrupt);
      if (this.closed) throw streamError(237, 'operation was interrupted because the cursor was killed');
      // woken without a newer entry (client gone, timeout, oplog shut down): answer with what we have
      if (signal.aborted || timestampValue(this.oplog.latest()) <= timestampValue(this.waitAfter)) break;
      batch = this.collect(limit);
      if (batch.docs.length > 0 || batch.exhausted) return batch;
    }
    return batch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.killed.abort();
  }

  private reply(docs: Document[], exhausted: boolean, sizes: number[] = []): Batch {
    return { docs, exhausted, postBatchResumeToken: { _data: this.pbrt }, sizes };
  }

  /** Builds a batch from what the oplog holds now, without waiting. */
  private collect(limit: number): Batch {
    const docs: Document[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    let exhausted = false;
    this.refreshed = false;
    for (;;) {
      if (docs.length >= limit) break;
      const next = this.nextReady();
      if (!next) {
        // after an invalidate, running dry means the stream is over
        exhausted = this.invalidatedBy !== undefined;
        break;
      }
      if (docs.length > 0 && bytes + next.size > this.limits.maxBatchBytes) {
        this.ready.unshift(next);
        break;
      }
      docs.push(next.doc);
      sizes.push(next.size);
      bytes += next.size;
      this.pbrt = maxToken(this.pbrt, next.tokenData);
    }
    if (exhausted) {
      this.pbrt = maxToken(this.pbrt, this.invalidatedBy as string);
      this.close();
    } else if (!this.hasPending() && this.lastScanned !== undefined) {
      this.pbrt = maxToken(this.pbrt, highWaterMark(this.lastScanned));
    }
    return this.reply(docs, exhausted, sizes);
  }

  private hasPending(): boolean {
    return this.ready.length > 0 || this.raw.length > 0 || this.snapshotIndex < this.snapshot.length;
  }

  private nextReady(): ReadyEvent | undefined {
    for (;;) {
      const ready = this.ready.shift();
      if (ready) return ready;
      if (this.invalidatedBy !== undefined) return undefined;
      const raw = this.raw.shift();
      if (raw) {
        this.ready.push(...this.process(raw));
        continue;
      }
      if (!this.scanNextEntry()) return undefined;
    }
  }

  /** Turns the next oplog entry into raw events; false when the oplog holds nothing newer. */
  private scanNextEntry(): boolean {
    if (this.snapshotIndex >= this.snapshot.length) {
      // one read per batch: nothing is appended while a batch is being built
      if (this.refreshed) return false;
      this.refreshed = true;
      this.assertHistoryKept();
      this.waitAfter = this.oplog.latest();
      this.snapshot = this.oplog.readFrom(this.scanFrom);
      this.snapshotIndex = 0;
      if (this.snapshot.length === 0) return false;
    }
    const entry = this.snapshot[this.snapshotIndex++];
    // Events the user's $match rejects on their first fields are not made, unless a resume token
    // is being looked for (every event is compared with it).
    const preview = this.resume ? undefined : this.preview;
    for (const op of unwindEntry(entry)) this.raw.push(...eventsFromOp(op, this.spec, preview));
    this.lastScanned = timestampValue(entry.ts);
    this.scanFrom = nextTick(entry.ts);
    return true;
  }

  /** Whether the event comes after the client's resume token; throws 280 if the token was skipped. */
  private pastResumePoint(event: RawEvent): { deliver: boolean; skipFragments?: number } {
    const check = this.resume;
    if (!check) return { deliver: true };
    const prefix = eventPrefix(event.tokenData);
    if (prefix < check.prefix) return { deliver: false };
    if (prefix === check.prefix) {
      check.found = true;
      if (check.fragmentNum === undefined) return { deliver: false };
      this.resume = undefined;
      return { deliver: true, skipFragments: check.fragmentNum + 1 };
    }
    if (!check.found) throw resumeTokenNotFound(event.doc._id as Document);
    this.resume = undefined;
    return { deliver: true };
  }

  private process(event: RawEvent): ReadyEvent[] {
    const position = this.pastResumePoint(event);
    if (!position.deliver) return [];
    if (event.operationType === 'invalidate') this.invalidatedBy = event.tokenData;
    if (!this.spec.showExpandedEvents && !CLASSIC_EVENT_TYPES.has(event.operationType)) return [];
    const { doc, missingRequired } = addImages(event, this.spec, this.catalog);
    const out = this.pipeline.apply(doc, event.matched === true);
    if (!out) return [];
    if (missingRequired) throw missingRequired;
    const size = calculateObjectSize(out);
    if (this.spec.splitLargeEvents && size > this.limits.maxUnsplitEventBytes) {
      return this.fragments(out, event, position.skipFragments ?? 0);
    }
    if (position.skipFragments !== undefined) {
      throw streamError(
        280,
        'Attempted to resume from a split event fragment, but the event in the resumed stream was not large enough to be split',
      );
    }
    if (size > this.limits.maxEventBytes) throw tooLarge(out, size);
    return [{ doc: out, tokenData: event.tokenData, size }];
  }

  private fragments(event: Document, raw: RawEvent, skip: number): ReadyEvent[] {
    const fragments = splitEvent(event, raw.token, this.limits.maxUnsplitEventBytes);
    if (skip > 0 && fragments.length < skip) {
      throw streamError(
        280,
        'Attempted to resume from a split event, but the resumed stream produced a different split. ' +
          'Ensure that the pipeline used to resume is the same as the original',
      );
    }
    return fragments.slice(skip).map((doc) => ({
      doc,
      tokenData: (doc._id as { _data: string })._data,
      size: calculateObjectSize(doc),
    }));
  }
}
