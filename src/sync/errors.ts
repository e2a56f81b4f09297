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
  /** The cluster labels or host:port values changed between runs. */
  ClusterIdentityMismatch: 'ClusterIdentityMismatch',
  /** A request body could not be parsed at all. */
  InvalidRequest: 'InvalidRequest',
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
 * Error names after which retrying the same activity or command cannot help. The lead can pass
 * this list as `nonRetryableErrorTypes` in activity retry policies.
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
  SyncErrorName.ClusterIdentityMismatch,
  SyncErrorName.InvalidRequest,
];

export function syncError(error: SyncErrorName, errorDescription: string): SyncErrorInfo {
  return { error, errorDescription };
}

/**
 * A throwable carrying a SyncErrorInfo. `name` is the stable error name, so code that turns it
 * into an ApplicationFailure can use `err.name` as the failure type.
 */
export class SyncError extends Error {
  readonly error: SyncErrorName;
  readonly errorDescription: string;

  constructor(info: SyncErrorInfo) {
    super(info.errorDescription);
    this.name = info.error;
    this.error = info.error;
    this.errorDescription = info.errorDescription;
  }

  toInfo(): SyncErrorInfo {
    return { error: this.error, errorDescription: this.errorDescription };
  }
}
