// Retryable writes (§2.6): the reply of the newest (lsid, txnNumber) per session is kept, and a
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

/** The statement ids of a retried command: one per document/update/delete it carried. */
function statementIds(name: string, cmd: Document): Int32[] {
  const field = name === 'insert' ? 'documents' : name === 'update' ? 'updates' : name === 'delete' ? 'deletes' : name === 'bulkWrite' ? 'ops' : undefined;
  const count = field && Array.isArray(cmd[field]) ? (cmd[field] as unknown[]).length : 1;
  return Array.from({ length: count }, (_, i) => new Int32(i));
}

export class RetryableWrites {
  private readonly sessions = new Map<string, Entry>();

  async run(name: string, cmd: Document, execute: () => Promise<Document>): Promise<Document> {
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
    if (existing && txnNumber.equals(existing.txnNumber)) {
      const stored = await existing.outcome;
      if (stored) return { ...stored, retriedStmtIds: statementIds(name, cmd) };
    }
    let settle: (reply: Document | undefined) => void = () => undefined;
    const entry: Entry = { txnNumber, outcome: new Promise((resolve) => (settle = resolve)) };
    this.sessions.set(key, entry);
    try {
      const reply = await execute();
      settle(reply);
      return reply;
    } catch (error) {
      settle(undefined);
      throw error;
    }
  }

  endSession(lsid: unknown): void {
    if (isDocument(lsid)) this.sessions.delete(sessionKey(lsid));
  }
}
