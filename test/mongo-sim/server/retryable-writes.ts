// Retryable writes (sessions and generic command arguments): the reply of the newest (lsid, txnNumber) per session is kept, and a
// retry of that txnNumber gets it back instead of writing again.
import { Binary, Int32, Long, type Document } from 'bson';
import { CommandError } from '../engine/types';
import { isDocument } from './bson-values';

const RETRYABLE_WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'bulkWrite']);

interface Entry {
  txnNumber: Long;
  /** settles with the stored reply, or undefined when the attempt failed and may run again */
  outcome: Promise<Document | undefined>;
}

export function isRetryableWriteAttempt(name: string, cmd: Document): boolean {
  return RETRYABLE_WRITE_COMMANDS.has(name) && cmd.txnNumber !== undefined && cmd.autocommit === undefined && isDocument(cmd.lsid);
}

function sessionKey(lsid: Document): string {
  const id: unknown = lsid.id;
  const uid: unknown = lsid.uid;
  const hex = (v: unknown) => (v instanceof Binary ? Buffer.from(v.buffer.subarray(0, v.position)).toString('hex') : String(v));
  return uid === undefined ? hex(id) : `${hex(id)}/${hex(uid)}`;
}

function toLong(value: unknown): Long {
  if (value instanceof Long) return value;
  if (typeof value === 'number') return Long.fromNumber(value);
  if (value instanceof Int32) return Long.fromNumber(value.value);
  throw new CommandError(14, 'TypeMismatch', 'txnNumber must be a 64-bit integer');
}

function statementField(name: string): string | undefined {
  return name === 'insert' ? 'documents' : name === 'update' ? 'updates' : name === 'delete' ? 'deletes' : name === 'bulkWrite' ? 'ops' : undefined;
}

/** The statement ids of a retried command: one per document/update/delete it carried. */
function statementIds(name: string, cmd: Document): Int32[] {
  const field = statementField(name);
  const count = field && Array.isArray(cmd[field]) ? (cmd[field] as unknown[]).length : 1;
  return Array.from({ length: count }, (_, i) => new Int32(i));
}

function writeErrorsOf(reply: Document): Document[] {
  return Array.isArray(reply.writeErrors) ? (reply.writeErrors as Document[]) : [];
}

/**
 * The statements of a stored insert/update/delete reply that did not execute and run again on a
 * retry: a statement that failed is not recorded as executed, and an ordered batch stops there.
 */
function statementsToRerun(name: string, cmd: Document, stored: Document): number[] {
  const field = statementField(name);
  const errors = writeErrorsOf(stored);
  if (!field || name === 'bulkWrite' || errors.length === 0 || !Array.isArray(cmd[field])) return [];
  const indices = errors.map((e) => Number(e.index)).sort((a, b) => a - b);
  if (cmd.ordered === false) return indices;
  const count = (cmd[field] as unknown[]).length;
  return Array.from({ length: count - indices[0] }, (_, i) => indices[0] + i);
}

function subCommand(name: string, cmd: Document, indices: number[]): Document {
  const field = statementField(name) as string;
  const all = cmd[field] as unknown[];
  return { ...cmd, [field]: indices.map((i) => all[i]) };
}

function count(v: unknown): number {
  return typeof v === 'number' ? v : v instanceof Int32 ? v.value : Number(v ?? 0);
}

/** The reply of the whole command from the stored first attempt and the rerun of `indices`. */
function mergeReplies(name: string, stored: Document, rerun: Document, indices: number[]): Document {
  const rerunSet = new Set(indices);
  const writeErrors = [
    ...writeErrorsOf(stored).filter((e) => !rerunSet.has(Number(e.index))),
    ...writeErrorsOf(rerun).map((e) => ({ ...e, index: indices[Number(e.index)] })),
  ].sort((a, b) => Number(a.index) - Number(b.index));
  const upserted = [
    ...((stored.upserted as Document[] | undefined) ?? []),
    ...((rerun.upserted as Document[] | undefined) ?? []).map((u) => ({ ...u, index: indices[Number(u.index)] })),
  ];
  const out: Document = { n: count(stored.n) + count(rerun.n) };
  if (writeErrors.length > 0) out.writeErrors = writeErrors;
  if (upserted.length > 0) out.upserted = upserted;
  if (name === 'update') out.nModified = count(stored.nModified) + count(rerun.nModified);
  return out;
}

export class RetryableWrites {
  private readonly sessions = new Map<string, Entry>();

  /** Runs a retryable write (`execute` runs a command: this one, or the part of it left to run). */
  async run(name: string, cmd: Document, execute: (cmd: Document) => Promise<Document>): Promise<Document> {
    const key = sessionKey(cmd.lsid as Document);
    const txnNumber = toLong(cmd.txnNumber);
    const existing = this.sessions.get(key);
    if (existing && txnNumber.lessThan(existing.txnNumber)) {
      throw new CommandError(
        225,
        'TransactionTooOld',
        `Retryable write with txnNumber ${txnNumber.toString()} is prohibited on session ${key} because a newer retryable write with txnNumber ${existing.txnNumber.toString()} has already started on this session.`,
      );
    }
    let stored: Document | undefined;
    if (existing && txnNumber.equals(existing.txnNumber)) {
      stored = await existing.outcome;
      if (stored && statementsToRerun(name, cmd, stored).length === 0) return { ...stored, retriedStmtIds: statementIds(name, cmd) };
    }
    let settle: (reply: Document | undefined) => void = () => undefined;
    const entry: Entry = { txnNumber, outcome: new Promise((resolve) => (settle = resolve)) };
    this.sessions.set(key, entry);
    try {
      if (!stored) {
        const reply = await execute(cmd);
        settle(reply);
        return reply;
      }
      const indices = statementsToRerun(name, cmd, stored);
      const merged = mergeReplies(name, stored, await execute(subCommand(name, cmd, indices)), indices);
      settle(merged);
      const rerun = new Set(indices);
      const retried = statementIds(name, cmd).filter((id) => !rerun.has(id.value));
      return retried.length > 0 ? { ...merged, retriedStmtIds: retried } : merged;
    } catch (error) {
      // a failed rerun leaves the first attempt's record in place
      settle(stored);
      throw error;
    }
  }

  endSession(lsid: unknown): void {
    if (isDocument(lsid)) this.sessions.delete(sessionKey(lsid));
  }
}
