// Factories for the server errors the engine raises, with the server's codes, names and texts.
import type { Document } from 'bson';
import { CommandError } from './types';
import { formatDocument } from './bson/format';

export const ErrorCodes = {
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  InvalidLength: 16,
  Unauthorized: 13,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  DocumentValidationFailure: 121,
  ViewDepthLimitExceeded: 165,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  CannotIndexParallelArrays: 171,
  AmbiguousIndexKeyPattern: 181,
  StaleClusterTime: 209,
  CursorKilled: 237,
  UserWritesBlocked: 371,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  IDLUnknownField: 40415,
  IDLFailedToParse: 40414,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ErrorCodes).map(([name, code]) => [code, name]));

/** The codeName the server reports for a code (`Location<code>` for unnamed assertion codes). */
export function codeNameOf(code: number): string {
  return NAMES[code] ?? `Location${code}`;
}

export function commandError(code: number, message: string, extra?: Document, labels?: string[]): CommandError {
  return new CommandError(code, codeNameOf(code), message, extra, labels);
}

export function adminOnly(command: string): CommandError {
  return commandError(ErrorCodes.Unauthorized, `${command} may only be run against the admin database.`);
}

export function unknownField(command: string, field: string): CommandError {
  return commandError(ErrorCodes.IDLUnknownField, `BSON field '${command}.${field}' is an unknown field.`);
}

export function missingField(command: string, field: string): CommandError {
  return commandError(ErrorCodes.IDLFailedToParse, `BSON field '${command}.${field}' is missing but a required field`);
}

export function userWritesBlocked(reason?: string): CommandError {
  return commandError(ErrorCodes.UserWritesBlocked, reason ? `User writes blocked, reason: ${reason}` : 'User writes blocked');
}

/** E11000 with the server's text and the keyPattern/keyValue extra fields. */
export function duplicateKey(ns: string, indexName: string, keyPattern: Document, keyValue: Document): CommandError {
  return commandError(
    ErrorCodes.DuplicateKey,
    `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: ${formatDocument(keyValue)}`,
    { keyPattern, keyValue },
  );
}

/** A per-statement write error as it appears in `writeErrors`. */
export function toWriteError(index: number, err: CommandError): Document {
  return { index, code: err.code, ...pickWriteErrorExtras(err.extra), errmsg: err.message };
}

function pickWriteErrorExtras(extra: Document): Document {
  const out: Document = {};
  if (extra.keyPattern !== undefined) out.keyPattern = extra.keyPattern;
  if (extra.keyValue !== undefined) out.keyValue = extra.keyValue;
  if (extra.errInfo !== undefined) out.errInfo = extra.errInfo;
  return out;
}

export function isCommandError(e: unknown): e is CommandError {
  return e instanceof CommandError;
}
