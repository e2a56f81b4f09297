// Resume tokens: {_data: <upper-case hex>}.
//
// _data = '82' + 16 hex digits of the cluster time ((t << 32) | i, big-endian), then a fixed-width
// suffix whose fields are ordered like the server's KeyString tuple, so that hex strings sort in
// stream order:
//   version(2) tokenType(2: 00 high-water mark, 80 event) txnOpIndex(8) fromInvalidate(2)
//   uuidPresent(2) uuid(32) eventId(16) fragmentPresent(2) fragmentNum(8)
// eventId is a fingerprint of the server's eventIdentifier ({operationType, documentKey} or
// {operationType, operationDescription}); it lets a resumed stream recognise the exact event.
import { createHash } from 'node:crypto';
import { EJSON, type Document } from 'bson';
import { streamError } from './change-stream-errors';
import { formatDocument } from './bson/format';

export const TOKEN_VERSION = 2;
const HEX_LENGTH = 92;
/** Length of the prefix that identifies an event, i.e. everything but the fragment fields. */
const EVENT_PREFIX_LENGTH = 82;

export interface HighWaterMarkToken {
  tokenType: 'highWaterMark';
  clusterTime: bigint;
}

export interface EventToken {
  tokenType: 'event';
  clusterTime: bigint;
  txnOpIndex: number;
  fromInvalidate: boolean;
  /** collection UUID as 32 upper-case hex digits, absent for e.g. dropDatabase */
  uuid?: string;
  /** 16 upper-case hex digits */
  eventId: string;
  /** set on the fragments of a split event (0-based) */
  fragmentNum?: number;
}

export type ResumeTokenData = HighWaterMarkToken | EventToken;

function hex(value: number | bigint, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}

export function encodeTokenData(data: ResumeTokenData): string {
  const head = '82' + hex(data.clusterTime, 16) + hex(TOKEN_VERSION, 2);
  if (data.tokenType === 'highWaterMark') return (head + '00').padEnd(HEX_LENGTH, '0');
  return (
    head +
    '80' +
    hex(data.txnOpIndex, 8) +
    (data.fromInvalidate ? '01' : '00') +
    (data.uuid === undefined ? '00' + '0'.repeat(32) : '01' + data.uuid) +
    data.eventId +
    (data.fragmentNum === undefined ? '00' + '0'.repeat(8) : '01' + hex(data.fragmentNum, 8))
  );
}

export function encodeResumeToken(data: ResumeTokenData): Document {
  return { _data: encodeTokenData(data) };
}

export function highWaterMarkToken(clusterTime: bigint): Document {
  return encodeResumeToken({ tokenType: 'highWaterMark', clusterTime });
}

/** Fingerprint of an event's identifier, stable for the same oplog entry. */
export function eventIdentifierHash(identifier: Document): string {
  const canonical = EJSON.stringify(identifier, { relaxed: false });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16).toUpperCase();
}

/** The part of _data that names the event, the same for every fragment of a split event. */
export function eventPrefix(data: string): string {
  return data.slice(0, EVENT_PREFIX_LENGTH);
}

function malformed(resumeDoc: Document): never {
  throw streamError(260, `Bad resume token: not a token this server issued: ${formatDocument(resumeDoc)}`);
}

function readFlag(field: string, resumeDoc: Document): boolean {
  if (field === '00') return false;
  if (field === '01') return true;
  return malformed(resumeDoc);
}

/** Parses a token given by a client, with the server's errors for malformed ones. */
export function decodeResumeToken(resumeDoc: Document): ResumeTokenData {
  const data: unknown = resumeDoc._data;
  if (typeof data !== 'string') {
    throw streamError(40647, `Bad resume token: _data of missing or of wrong type. Expected string, got ${formatDocument(resumeDoc)}`);
  }
  const typeBits: unknown = resumeDoc._typeBits;
  if (typeBits !== undefined && (typeBits as { _bsontype?: unknown } | null)?._bsontype !== 'Binary') {
    throw streamError(40648, `Bad resume token: _typeBits of wrong type ${formatDocument(resumeDoc)}`);
  }
  if (data.length === 0) throw streamError(40649, 'invalid empty resume token');
  if (data.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(data)) {
    throw streamError(9, 'resume token string was not a valid hex string');
  }
  const d = data.toUpperCase();
  if (d.length !== HEX_LENGTH || !d.startsWith('82')) return malformed(resumeDoc);
  const clusterTime = BigInt('0x' + d.slice(2, 18));
  const version = parseInt(d.slice(18, 20), 16);
  if (version !== TOKEN_VERSION) {
    throw streamError(50795, 'Invalid Resume Token: only supports version 0, 1 and 2');
  }
  const tokenType = d.slice(20, 22);
  if (tokenType === '00') {
    if (!/^0+$/.test(d.slice(22))) throw streamError(6189504, 'Invalid high water mark token');
    return { tokenType: 'highWaterMark', clusterTime };
  }
  if (tokenType !== '80') throw streamError(51057, `Token type ${parseInt(tokenType, 16)} not recognized`);
  const token: EventToken = {
    tokenType: 'event',
    clusterTime,
    txnOpIndex: parseInt(d.slice(22, 30), 16),
    fromInvalidate: readFlag(d.slice(30, 32), resumeDoc),
    eventId: d.slice(66, 82),
  };
  if (readFlag(d.slice(32, 34), resumeDoc)) token.uuid = d.slice(34, 66);
  else if (!/^0+$/.test(d.slice(34, 66))) return malformed(resumeDoc);
  if (readFlag(d.slice(82, 84), resumeDoc)) token.fragmentNum = parseInt(d.slice(84, 92), 16);
  else if (!/^0+$/.test(d.slice(84, 92))) return malformed(resumeDoc);
  return token;
}
