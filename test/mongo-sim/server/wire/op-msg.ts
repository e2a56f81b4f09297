// OP_MSG (opCode 2013) requests and replies.
import type { Document } from 'bson';
import { CommandError } from '../../engine/types';
import { decodeDocument } from './bson-codec';
import { crc32c } from './crc32c';
import {
  HEADER_SIZE,
  MSG_CHECKSUM_PRESENT,
  MSG_KNOWN_REQUIRED_BITS,
  MSG_REQUIRED_BITS_MASK,
  OP_MSG,
} from './constants';
import { ProtocolViolation } from './protocol-errors';

export interface OpMsgRequest {
  flagBits: number;
  /** the kind-0 body with every kind-1 document sequence merged in as an array field */
  body: Document;
}

/**
 * Parses a whole OP_MSG message (header included). Throws CommandError for malformed requests the
 * server answers with an error reply, and ProtocolViolation for ones that close the connection.
 */
export function parseOpMsg(message: Buffer): OpMsgRequest {
  const flagBits = message.readUInt32LE(HEADER_SIZE);
  const unknownRequired = flagBits & MSG_REQUIRED_BITS_MASK & ~MSG_KNOWN_REQUIRED_BITS;
  if (unknownRequired !== 0) {
    throw new CommandError(223, 'IllegalOpMsgFlag', `Message contains illegal flags value: Flag ${unknownRequired}`);
  }
  let end = message.length;
  if (flagBits & MSG_CHECKSUM_PRESENT) {
    end -= 4;
    if (end < HEADER_SIZE + 4) throw new ProtocolViolation('OP_MSG too short for its checksum');
    if (crc32c(message.subarray(0, end)) !== message.readUInt32LE(end)) {
      throw new CommandError(288, 'ChecksumMismatch', 'OP_MSG checksum does not match contents');
    }
  }
  let body: Document | undefined;
  const sequences = new Map<string, Document[]>();
  let offset = HEADER_SIZE + 4;
  while (offset < end) {
    const kind = message[offset++];
    if (kind === 0) {
      const size = readDocumentSize(message, offset, end);
      if (body) throw new CommandError(40430, 'Location40430', 'Multiple body sections in message');
      body = decodeDocument(message.subarray(offset, offset + size));
      offset += size;
    } else if (kind === 1) {
      offset = readDocumentSequence(message, offset, end, sequences);
    } else {
      throw new ProtocolViolation(`Unknown section kind ${kind}`);
    }
  }
  if (!body) throw new CommandError(40587, 'Location40587', 'OP_MSG requires a body');
  for (const [name, docs] of sequences) {
    if (name in body) {
      throw new CommandError(40433, 'Location40433', `Duplicate field between command and document sequence ${name}`);
    }
    body[name] = docs;
  }
  return { flagBits, body };
}

function readDocumentSize(message: Buffer, offset: number, end: number): number {
  if (offset + 5 > end) throw new ProtocolViolation('truncated BSON document in OP_MSG');
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolViolation('invalid BSON document size in OP_MSG');
  return size;
}

function readDocumentSequence(message: Buffer, start: number, end: number, into: Map<string, Document[]>): number {
  if (start + 4 > end) throw new ProtocolViolation('truncated document sequence');
  const size = message.readInt32LE(start);
  const sectionEnd = start + size;
  if (size < 5 || sectionEnd > end) throw new ProtocolViolation('invalid document sequence size');
  const nameEnd = message.indexOf(0, start + 4);
  if (nameEnd < 0 || nameEnd >= sectionEnd) throw new ProtocolViolation('unterminated document sequence identifier');
  const name = message.toString('utf8', start + 4, nameEnd);
  if (into.has(name)) throw new CommandError(40431, 'Location40431', `Duplicate document sequence: ${name}`);
  const docs: Document[] = [];
  let offset = nameEnd + 1;
  while (offset < sectionEnd) {
    const docSize = readDocumentSize(message, offset, sectionEnd);
    docs.push(decodeDocument(message.subarray(offset, offset + docSize)));
    offset += docSize;
  }
  into.set(name, docs);
  return sectionEnd;
}

/** A reply: one kind-0 section, flagBits 0, no checksum (OP_MSG). */
export function encodeOpMsgReply(requestId: number, responseTo: number, body: Uint8Array): Buffer[] {
  const prefix = Buffer.allocUnsafe(HEADER_SIZE + 5);
  prefix.writeInt32LE(HEADER_SIZE + 5 + body.length, 0);
  prefix.writeInt32LE(requestId, 4);
  prefix.writeInt32LE(responseTo, 8);
  prefix.writeInt32LE(OP_MSG, 12);
  prefix.writeUInt32LE(0, 16);
  prefix.writeUInt8(0, 20);
  return [prefix, Buffer.from(body.buffer, body.byteOffset, body.length)];
}
