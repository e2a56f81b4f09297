// The session side of transactions: which statements may run in one, starting and continuing a
// transaction from `autocommit`/`startTransaction`/`txnNumber`, commitTransaction and
// abortTransaction (a retried commit answers as the first one did), killing sessions, and reads
// with `readConcern: {level: 'snapshot'}` outside transactions.
import { Long, Timestamp, type Document } from 'bson';
import type { RequestContext } from './types';
import { CommandError } from './types';
import type { EngineState } from './state';
import { isPlainDocument } from './bson/values';
import { compareTimestamps } from './oplog';
import { commitTransaction } from './transaction-commit';
import {
  sessionKeyOf,
  Transaction,
  TransactionErrorCodes as Codes,
  transactionError,
  transactionState,
  writeConflict,
} from './transactions';

/** Commands a transaction may run (the server's transaction allow-list, test commands aside). */
const ALLOWED_IN_TRANSACTION = new Set([
  'abortTransaction', 'aggregate', 'commitTransaction', 'create', 'createIndexes', 'delete', 'distinct',
  'find', 'findAndModify', 'findandmodify', 'getMore', 'insert', 'killCursors', 'update', 'bulkWrite', 'dbHash',
]);

/** Commands that accept `readConcern: {level: 'snapshot'}` outside a transaction. */
const SNAPSHOT_READS = new Set(['find', 'aggregate', 'distinct', 'getMore']);

const TRANSACTION_DATABASES_REFUSED = new Set(['config', 'admin', 'local']);

function toLong(value: unknown): Long | undefined {
  if (value instanceof Long) return value;
  if (typeof value === 'number' && Number.isInteger(value)) return Long.fromNumber(value);
  return undefined;
}

function badOption(message: string): CommandError {
  return new CommandError(72, 'InvalidOptions', message);
}

function readConcernOf(cmd: Document): Document | undefined {
  return isPlainDocument(cmd.readConcern) ? cmd.readConcern : undefined;
}

/** Is this command part of a multi-document transaction (it carries `autocommit`)? */
export function isTransactionStatement(cmd: Document): boolean {
  return cmd.autocommit !== undefined;
}

/** Runs a statement of a transaction: starts or continues it, and aborts it when the statement fails. */
export async function runTransactionStatement(
  name: string,
  cmd: Document,
  ctx: RequestContext,
  state: EngineState,
  run: (txnState: EngineState) => Promise<Document> | Document,
): Promise<Document> {
  if (cmd.autocommit !== false) throw badOption('autocommit field can only be specified as false');
  if (!ctx.lsid) throw badOption("'autocommit' field requires a session id");
  const txnNumber = toLong(cmd.txnNumber);
  if (!txnNumber) throw badOption("'autocommit' field requires a transaction number to also be specified");
  const manager = state.transactions;
  manager.expire(state.settings.nowMs());
  const key = sessionKeyOf(ctx.lsid);
  const current = manager.get(key);

  if (name === 'commitTransaction' || name === 'abortTransaction') {
    return endTransaction(name, cmd, state, txnNumber, current);
  }
  if (!ALLOWED_IN_TRANSACTION.has(name)) {
    throw transactionError(Codes.OperationNotSupportedInTransaction, `Cannot run '${name}' in a multi-document transaction.`);
  }
  if (TRANSACTION_DATABASES_REFUSED.has(ctx.db)) {
    throw transactionError(Codes.OperationNotSupportedInTransaction, `Cannot run command against the '${ctx.db}' database in a transaction.`);
  }
  if (cmd.writeConcern !== undefined) throw badOption('Cannot set write concern after starting a transaction.');

  let txn: Transaction;
  if (cmd.startTransaction === true) {
    if (current && txnNumber.lessThan(current.txnNumber)) throw tooOld(txnNumber, current.txnNumber);
    if (current && txnNumber.equals(current.txnNumber)) {
      throw transactionError(Codes.ConflictingOperationInProgress, `Only servers in a sharded cluster can start a new transaction at the active transaction number`);
    }
    const snapshotTs = snapshotTimeFor(cmd, state);
    state.history.retainFrom(snapshotTs);
    txn = new Transaction(key, ctx.lsid, txnNumber, snapshotTs, state.settings.nowMs());
    manager.begin(txn);
  } else {
    if (cmd.startTransaction !== undefined) throw badOption('startTransaction field can only be specified as true');
    if (readConcernOf(cmd)) throw badOption('Only the first command in a transaction may specify a readConcern');
    txn = continuing(current, txnNumber);
  }
  try {
    const reply = await run(transactionState(state, txn));
    txn.statements++;
    if (Array.isArray(reply.writeErrors) && reply.writeErrors.length > 0) {
      manager.abort(txn, 'a statement failed');
      // a write conflict fails the statement as a whole, never as one write error of a batch
      const conflict = (reply.writeErrors as Document[]).find((e) => e.code === Codes.WriteConflict || Number(e.code) === Codes.WriteConflict);
      if (conflict) throw writeConflict();
    }
    return reply;
  } catch (e) {
    manager.abort(txn, 'a statement failed');
    throw e;
  }
}

function tooOld(txnNumber: Long, active: Long): CommandError {
  return transactionError(
    Codes.TransactionTooOld,
    `Cannot start transaction ${txnNumber.toString()} on session because a newer transaction ${active.toString()} has already started`,
  );
}

function continuing(current: Transaction | undefined, txnNumber: Long): Transaction {
  if (!current || !current.txnNumber.equals(txnNumber)) {
    if (current && txnNumber.lessThan(current.txnNumber)) throw tooOld(txnNumber, current.txnNumber);
    const active = current ? current.txnNumber.toString() : '-1';
    throw transactionError(
      Codes.NoSuchTransaction,
      `Given transaction number ${txnNumber.toString()} does not match any in-progress transactions. The active transaction number is ${active}`,
    );
  }
  if (current.state === 'committed') throw transactionError(Codes.TransactionCommitted, `Transaction ${txnNumber.toString()} has been committed.`);
  if (current.state === 'aborted') throw noSuchTransaction(current);
  return current;
}

