// The HTTP side of errors: every failure becomes mongosync's envelope
// {"success":false,"error":NAME,"errorDescription":TEXT} with an HTTP status chosen by its name.
// mongosync documents no status codes; clients should read `success`.
import { redactedMessage } from '../mongo/redact';
import { SyncError, SyncErrorName } from '../sync/errors';

/** Error names the API adds to the sync engine's (src/sync/errors.ts). */
export const ApiErrorName = {
  /** No route at this path. */
  NotFound: 'NotFound',
  /** The path exists but not for this HTTP method. */
  MethodNotAllowed: 'MethodNotAllowed',
  /** The request lacks this service's API token, or carries another one. */
  Unauthorized: 'Unauthorized',
  /** The request names another host, or comes from a web page of another origin. */
  Forbidden: 'Forbidden',
  /** The request body is larger than the API accepts. */
  PayloadTooLarge: 'PayloadTooLarge',
  /** The Temporal server cannot be reached; nothing was changed. */
  TemporalUnavailable: 'TemporalUnavailable',
  /** The sync workflow did not answer in time (is a worker running?); the command may still take effect. */
  CommandTimeout: 'CommandTimeout',
} as const;

export type ApiErrorName = (typeof ApiErrorName)[keyof typeof ApiErrorName];
export type ErrorName = SyncErrorName | ApiErrorName;

export const ERROR_NAMES: readonly ErrorName[] = [...Object.values(SyncErrorName), ...Object.values(ApiErrorName)];

const STATUS_BY_NAME: Record<ErrorName, number> = {
  InvalidRequest: 400,
  InvalidStartRequest: 400,
  UnsupportedStartOption: 400,
  InvalidState: 409,
  CannotCommit: 409,
  NotReversible: 409,
  PreflightFailed: 409,
  InsufficientDestinationDiskSpace: 409,
  ClusterIdentityMismatch: 409,
  NamespaceFilterViolation: 409,
  UniqueIndexConversionFailed: 409,
  VerificationFailed: 409,
  UnsupportedOperation: 409,
  ChangeStreamHistoryLost: 409,
  ChangeStreamFatal: 409,
  DocumentTooLarge: 409,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  InternalError: 500,
  TemporalUnavailable: 503,
  CommandTimeout: 504,
};

/** The HTTP status for an error name; 500 for names this version does not know. */
export function httpStatusFor(name: string): number {
  return (STATUS_BY_NAME as Record<string, number | undefined>)[name] ?? 500;
}

export interface ErrorEnvelope {
  success: false;
  error: string;
  errorDescription: string;
}

export interface ErrorResponse {
  status: number;
  body: ErrorEnvelope;
}

export function errorResponse(name: string, description: string): ErrorResponse {
  return { status: httpStatusFor(name), body: { success: false, error: name, errorDescription: redactedMessage(description) } };
}

// gRPC status codes meaning the server could not be reached or did not answer.
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** True when `error` (or one of its causes) says the Temporal server is unreachable. */
export function isTemporalUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) return true;
    if (/Failed to connect before the deadline|ECONNREFUSED/.test(current.message)) return true;
  }
  return false;
}

/** Maps anything thrown while serving a request to a status and an envelope. */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof SyncError) return errorResponse(error.error, error.errorDescription);
  if (isTemporalUnavailable(error)) {
    return errorResponse(
      ApiErrorName.TemporalUnavailable,
      `the Temporal server cannot be reached, nothing was changed: ${redactedMessage(error)}`,
    );
  }
  return errorResponse(SyncErrorName.InternalError, redactedMessage(error));
}
