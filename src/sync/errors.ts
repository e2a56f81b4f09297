// Stable error names of the sync engine. Each is used both as the `error` field of a
// mongosync-style response ({success: false, error, errorDescription}) and as the `type` of a
// Temporal ApplicationFailure, so that clients and retry policies can match on it.
// Workflow-safe: no imports.

export const SyncErrorName = {
  /** The /start body is malformed, names an unknown field, or combines options mongosync refuses. */
  InvalidStartRequest: 'InvalidStartRequest',
  /** The /start body uses an option mongosync accepts but c2c-sync does not implement. */
  UnsupportedStartOption: 'UnsupportedStartOption',
  /** The command is not allowed in the current state (e.g. /pause while PAUSED). */
  InvalidState: 'InvalidState',
  /** /commit was called while canCommit is false. */
  CannotCommit: 'CannotCommit',
  /** /reverse was called for a migration that cannot be reversed. */
  NotReversible: 'NotReversible',
  /** A check before starting failed (versions, topology, non-empty destination, ...). */
  PreflightFailed: 'PreflightFailed',
  /** The destination has less free space than the migration needs. */
  InsufficientDestinationDiskSpace: 'InsufficientDestinationDiskSpace',
  /** The resume point fell off the source oplog (server code 286); the sync must start over. */
  ChangeStreamHistoryLost: 'ChangeStreamHistoryLost',
  /** The change stream cannot resume from the saved token (server code 280). */
  ChangeStreamFatal: 'ChangeStreamFatal',
  /** A source event or object the engine cannot replicate (time-series, convertToCapped, ...). */
  UnsupportedOperation: 'UnsupportedOperation',
  /** A source document or change event is too large to carry over (over 16 MB on the wire). */
  DocumentTooLarge: 'DocumentTooLarge',
  /** A DDL event breaks the namespace filter rules (e.g. renaming a collection out of the filter). */
  NamespaceFilterViolation: 'NamespaceFilterViolation',
  /**
   * At commit, a unique index could not be restored on the destination because documents share
   * a key: the description names the index and a duplicate key.
   */
  UniqueIndexConversionFailed: 'UniqueIndexConversionFailed',
  /** The cluster labels or host:port values changed between runs. */
  ClusterIdentityMismatch: 'ClusterIdentityMismatch',
  /** A request body could not be parsed at all. */
  InvalidRequest: 'InvalidRequest',
  /** The embedded verifier found documents that differ between source and destination (at commit, or it cannot compare a collection). */
  VerificationFailed: 'VerificationFailed',
  /** An unexpected internal failure. */
  InternalError: 'InternalError',
} as const;

export type SyncErrorName = (typeof SyncErrorName)[keyof typeof SyncErrorName];

/** The mongosync error envelope without `success`; JSON-serializable. */
export interface SyncErrorInfo {
  error: SyncErrorName;
  errorDescription: string;
}

/**
 * Error names after which retrying the same activity or command cannot help: the one list the
 * workflow's activity retry policies use (as `nonRetryableErrorTypes`). A failure of one of
 * these types ends the sync in the FAILED state.
 */
export const NON_RETRYABLE_ERROR_NAMES: readonly SyncErrorName[] = [
  SyncErrorName.InvalidStartRequest,
  SyncErrorName.UnsupportedStartOption,
  SyncErrorName.InvalidState,
  SyncErrorName.CannotCommit,
  SyncErrorName.NotReversible,
  SyncErrorName.PreflightFailed,
  SyncErrorName.InsufficientDestinationDiskSpace,
  SyncErrorName.ChangeStreamHistoryLost,
  SyncErrorName.ChangeStreamFatal,
  SyncErrorName.UnsupportedOperation,
  SyncErrorName.DocumentTooLarge,
  SyncErrorName.NamespaceFilterViolation,
  SyncErrorName.UniqueIndexConversionFailed,
  SyncErrorName.ClusterIdentityMismatch,
  SyncErrorName.InvalidRequest,
  SyncErrorName.VerificationFailed,
];

export function isSyncErrorName(name: unknown): name is SyncErrorName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(SyncErrorName, name);
}

/**
 * The one error class of c2c-sync outside Temporal's failures: what the API answers, what the
 * client's commands throw, what option parsing throws. `name` is the stable error name, so
 * Temporal turns a thrown SyncError into an ApplicationFailure of that type, and
 * `ApplicationFailure.nonRetryable(e.errorDescription, e.error)` is its explicit form.
 * `error` is a SyncErrorName, or one of the API's own names (src/api/errors.ts).
 */
export class SyncError extends Error {
  constructor(
    readonly error: string,
    readonly errorDescription: string,
  ) {
    super(errorDescription);
    this.name = error;
  }

  static from(info: SyncErrorInfo): SyncError {
    return new SyncError(info.error, info.errorDescription);
  }

  toInfo(): { error: string; errorDescription: string } {
    return { error: this.error, errorDescription: this.errorDescription };
  }
}
