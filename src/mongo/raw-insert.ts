// Inserts documents that are already BSON (as a cursor with `raw: true` returns them), byte for
// byte: each document's bytes go into the insert command's OP_MSG document sequence unchanged,
// so no value is decoded into JavaScript and encoded again. That keeps every type, every field
// order and every byte (Int64 beyond 2^53, Decimal128, -0.0, regular expression flags) without
// depending on how the driver maps them, and spares the CPU of both conversions.
//
// The driver has no public API for this. It builds its own inserts from a document sequence of
// serialized documents (its internal DocumentSequence class, which a command may hold in place
// of an array); this module uses that class and checks at load that it still has the shape this
// code relies on, so a driver upgrade that changes it fails loudly here and not on the wire.
import { createRequire } from 'node:module';
import { type Db, MongoServerError, type WriteConcern } from 'mongodb';

interface DocumentSequenceLike {
  push(document: unknown, bytes: Uint8Array): number;
}

type DocumentSequenceClass = new (field: string) => DocumentSequenceLike;

function loadDocumentSequence(): DocumentSequenceClass {
  const driver = createRequire(require.resolve('mongodb'));
  const commands = driver('./cmap/commands') as { DocumentSequence?: unknown };
  const sequence = commands.DocumentSequence as DocumentSequenceClass | undefined;
  if (typeof sequence !== 'function' || typeof sequence.prototype.push !== 'function' || typeof (sequence.prototype as { toBin?: unknown }).toBin !== 'function') {
    throw new Error('the mongodb driver no longer has the DocumentSequence class raw inserts rely on (src/mongo/raw-insert.ts)');
  }
  return sequence;
}

const DocumentSequence = loadDocumentSequence();

/** A write error of an insert reply, as the server sends it. */
export interface RawWriteError {
  index: number;
  code: number;
  errmsg?: string;
  [key: string]: unknown;
}

export interface RawInsertReply {
  n: number;
  writeErrors: RawWriteError[];
}

function writeConcernOf(concern: WriteConcern | undefined): Record<string, unknown> | undefined {
  if (!concern) return undefined;
  const fields: Record<string, unknown> = {};
  if (concern.w !== undefined) fields.w = concern.w;
  if (concern.journal !== undefined) fields.j = concern.journal;
  if (concern.wtimeoutMS !== undefined) fields.wtimeout = concern.wtimeoutMS;
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/**
 * One unordered insert of `documents` (each a whole BSON document) into `db`.`coll`, with the
 * database's write concern and document validation bypassed. Returns the count and the
 * per-document write errors; a failed command or a write-concern error throws. The caller keeps
 * the command within the server's message size (48 MB) and each document within 16 MiB.
 */
export async function insertRawDocuments(db: Db, coll: string, documents: readonly Uint8Array[]): Promise<RawInsertReply> {
  const sequence = new DocumentSequence('documents');
  for (const bytes of documents) sequence.push(bytes, bytes);
  const writeConcern = writeConcernOf(db.writeConcern);
  const reply = await db.command({
    insert: coll,
    documents: sequence,
    ordered: false,
    bypassDocumentValidation: true,
    ...(writeConcern ? { writeConcern } : {}),
  });
  if (reply.writeConcernError != null) {
    const concernError = reply.writeConcernError as { code?: number; errmsg?: string };
    throw new MongoServerError({
      message: `write concern error inserting into ${db.databaseName}.${coll}: ${concernError.errmsg ?? 'unknown'}`,
      code: concernError.code,
      writeConcernError: concernError,
    });
  }
  return { n: Number(reply.n ?? 0), writeErrors: (reply.writeErrors as RawWriteError[] | undefined) ?? [] };
}
