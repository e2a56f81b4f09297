// update: a batch of update statements with per-statement write errors.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { writeBlockError } from '../writes';
import { assertValidNamespace } from '../catalog/names';
import { commandError, ErrorCodes } from '../errors';
import { isPlainDocument } from '../bson/values';
import { executeUpdate, newUpdateProgress, type UpdateStatement } from '../update/execute';
import { retryAfterTransactions, writeDeadline } from '../transaction-wait';
import { parseSort } from '../query/sort';
import { validateCollation } from '../bson/collation';
import { evaluateLet } from '../query/pipeline';
import { versionAtLeast } from '../version';
import { assertKnownNestedFields, collectionName, optionalArray, optionalBool, optionalDocument } from './args';
import { KNOWN_FIELDS } from './known-fields';
import { assertBatchSize, WriteErrorCollector } from './insert';

function parseStatement(raw: unknown, bypassValidation: boolean, variables: Document | undefined, sortAllowed: boolean): UpdateStatement {
  if (!isPlainDocument(raw)) {
    throw commandError(ErrorCodes.TypeMismatch, "BSON field 'update.updates' is the wrong type, expected type 'object'");
  }
  assertKnownNestedFields(raw, 'update.updates', KNOWN_FIELDS['update.updates']);
  const q = optionalDocument(raw, 'update.updates', 'q');
  if (q === undefined) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'update.updates.q' is missing but a required field");
  if (raw.u === undefined) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'update.updates.u' is missing but a required field");
  const constants = optionalDocument(raw, 'update.updates', 'c');
  // updates.sort arrived in 8.0; earlier servers do not know the field
  if (raw.sort !== undefined && !sortAllowed) throw commandError(40415, "BSON field 'update.updates.sort' is an unknown field.");
  return {
    q,
    u: raw.u as Document | unknown[],
    upsert: optionalBool(raw, 'update.updates', 'upsert') ?? false,
    multi: optionalBool(raw, 'update.updates', 'multi') ?? false,
    arrayFilters: optionalArray(raw, 'update.updates', 'arrayFilters'),
    hint: raw.hint,
    sort: parseSort(raw.sort),
    variables: constants || variables ? { ...variables, ...constants } : undefined,
    collation: validateCollation(optionalDocument(raw, 'update.updates', 'collation')),
    bypassValidation,
  };
}

export async function updateCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const coll = collectionName(cmd, 'update');
  assertValidNamespace(ctx.db, coll);
  const updates = optionalArray(cmd, 'update', 'updates');
  if (!updates) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'update.updates' is missing but a required field");
  assertBatchSize(updates.length);
  const ordered = optionalBool(cmd, 'update', 'ordered') ?? true;
  const bypassValidation = optionalBool(cmd, 'update', 'bypassDocumentValidation') ?? false;
  const variables = evaluateLet(optionalDocument(cmd, 'update', 'let'));
  const errors = new WriteErrorCollector(ordered);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  // the whole command is parsed first: a malformed statement fails the command, not one statement
  const sortAllowed = versionAtLeast(state.version, 8, 0);
  const statements = updates.map((raw) => parseStatement(raw, bypassValidation, variables, sortAllowed));
  const deadline = writeDeadline(cmd);
  for (let i = 0; i < statements.length; i++) {
    try {
      const progress = newUpdateProgress();
      const attempt = retryAfterTransactions(state, deadline, ctx, () => {
        const blocked = writeBlockError(state, ctx, ctx.db, coll);
        if (blocked) throw blocked;
        return executeUpdate(state, ctx, ctx.db, coll, statements[i], progress);
      });
      const r = attempt instanceof Promise ? await attempt : attempt;
      n += r.matched;
      nModified += r.modified;
      if (r.upserted) {
        n++;
        upserted.push({ index: i, _id: r.upserted._id });
      }
    } catch (e) {
      if (errors.add(i, e)) break;
    }
  }
  const reply: Document = { n };
  errors.finish(reply);
  if (upserted.length > 0) reply.upserted = upserted;
  reply.nModified = nModified;
  return reply;
}
