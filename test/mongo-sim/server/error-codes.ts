// Server error codes and their names (src/mongo/base/error_codes.yml), for the codes the simulator
// produces or a fail point may inject. Codes without an entry are named `Location<code>` (reply envelope).

const CODE_NAMES: Record<number, string> = {
  1: 'InternalError',
  2: 'BadValue',
  4: 'NoSuchKey',
  6: 'HostUnreachable',
  7: 'HostNotFound',
  8: 'UnknownError',
  9: 'FailedToParse',
  11: 'UserNotFound',
  13: 'Unauthorized',
  14: 'TypeMismatch',
  17: 'ProtocolError',
  18: 'AuthenticationFailed',
  20: 'IllegalOperation',
  24: 'LockTimeout',
  26: 'NamespaceNotFound',
  27: 'IndexNotFound',
  31: 'RoleNotFound',
  43: 'CursorNotFound',
  47: 'NoMatchingDocument',
  48: 'NamespaceExists',
  50: 'MaxTimeMSExpired',
  59: 'CommandNotFound',
  63: 'StaleShardVersion',
  64: 'WriteConcernFailed',
  67: 'CannotCreateIndex',
  68: 'IndexAlreadyExists',
  72: 'InvalidOptions',
  73: 'InvalidNamespace',
  76: 'NoReplicationEnabled',
  79: 'UnknownReplWriteConcern',
  85: 'IndexOptionsConflict',
  86: 'IndexKeySpecsConflict',
  89: 'NetworkTimeout',
  91: 'ShutdownInProgress',
  100: 'UnsatisfiableWriteConcern',
  112: 'WriteConflict',
  121: 'DocumentValidationFailure',
  133: 'FailedToSatisfyReadPreference',
  134: 'ReadConcernMajorityNotAvailableYet',
  150: 'StaleEpoch',
  166: 'CommandNotSupportedOnView',
  175: 'QueryPlanKilled',
  186: 'ClientMetadataCannotBeMutated',
  189: 'PrimarySteppedDown',
  209: 'StaleClusterTime',
  211: 'KeyNotFound',
  223: 'IllegalOpMsgFlag',
  225: 'TransactionTooOld',
  233: 'TooManyDocumentSequences',
  234: 'RetryChangeStream',
  237: 'CursorKilled',
  239: 'SnapshotTooOld',
  244: 'TransactionAborted',
  246: 'SnapshotUnavailable',
  251: 'NoSuchTransaction',
  256: 'TransactionCommitted',
  260: 'InvalidResumeToken',
  262: 'ExceededTimeLimit',
  263: 'OperationNotSupportedInTransaction',
  276: 'IndexBuildAborted',
  280: 'ChangeStreamFatalError',
  286: 'ChangeStreamHistoryLost',
  288: 'ChecksumMismatch',
  317: 'ConnectionPoolExpired',
  332: 'CannotDowngrade',
  346: 'ChangeStreamInvalidated',
  351: 'ChangeStreamStartAfterInvalidate',
  352: 'UnsupportedOpQueryCommand',
  361: 'CollectionUUIDMismatch',
  371: 'UserWritesBlocked',
  376: 'ChangeStreamNotEnabled',
  9001: 'SocketException',
  10058: 'LegacyNotPrimary',
  10107: 'NotWritablePrimary',
  10334: 'BSONObjectTooLarge',
  11000: 'DuplicateKey',
  11600: 'InterruptedAtShutdown',
  11601: 'Interrupted',
  11602: 'InterruptedDueToReplStateChange',
  13297: 'DatabaseDifferCase',
  13388: 'StaleConfig',
  13435: 'NotPrimaryNoSecondaryOk',
  13436: 'NotPrimaryOrSecondary',
  40414: 'IDLFailedToParse',
  40415: 'IDLUnknownField',
};

export function codeNameOf(code: number): string {
  return CODE_NAMES[code] ?? `Location${code}`;
}

/** The `RetriableError` category of error_codes.yml. */
export const RETRIABLE_CODES: ReadonlySet<number> = new Set([
  6, 7, 89, 91, 134, 189, 262, 317, 9001, 10107, 11600, 11602, 13435, 13436,
]);

/** Network-like codes (`NetworkError` category). */
export const NETWORK_CODES: ReadonlySet<number> = new Set([6, 7, 89, 9001]);

/** Codes of the `NeedRetargettingError` category (sharding; never produced by a replica set). */
export const RETARGETING_CODES: ReadonlySet<number> = new Set([63, 150, 13388]);

/** The `NonResumableChangeStreamError` category. */
export const NON_RESUMABLE_CHANGE_STREAM_CODES: ReadonlySet<number> = new Set([280, 286]);
