// Reads of user documents keep every BSON type: numbers stay Int32, Double, Long or Decimal128
// instead of becoming JS numbers, and regular expressions keep their exact flags. Only reads of
// user data use these options; command replies and errors stay promoted, so error codes are
// plain numbers for the driver's own checks and ours.
import { MongoServerError } from 'mongodb';
import { hasWriteConcernError } from './write-outcome';

export const TYPED_READ = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

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
export function isServerError(error: unknown, ...codes: number[]): boolean {
  const code = serverErrorCode(error);
  return code !== undefined && codes.includes(code) && !hasWriteConcernError(error);
}
