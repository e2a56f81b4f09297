// Compares one _id range of a collection on two clusters, document by document, by each
// document's exact BSON bytes: both sides are read in _id order (raw, so nothing is
// decoded or re-encoded) and merged. Memory holds two driver batches of each cursor (the one
// compared and the next, read meanwhile) and at most `maxMismatches` mismatches, whatever the size
// of the range.
import { BSON, type Collection, type Db, type Document, type FindCursor } from 'mongodb';
import { compareRawValues } from '../sync/verify/bson-order';
import { type CollationSpec, sameCollation, stringOrderFor } from '../sync/verify/collation-order';
import { idDocumentBytes, type RawValue, rawDocumentId } from '../sync/verify/raw-bson';
import { type EntrySource, type MergeEntry, type MergeStep, mergeSortedEntries } from '../sync/verify/range-merge';

export interface DocumentMismatch {
  db: string;
  coll: string;
  /** the _id as a BSON value (typed: Int32, Long, Double... as stored) */
  id: unknown;
  kind: 'missingOnDestination' | 'extraOnDestination' | 'different';
}

/** _id bounds: min inclusive, max exclusive, absent = open (MinKey / MaxKey). */
export interface RangeBounds {
  min?: unknown;
  max?: unknown;
}

export interface RangeComparison {
  /** documents read on the source (after `after`, when resuming) */
  sourceDocuments: number;
  destinationDocuments: number;
  /** the first `maxMismatches` mismatches, in _id order */
  mismatches: DocumentMismatch[];
  /** every mismatch found, including those not listed */
  mismatchCount: number;
  /** the last _id compared; null when the range held no document after `after` */
  lastId: unknown | null;
}

export interface RangePosition {
  /** every _id up to this one (inclusive) is compared on both sides: resume with `after` */
  lastId: unknown;
  sourceDocuments: number;
  destinationDocuments: number;
  /** mismatches found since the previous call (within the `maxMismatches` cap): persist them */
  mismatches: DocumentMismatch[];
  mismatchCount: number;
  /**
   * true: the range holds no document after `lastId` (the last call; the comparison returns next).
   * false promises nothing: a batch that ends on the range's last document is reported with false.
   */
  done: boolean;
}

export interface CompareRangeOptions {
  /** resume: continue after this _id (exclusive) */
  after?: unknown;
  /** documents per cursor batch and per onBatch call (default 1000) */
  batchSize?: number;
  /** bytes read (both sides) after which onBatch is called early (default 16 MiB) */
  maxBatchBytes?: number;
  /** mismatches kept in the result (default 100); all are counted */
  maxMismatches?: number;
  onBatch?: (position: RangePosition) => void | Promise<void>;
  signal?: AbortSignal;
  /** the two collections' shapes when the caller has read them (collectionShapes); else read here */
  shapes?: { source: CollectionShape; destination: CollectionShape };
}

/** The two sides have different default collations: their _id orders (and identities) differ. */
export class CollationMismatchError extends Error {
  constructor(readonly namespace: string) {
    super(`${namespace} has different default collations on the source and the destination; its documents cannot be compared by _id range`);
    this.name = 'CollationMismatchError';
  }
}

/** Reads user documents keeping every BSON type, as they are stored. */
const TYPED_DECODE = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

export function decodeRawId(id: RawValue): unknown {
  return BSON.deserialize(idDocumentBytes(id), TYPED_DECODE)._id;
}

function rawIdOf(value: unknown): RawValue {
  return rawDocumentId(BSON.serialize({ _id: value }));
}

/** What a comparison needs of a collection's catalog entry: whether it exists, its default collation. */
export interface CollectionShape {
  exists: boolean;
  collation: CollationSpec | undefined;
}

const shapeOfInfo = (info: Document | undefined): CollectionShape =>
  info ? { exists: true, collation: (info as { options?: { collation?: CollationSpec } }).options?.collation } : { exists: false, collation: undefined };

async function shapeOf(collection: Collection<Document>): Promise<CollectionShape> {
  const [info] = await collection.db.listCollections({ name: collection.collectionName }, { nameOnly: false }).toArray();
  return shapeOfInfo(info);
}

/**
 * The shapes of many collections of one database in one listCollections: a caller comparing
 * many small collections saves a catalog read per collection and side.
 */
export async function collectionShapes(db: Db, names: readonly string[]): Promise<Map<string, CollectionShape>> {
  const shapes = new Map<string, CollectionShape>(names.map((name) => [name, shapeOfInfo(undefined)]));
  if (names.length === 0) return shapes;
  const infos = await db.listCollections({ name: { $in: [...new Set(names)] } }, { nameOnly: false }).toArray();
  for (const info of infos) shapes.set(info.name, shapeOfInfo(info));
  return shapes;
}

/**
 * One side of a range as merge entries: a raw cursor read a whole batch at a time (one promise
 * per batch, not per document). The next batch is asked for as soon as one is taken, so the
 * server reads it while this one is compared: two batches per side at most.
 */
class RangeEntries implements EntrySource {
  private buffer: Uint8Array[] = [];
  private at = 0;
  private exhausted: boolean;
  private readonly cursor: FindCursor<Document> | undefined;
  /** the next batch, asked for ahead: resolves to whether there is one */
  private ahead: Promise<boolean> | undefined;

