// What a failed write tells: which documents failed, or that the whole batch failed.
//
// The driver reports three different things as a MongoBulkWriteError: per-document write
// errors (every batch ran, the other documents are written), a write-concern failure (the
// writes ran but may roll back; writeErrors is then empty), and a command or network error in
// one of the batches (writeErrors empty too, later batches never ran). Only the first may be
// handled document by document; the others fail the whole batch, so no checkpoint moves past it.
import { MongoBulkWriteError, type WriteError } from 'mongodb';

/** Whether the error (or the reply it came from) reports a write-concern failure. */
export function hasWriteConcernError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const fields = error as { writeConcernError?: unknown; errorResponse?: { writeConcernError?: unknown }; name?: string };
  if (fields.name === 'MongoWriteConcernError') return true;
  if (fields.writeConcernError != null || fields.errorResponse?.writeConcernError != null) return true;
  if (error instanceof MongoBulkWriteError) {
    const result = error.result as { getWriteConcernError?: () => unknown } | undefined;
    if (result?.getWriteConcernError?.() != null) return true;
  }
  return false;
}

/**
 * The per-document errors of a bulk write whose batches all ran and whose write concern was
 * met; null when the error is anything else, which must fail the whole batch.
 */
export function perDocumentWriteErrors(error: unknown): WriteError[] | null {
  if (!(error instanceof MongoBulkWriteError) || hasWriteConcernError(error)) return null;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return writeErrors.length > 0 ? writeErrors : null;
}

