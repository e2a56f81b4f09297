// The range comparison the verifier uses (src/verify/compare-range.ts, built on branch
// verify-core). TEMPORARY until that branch is merged: the same interface, no engine.
import type { Collection, Document } from 'mongodb';

export interface DocumentMismatch {
  db: string;
  coll: string;
  id: unknown;
  kind: 'missingOnDestination' | 'extraOnDestination' | 'different';
}
export interface RangeBounds {
  min?: unknown;
  max?: unknown;
}
export interface RangeComparison {
  sourceDocuments: number;
  destinationDocuments: number;
  mismatches: DocumentMismatch[];
  mismatchCount: number;
  lastId: unknown | null;
}
export interface RangePosition {
  lastId: unknown;
  sourceDocuments: number;
  destinationDocuments: number;
  mismatches: DocumentMismatch[];
  mismatchCount: number;
}
export interface CompareRangeOptions {
  after?: unknown;
  batchSize?: number;
  maxBatchBytes?: number;
  maxMismatches?: number;
  onBatch?: (position: RangePosition) => void | Promise<void>;
  signal?: AbortSignal;
}

export async function compareRange(
  _source: Collection<Document>,
  _destination: Collection<Document>,
  _bounds: RangeBounds,
  _options: CompareRangeOptions = {},
): Promise<RangeComparison> {
  throw new Error('compareRange is not merged yet (branch verify-core)');
}
