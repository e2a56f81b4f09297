// Request bodies are JSON whatever the Content-Type says: mongosync's documented calls send
// none, and `curl --data '{ }'` sends application/x-www-form-urlencoded.
import type { z } from 'zod';
import { SyncError, SyncErrorName } from '../sync/errors';

/** Parses a raw body; a missing or blank body is `undefined`. Malformed JSON is an InvalidRequest. */
export function parseJsonBody(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    // the parser's message quotes the body; say where it broke instead
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position !== undefined ? ` (at character ${position})` : /end of JSON input/.test((error as Error).message) ? ' (it ends too early)' : '';
    throw new SyncError(SyncErrorName.InvalidRequest, `the request body is not valid JSON${where}`);
  }
}

/**
 * Validates the body of pause/resume/commit/reverse: `{}` or nothing. Unknown fields are named
 * in the error, so a misspelt call is not silently taken as a plain command.
 */
export function parseCommandBody(command: string, raw: string | undefined, schema: z.ZodType): void {
  const parsed = parseJsonBody(raw);
  const body = parsed === undefined ? {} : parsed;
  const result = schema.safeParse(body);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const fields = issue.keys.map((key) => `'${key}'`).join(', ');
    throw new SyncError(
      SyncErrorName.InvalidRequest,
      `unknown field${issue.keys.length > 1 ? 's' : ''} ${fields}: /${command} takes no parameters; send {} or no body`,
    );
  }
  throw new SyncError(SyncErrorName.InvalidRequest, `${issue.message}: /${command} takes no parameters; send {} or no body`);
}