function noSuchTransaction(txn: Transaction): CommandError {
  return transactionError(
    Codes.NoSuchTransaction,
    `Transaction with { txnNumber: ${txn.txnNumber.toString()} } has been aborted${txn.abortedBecause ? ` because ${txn.abortedBecause}` : ''}.`,
  );
}

/** The snapshot a new transaction reads: `atClusterTime` when given, else the newest write. */
function snapshotTimeFor(cmd: Document, state: EngineState): Timestamp {
  const rc = readConcernOf(cmd);
  const level = rc?.level;
  if (level !== undefined && level !== 'local' && level !== 'majority' && level !== 'snapshot') {
    throw badOption(`The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to run in a transaction`);
  }
  if (rc?.atClusterTime !== undefined) {
    if (level !== 'snapshot') throw badOption('atClusterTime is only used with readConcern level snapshot');
    return checkedSnapshotTime(rc.atClusterTime, state);
  }
  return state.oplog.latest();
}

function checkedSnapshotTime(value: unknown, state: EngineState): Timestamp {
  if (!(value instanceof Timestamp)) throw new CommandError(14, 'TypeMismatch', "BSON field 'readConcern.atClusterTime' is the wrong type, expected type 'timestamp'");
  if (compareTimestamps(value, state.oplog.latest()) > 0) {
    throw new CommandError(246, 'SnapshotUnavailable', `Read concern snapshot atClusterTime ${value.toString()} is in the future`);
  }
  if (!state.history.canReadAt(value, state.oplog.latest())) {
    throw transactionError(Codes.SnapshotTooOld, `Read timestamp ${value.toString()} is older than the oldest available timestamp.`);
  }
  return value;
}

async function endTransaction(
  name: 'commitTransaction' | 'abortTransaction',
  cmd: Document,
  state: EngineState,
  txnNumber: Long,
  current: Transaction | undefined,
): Promise<Document> {
  if (!current || !current.txnNumber.equals(txnNumber)) {
    if (current && txnNumber.lessThan(current.txnNumber)) throw tooOld(txnNumber, current.txnNumber);
    throw transactionError(Codes.NoSuchTransaction, `Transaction with { txnNumber: ${txnNumber.toString()} } has been aborted.`);
  }
  if (name === 'abortTransaction') {
    if (current.state === 'committed') throw transactionError(Codes.TransactionCommitted, `Transaction ${txnNumber.toString()} has been committed.`);
    if (current.state === 'aborted') throw noSuchTransaction(current);
    state.transactions.abort(current, 'abortTransaction was called');
    return {};
  }
  if (current.state === 'aborted') throw noSuchTransaction(current);
  if (current.state === 'committed') return withWriteConcernError(current.commitTs ? { operationTime: current.commitTs } : {}, cmd);
  const commitTs = commitTransaction(state, current);
  const reply: Document = commitTs ? { operationTime: commitTs } : {};
  return withWriteConcernError(reply, cmd);
}

/**
 * A single-node replica set cannot satisfy a numeric `w` above 1: the commit happens and the reply
 * carries 100 UnsatisfiableWriteConcern (as mongod answers `w: 2+` on one data-bearing node).
 */
function withWriteConcernError(reply: Document, cmd: Document): Document {
  const wc = isPlainDocument(cmd.writeConcern) ? cmd.writeConcern : undefined;
  const w: unknown = wc?.w;
  const n = typeof w === 'number' ? w : w !== null && typeof w === 'object' && 'value' in w ? Number((w as { value: unknown }).value) : undefined;
  if (n !== undefined && n > 1) {
    reply.writeConcernError = { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes', errInfo: {} };
  }
  return reply;
}

/** killAllSessions / killSessions / endSessions: aborts the sessions' transactions. */
export function killSessionsCommand(cmd: Document, _ctx: RequestContext, state: EngineState): Document {
  const name = Object.keys(cmd)[0];
  const list: unknown = cmd[name];
  if (name === 'killAllSessions' || name === 'killAllSessionsByPattern') {
    state.transactions.killAll();
    return {};
  }
  if (Array.isArray(list)) {
    for (const lsid of list) if (isPlainDocument(lsid)) state.transactions.endSession(sessionKeyOf(lsid));
  }
  return {};
}

/**
 * A command with `readConcern: {level: 'snapshot'}` outside a transaction: reads run against the
 * collections as they were at `atClusterTime` (or now), and the reply reports that time.
 */
export async function runSnapshotRead(
  name: string,
  cmd: Document,
  state: EngineState,
  run: (snapshotState: EngineState) => Promise<Document> | Document,
): Promise<Document> {
  const rc = readConcernOf(cmd);
  if (!SNAPSHOT_READS.has(name)) {
    throw badOption(`Command ${name} does not support { readConcern: { level: "snapshot" } }`);
  }
  const ts = rc?.atClusterTime !== undefined ? checkedSnapshotTime(rc.atClusterTime, state) : state.oplog.latest();
  state.history.retainFrom(ts);
  const snapshot = new Transaction('', {}, Long.ZERO, ts, state.settings.nowMs());
  const reply = await run(transactionState(state, snapshot));
  if (name === 'getMore') return reply;
  if (isPlainDocument(reply.cursor)) reply.cursor.atClusterTime = ts;
  else reply.atClusterTime = ts;
  return reply;
}

export function isSnapshotRead(cmd: Document): boolean {
  return readConcernOf(cmd)?.level === 'snapshot';
}
