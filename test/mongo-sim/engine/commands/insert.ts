// insert: ordered/unordered, per-statement write errors, implicit collection creation.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { collectionForWrite, insertRecord, prepareInsertDocument, writeBlockError } from '../writes';
import { assertValidNamespace } from '../catalog/names';
import { commandError, ErrorCodes, isCommandError, toWriteError } from '../errors';
import { collectionName, optionalArray, optionalBool } from './args';
import { retryAfterTransactions, WaitInterrupted, writeDeadline } from '../transaction-wait';

export const MAX_WRITE_BATCH = 100000;

export function assertBatchSize(count: number): void {
  if (count < 1 || count > MAX_WRITE_BATCH) {
    throw commandError(ErrorCodes.InvalidLength, `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH}. Got ${count} operations.`);
  }
}

/** Collects per-statement errors; ordered batches stop at the first. */
export class WriteErrorCollector {
  readonly errors: Document[] = [];
  constructor(private readonly ordered: boolean) {}

  /** Records the error of statement `index`; returns true when the batch must stop. */
  add(index: number, e: unknown): boolean {
    if (!isCommandError(e) || e instanceof WaitInterrupted) throw e;
    this.errors.push(toWriteError(index, e));
    return this.ordered;
  }

  /** Adds `writeErrors` to the reply only when there are any. */
  finish(reply: Document): Document {
    if (this.errors.length > 0) reply.writeErrors = this.errors;
    return reply;
  }
}

export async function insertCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const coll = collectionName(cmd, 'insert');
  assertValidNamespace(ctx.db, coll);
  const documents = optionalArray(cmd, 'insert', 'documents');
  if (!documents) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'insert.documents' is missing but a required field");
  assertBatchSize(documents.length);
  const ordered = optionalBool(cmd, 'insert', 'ordered') ?? true;
  const bypassValidation = optionalBool(cmd, 'insert', 'bypassDocumentValidation') ?? false;
  const errors = new WriteErrorCollector(ordered);
  const deadline = writeDeadline(cmd);
  let n = 0;
  for (let i = 0; i < documents.length; i++) {
    try {
      const waited = retryAfterTransactions(state, deadline, ctx, () => {
        const blocked = writeBlockError(state, ctx, ctx.db, coll);
        if (blocked) throw blocked;
        const info = collectionForWrite(state, ctx.db, coll);
        insertRecord(state, ctx, info, prepareInsertDocument(documents[i]), { bypassValidation });
      });
      if (waited instanceof Promise) await waited;
      n++;
    } catch (e) {
      if (errors.add(i, e)) break;
    }
  }
  return errors.finish({ n });
}
