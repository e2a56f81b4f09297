// delete: a batch of delete statements (limit 0 = all matches, 1 = the first).
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { writeBlockError } from '../writes';
import { assertValidNamespace } from '../catalog/names';
import { commandError, ErrorCodes } from '../errors';
import { isPlainDocument, toNumber } from '../bson/values';
import { executeDelete } from '../update/execute';
import { retryAfterTransactions, writeDeadline } from '../transaction-wait';
import { validateCollation } from '../bson/collation';
import { evaluateLet } from '../query/pipeline';
import { assertKnownNestedFields, collectionName, optionalArray, optionalBool, optionalDocument } from './args';
import { KNOWN_FIELDS } from './known-fields';
import { assertBatchSize, WriteErrorCollector } from './insert';

interface DeleteStatement {
  q: Document;
  limit: number;
  hint?: unknown;
  collation?: Document;
  variables?: Document;
}

function parseStatement(raw: unknown, variables: Document | undefined): DeleteStatement {
  if (!isPlainDocument(raw)) {
    throw commandError(ErrorCodes.TypeMismatch, "BSON field 'delete.deletes' is the wrong type, expected type 'object'");
  }
  assertKnownNestedFields(raw, 'delete.deletes', KNOWN_FIELDS['delete.deletes']);
  const q = optionalDocument(raw, 'delete.deletes', 'q');
  if (q === undefined) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'delete.deletes.q' is missing but a required field");
  if (raw.limit === undefined) {
    throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'delete.deletes.limit' is missing but a required field");
  }
  const limit = toNumber(raw.limit);
  if (limit !== 0 && limit !== 1) {
    throw commandError(ErrorCodes.FailedToParse, `The limit field in delete objects must be 0 or 1. Got ${String(limit ?? raw.limit)}`);
  }
  return { q, limit, hint: raw.hint, collation: validateCollation(optionalDocument(raw, 'delete.deletes', 'collation')), variables };
}

export async function deleteCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const coll = collectionName(cmd, 'delete');
  assertValidNamespace(ctx.db, coll);
  const deletes = optionalArray(cmd, 'delete', 'deletes');
  if (!deletes) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'delete.deletes' is missing but a required field");
  assertBatchSize(deletes.length);
  const ordered = optionalBool(cmd, 'delete', 'ordered') ?? true;
  const errors = new WriteErrorCollector(ordered);
  let n = 0;
  // the whole command is parsed first: a malformed statement fails the command, not one statement
  const variables = evaluateLet(optionalDocument(cmd, 'delete', 'let'));
  const statements = deletes.map((raw) => parseStatement(raw, variables));
  const deadline = writeDeadline(cmd);
  for (let i = 0; i < statements.length; i++) {
    try {
      const done = new Map<string, Document>();
      const attempt = retryAfterTransactions(state, deadline, ctx, () => {
        const blocked = writeBlockError(state, ctx, ctx.db, coll);
        if (blocked) throw blocked;
        return executeDelete(state, ctx, ctx.db, coll, statements[i], done);
      });
      const deleted = attempt instanceof Promise ? await attempt : attempt;
      n += deleted.length;
    } catch (e) {
      if (errors.add(i, e)) break;
    }
  }
  return errors.finish({ n });
}
