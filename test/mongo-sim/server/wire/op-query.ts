// OP_QUERY requests and OP_REPLY replies, used only for the legacy handshake (OP_QUERY handshake).
import type { Document } from 'bson';
import { decodeDocument } from './bson-codec';
import { HEADER_SIZE, OP_REPLY } from './constants';
import { ProtocolViolation } from './protocol-errors';

export interface OpQueryRequest {
  flags: number;
  fullCollectionName: string;
  query: Document;
}

export function parseOpQuery(message: Buffer): OpQueryRequest {
  let offset = HEADER_SIZE;
  if (offset + 4 > message.length) throw new ProtocolViolation('truncated OP_QUERY');
  const flags = message.readInt32LE(offset);
  offset += 4;
  const nameEnd = message.indexOf(0, offset);
  if (nameEnd < 0) throw new ProtocolViolation('unterminated OP_QUERY collection name');
  const fullCollectionName = message.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  if (offset + 5 > message.length) throw new ProtocolViolation('OP_QUERY without a query document');
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > message.length) throw new ProtocolViolation('invalid OP_QUERY document size');
  return { flags, fullCollectionName, query: decodeDocument(message.subarray(offset, offset + size)) };
}

/** OP_REPLY with exactly one document (numberReturned 1), cursorID 0. */
export function encodeOpReply(requestId: number, responseTo: number, responseFlags: number, body: Uint8Array): Buffer[] {
  const prefix = Buffer.alloc(HEADER_SIZE + 20);
  prefix.writeInt32LE(HEADER_SIZE + 20 + body.length, 0);
  prefix.writeInt32LE(requestId, 4);
  prefix.writeInt32LE(responseTo, 8);
  prefix.writeInt32LE(OP_REPLY, 12);
  prefix.writeInt32LE(responseFlags, 16);
  // cursorID (8 bytes) and startingFrom stay 0
  prefix.writeInt32LE(1, 32);
  return [prefix, Buffer.from(body.buffer, body.byteOffset, body.length)];
}