  constructor(
    collection: Collection<Document>,
    exists: boolean,
    lowerBound: unknown,
    bounds: RangeBounds,
    private readonly skipThrough: RawValue | undefined,
    private readonly compare: (a: RawValue, b: RawValue) => number,
    batchSize: number,
  ) {
    this.exhausted = !exists;
    this.cursor = exists
      ? collection.find({}, {
          raw: true,
          sort: { _id: 1 },
          hint: { _id: 1 },
          batchSize,
          ...(lowerBound !== undefined ? { min: { _id: lowerBound } } : {}),
          ...(bounds.max !== undefined ? { max: { _id: bounds.max } } : {}),
        })
      : undefined;
  }

  next(): MergeEntry | null | Promise<MergeEntry | null> {
    while (this.at < this.buffer.length) {
      const bytes = this.buffer[this.at++]!;
      const id = rawDocumentId(bytes);
      // `min` is inclusive: the _id a resumed comparison continues after comes back first.
      if (this.skipThrough !== undefined && this.compare(id, this.skipThrough) <= 0) continue;
      // The document's exact bytes are its identity: compared as they are, not hashed.
      return { id, digest: bytes, size: bytes.length };
    }
    if (this.exhausted) return null;
    return this.refill().then(() => this.next());
  }

  private async refill(): Promise<void> {
    this.buffer = [];
    this.at = 0;
    const ahead = this.ahead ?? this.cursor!.hasNext();
    this.ahead = undefined;
    if (!(await ahead)) {
      this.exhausted = true;
      return;
    }
    this.buffer = this.cursor!.readBufferedDocuments() as unknown as Uint8Array[];
    // Handled when awaited (next refill, or close): never an unhandled rejection meanwhile.
    this.ahead = this.cursor!.hasNext();
    this.ahead.catch(() => undefined);
  }

  async close(): Promise<void> {
    // A getMore in flight ends before the cursor is closed (its failure is no longer of interest).
    await this.ahead?.catch(() => undefined);
    this.ahead = undefined;
    await this.cursor?.close();
  }
}

/** Compares the documents of `bounds` on both sides (see the header). */
export async function compareRange(
  source: Collection<Document>,
  destination: Collection<Document>,
  bounds: RangeBounds,
  options: CompareRangeOptions = {},
): Promise<RangeComparison> {
  const batchSize = options.batchSize ?? 1000;
  const maxBatchBytes = options.maxBatchBytes ?? 16 * 1024 * 1024;
  const maxMismatches = options.maxMismatches ?? 100;
  const namespace = { db: source.dbName, coll: source.collectionName };
  const [sourceShape, destinationShape] = options.shapes
    ? [options.shapes.source, options.shapes.destination]
    : await Promise.all([shapeOf(source), shapeOf(destination)]);
  if (sourceShape.exists && destinationShape.exists && !sameCollation(sourceShape.collation, destinationShape.collation)) {
    throw new CollationMismatchError(`${namespace.db}.${namespace.coll}`);
  }
  const stringOrder = stringOrderFor(sourceShape.exists ? sourceShape.collation : destinationShape.collation);
  const compare = (a: RawValue, b: RawValue) => compareRawValues(a, b, stringOrder);
  const after = options.after !== undefined ? rawIdOf(options.after) : undefined;
  const lowerBound = options.after !== undefined ? options.after : bounds.min;

  const result: RangeComparison = { sourceDocuments: 0, destinationDocuments: 0, mismatches: [], mismatchCount: 0, lastId: null };
  let pending: DocumentMismatch[] = [];
  let stepsInBatch = 0;
  let bytesInBatch = 0;
  let lastRaw: RawValue | undefined;
  const report = async (done: boolean): Promise<void> => {
    if (stepsInBatch === 0 || lastRaw === undefined) return;
    const position: RangePosition = {
      done,
      lastId: decodeRawId(lastRaw),
      sourceDocuments: result.sourceDocuments,
      destinationDocuments: result.destinationDocuments,
      mismatches: pending,
      mismatchCount: result.mismatchCount,
    };
    pending = [];
    stepsInBatch = 0;
    bytesInBatch = 0;
    await options.onBatch?.(position);
  };

  const sides = [
    new RangeEntries(source, sourceShape.exists, lowerBound, bounds, after, compare, batchSize),
    new RangeEntries(destination, destinationShape.exists, lowerBound, bounds, after, compare, batchSize),
  ] as const;
  const onStep = (step: MergeStep): void | Promise<void> => {
    options.signal?.throwIfAborted();
    if (step.source) {
      result.sourceDocuments++;
      bytesInBatch += step.source.size;
    }
    if (step.destination) {
      result.destinationDocuments++;
      bytesInBatch += step.destination.size;
    }
    if (step.verdict !== 'same') {
      result.mismatchCount++;
      if (result.mismatches.length < maxMismatches) {
        const mismatch: DocumentMismatch = { ...namespace, id: decodeRawId(step.id), kind: step.verdict };
        result.mismatches.push(mismatch);
        pending.push(mismatch);
      }
    }
    lastRaw = step.id;
    stepsInBatch++;
    if (stepsInBatch >= batchSize || bytesInBatch >= maxBatchBytes) return report(false);
  };
  try {
    await mergeSortedEntries(sides[0], sides[1], compare, onStep);
  } finally {
    await Promise.all(sides.map((side) => side.close()));
  }
  await report(true);
  result.lastId = lastRaw === undefined ? null : decodeRawId(lastRaw);
  return result;
}
