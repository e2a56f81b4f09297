// findAndModify: update, upsert or remove one document and return it (before or after).
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { assertWritesAllowed } from '../writes';
import { assertValidNamespace } from '../catalog/names';
import { commandError, ErrorCodes } from '../errors';
import { executeDelete, executeUpdate } from '../update/execute';
import { retryAfterTransactions, writeDeadline } from '../transaction-wait';
import { compileProjection } from '../query/projection';
import { parseSort } from '../query/sort';
import { validateCollation } from '../bson/collation';
import { evaluateLet } from '../query/pipeline';
import { collectionName, optionalArray, optionalBool, optionalDocument } from './args';

export async function findAndModifyCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const name = Object.keys(cmd)[0];
  const coll = collectionName(cmd, name);
  assertValidNamespace(ctx.db, coll);
  const query = optionalDocument(cmd, name, 'query') ?? {};
  const sort = parseSort(optionalDocument(cmd, name, 'sort'));
  const remove = optionalBool(cmd, name, 'remove') ?? false;
  const returnNew = optionalBool(cmd, name, 'new') ?? false;
  const upsert = optionalBool(cmd, name, 'upsert') ?? false;
  const fields = optionalDocument(cmd, name, 'fields');
  const update: unknown = cmd.update;
  if (remove && update !== undefined) throw commandError(ErrorCodes.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && update === undefined) throw commandError(ErrorCodes.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && upsert) throw commandError(ErrorCodes.FailedToParse, 'Cannot specify both upsert=true and remove=true ');
  if (remove && returnNew) {
    throw commandError(ErrorCodes.FailedToParse, "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
  }
  const collation = validateCollation(optionalDocument(cmd, name, 'collation'));
  const variables = evaluateLet(optionalDocument(cmd, name, 'let'));
  assertWritesAllowed(state, ctx, ctx.db, coll);
  const project = compileProjection(fields, query);
  const shown = (doc: Document | undefined): Document | null => (doc ? (project ? project(doc) : doc) : null);
  const deadline = writeDeadline(cmd);
  if (remove) {
    const [deleted] = await retryAfterTransactions(state, deadline, ctx, () =>
      executeDelete(state, ctx, ctx.db, coll, { q: query, limit: 1, hint: cmd.hint, sort, collation, variables }),
    );
    return { lastErrorObject: { n: deleted ? 1 : 0 }, value: shown(deleted) };
  }
  const r = await retryAfterTransactions(state, deadline, ctx, () => executeUpdate(state, ctx, ctx.db, coll, {
    q: query,
    u: update as Document,
    upsert,
    multi: false,
    arrayFilters: optionalArray(cmd, name, 'arrayFilters'),
    hint: cmd.hint,
    sort,
    variables,
    collation,
    bypassValidation: optionalBool(cmd, name, 'bypassDocumentValidation') ?? false,
  }));
  const change = r.changes[0];
  const lastErrorObject: Document = { n: change ? 1 : 0, updatedExisting: r.matched > 0 };
  if (r.upserted) lastErrorObject.upserted = r.upserted._id;
  const value = r.upserted ? (returnNew ? r.upserted : undefined) : returnNew ? change?.after : change?.before;
  return { lastErrorObject, value: shown(value) };
}
