// MongoDB server error codes the sync acts on, by name, and how to recognise them. The names are
// the server's own (src/mongo/base/error_codes.yml in the server's source), so a reader can look
// each one up.
import { MongoServerError } from 'mongodb';
import { hasWriteConcernError } from './write-outcome';

export const ServerErrorCode = {
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  NamespaceExists: 48,
  ImmutableField: 66,
  IndexAlreadyExists: 68,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  CannotConvertIndexToUnique: 359,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  /** $changeStreamSplitLargeEvent could not split an event into fragments that fit */
  ChangeStreamSplitEventFailed: 7182500,
} as const;

export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/** An index build that met an index of the same name or key pattern. */
export const INDEX_CONFLICT_CODES: readonly ServerErrorCode[] = [
  ServerErrorCode.IndexAlreadyExists,
  ServerErrorCode.IndexOptionsConflict,
  ServerErrorCode.IndexKeySpecsConflict,
];

/** The numeric server error code, whatever BSON type the reply carried it in. */
export function serverErrorCode(error: unknown): number | undefined {
  if (!(error instanceof MongoServerError) || error.code === undefined) return undefined;
  return Number(error.code);
}

/**
 * Whether the error is one of these server errors. An error that also reports a write-concern
 * failure never matches: callers use this to ignore expected errors, and a write that may roll
 * back is not one.
 */
export function isServerError(error: unknown, ...codes: readonly ServerErrorCode[]): boolean {
  const code = serverErrorCode(error);
  return code !== undefined && (codes as readonly number[]).includes(code) && !hasWriteConcernError(error);
}

export const isNamespaceNotFound = (error: unknown): boolean => isServerError(error, ServerErrorCode.NamespaceNotFound);

/** The change stream cannot deliver an event because it, or a fragment of it, exceeds 16 MB. */
export const isEventTooLarge = (error: unknown): boolean =>
  isServerError(error, ServerErrorCode.BSONObjectTooLarge, ServerErrorCode.ChangeStreamSplitEventFailed);
