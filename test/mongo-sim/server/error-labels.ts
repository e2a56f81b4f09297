// Error labels the server attaches to replies (src/mongo/db/error_labels.cpp, driver resume rules, error reply shape).
import type { Document } from 'bson';
import {
  NETWORK_CODES,
  NON_RESUMABLE_CHANGE_STREAM_CODES,
  RETARGETING_CODES,
  RETRIABLE_CODES,
} from './error-codes';

const RETRYABLE_WRITE_COMMANDS = new Set([
  'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'bulkWrite',
]);
const TRANSACTION_END_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

const WRITE_CONFLICT = 112;
const LOCK_TIMEOUT = 24;
const NO_SUCH_TRANSACTION = 251;
const RETRY_CHANGE_STREAM = 234;
const FAILED_TO_SATISFY_READ_PREFERENCE = 133;

export interface LabelInput {
  commandName: string;
  cmd: Document;
  /** top-level error code, when the reply is an error */
  code?: number;
  /** code of the reply's writeConcernError, if any */
  writeConcernCode?: number;
  /** aggregate with $changeStream, or getMore of a change-stream cursor */
  changeStream: boolean;
}

function isRetriable(code: number | undefined): boolean {
  return code !== undefined && RETRIABLE_CODES.has(code);
}

export function serverErrorLabels(input: LabelInput): string[] {
  const { commandName, cmd, code, writeConcernCode } = input;
  const labels: string[] = [];
  const inTransaction = cmd.autocommit !== undefined;
  const isTransactionEnd = TRANSACTION_END_COMMANDS.has(commandName);

  if (
    (isTransactionEnd || (cmd.txnNumber !== undefined && !inTransaction && RETRYABLE_WRITE_COMMANDS.has(commandName))) &&
    (isRetriable(code) || isRetriable(writeConcernCode))
  ) {
    labels.push('RetryableWriteError');
  }

  if (inTransaction && code !== undefined && isTransientTransactionError(code, writeConcernCode !== undefined, isTransactionEnd)) {
    labels.push('TransientTransactionError');
  }

  if (input.changeStream && code !== undefined && writeConcernCode === undefined) {
    if (NON_RESUMABLE_CHANGE_STREAM_CODES.has(code)) labels.push('NonResumableChangeStreamError');
    else if (
      RETRIABLE_CODES.has(code) ||
      NETWORK_CODES.has(code) ||
      RETARGETING_CODES.has(code) ||
      code === RETRY_CHANGE_STREAM ||
      code === FAILED_TO_SATISFY_READ_PREFERENCE
    ) {
      labels.push('ResumableChangeStreamError');
    }
  }
  return labels;
}

/** PreparedTransactionInProgress, and the snapshot errors SnapshotTooOld, SnapshotUnavailable, StaleChunkHistory */
const ALWAYS_TRANSIENT = new Set([267, 239, 246, 249]);

function isTransientTransactionError(code: number, hasWriteConcernError: boolean, isTransactionEnd: boolean): boolean {
  if (code === WRITE_CONFLICT || code === LOCK_TIMEOUT || ALWAYS_TRANSIENT.has(code) || RETARGETING_CODES.has(code)) return true;
  if (isTransactionEnd) return code === NO_SUCH_TRANSACTION && !hasWriteConcernError;
  return RETRIABLE_CODES.has(code) || code === NO_SUCH_TRANSACTION;
}

/** Labels of the reply: the fail point's list replaces the server's; otherwise the union. */
export function mergeLabels(fromEngine: string[], computed: string[], override: string[] | undefined): string[] {
  if (override) return override;
  const merged = [...fromEngine];
  for (const label of computed) if (!merged.includes(label)) merged.push(label);
  return merged;
}
