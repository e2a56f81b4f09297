// Reading values straight out of raw BSON bytes (a document as the server sent it), so that the
// verifier orders and hashes exactly what is stored, with nothing decoded or re-encoded.

/** One BSON value inside a buffer: its element type byte, and where its value starts. */
export interface RawValue {
  type: number;
  bytes: Uint8Array;
  offset: number;
}

export const BsonType = {
  double: 0x01,
  string: 0x02,
  object: 0x03,
  array: 0x04,
  binary: 0x05,
  undefined: 0x06,
  objectId: 0x07,
  boolean: 0x08,
  date: 0x09,
  null: 0x0a,
  regex: 0x0b,
  dbPointer: 0x0c,
  code: 0x0d,
  symbol: 0x0e,
  codeWithScope: 0x0f,
  int32: 0x10,
  timestamp: 0x11,
  int64: 0x12,
  decimal128: 0x13,
  minKey: 0xff,
  maxKey: 0x7f,
} as const;

export class MalformedBsonError extends Error {
  constructor(message: string) {
    super(`malformed BSON: ${message}`);
    this.name = 'MalformedBsonError';
  }
}

export function readInt32(bytes: Uint8Array, offset: number): number {
  if (offset + 4 > bytes.length) throw new MalformedBsonError(`int32 at ${offset} past the end`);
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
}

/** The index just past the NUL that ends the C string at `offset`. */
export function cStringEnd(bytes: Uint8Array, offset: number): number {
  const nul = bytes.indexOf(0, offset);
  if (nul < 0) throw new MalformedBsonError(`unterminated name at ${offset}`);
  return nul + 1;
}

/** The number of bytes of the value of an element of `type` starting at `offset`. */
export function valueSize(type: number, bytes: Uint8Array, offset: number): number {
  switch (type) {
    case BsonType.double:
    case BsonType.date:
    case BsonType.timestamp:
    case BsonType.int64:
      return 8;
    case BsonType.int32:
      return 4;
    case BsonType.decimal128:
      return 16;
    case BsonType.objectId:
      return 12;
    case BsonType.boolean:
      return 1;
    case BsonType.undefined:
    case BsonType.null:
    case BsonType.minKey:
    case BsonType.maxKey:
      return 0;
    case BsonType.string:
    case BsonType.code:
    case BsonType.symbol:
      return 4 + readInt32(bytes, offset);
    case BsonType.object:
    case BsonType.array:
    case BsonType.codeWithScope:
      return readInt32(bytes, offset);
    case BsonType.binary:
      return 5 + readInt32(bytes, offset);
    case BsonType.regex:
      return cStringEnd(bytes, cStringEnd(bytes, offset)) - offset;
    case BsonType.dbPointer:
      return 4 + readInt32(bytes, offset) + 12;
    default:
      throw new MalformedBsonError(`unknown element type 0x${type.toString(16)} at ${offset - 1}`);
  }
}

/** One element of a document: its name's bytes and its value. */
export interface RawElement {
  nameStart: number;
  nameEnd: number;
  value: RawValue;
  /** the index just past the element */
  end: number;
}

/** The elements of the document (or array) whose length prefix is at `offset`. */
export function* elementsOf(bytes: Uint8Array, offset: number): Generator<RawElement> {
  const end = offset + readInt32(bytes, offset) - 1;
  let at = offset + 4;
  while (at < end) {
    const type = bytes[at]!;
    const nameStart = at + 1;
    const valueStart = cStringEnd(bytes, nameStart);
    const valueEnd = valueStart + valueSize(type, bytes, valueStart);
    if (valueEnd > end) throw new MalformedBsonError(`element at ${at} runs past its document`);
    yield { nameStart, nameEnd: valueStart - 1, value: { type, bytes, offset: valueStart }, end: valueEnd };
    at = valueEnd;
  }
}

const ID_NAME = [0x5f, 0x69, 0x64]; // "_id"

/** The `_id` of a whole raw document (the server stores it first; found wherever it is). */
export function rawDocumentId(document: Uint8Array): RawValue {
  // The common case without walking the elements: `_id` is the first one.
  if (document.length > 9 && document[5] === ID_NAME[0] && document[6] === ID_NAME[1] && document[7] === ID_NAME[2] && document[8] === 0) {
    return { type: document[4]!, bytes: document, offset: 9 };
  }
  for (const element of elementsOf(document, 0)) {
    if (
      element.nameEnd - element.nameStart === 3 &&
      document[element.nameStart] === ID_NAME[0] &&
      document[element.nameStart + 1] === ID_NAME[1] &&
      document[element.nameStart + 2] === ID_NAME[2]
    ) {
      return element.value;
    }
  }
  throw new MalformedBsonError('document without _id');
}

/** A standalone document `{_id: value}` holding a copy of the value's bytes. */
export function idDocumentBytes(id: RawValue): Uint8Array {
  const size = valueSize(id.type, id.bytes, id.offset);
  const out = new Uint8Array(4 + 1 + 4 + size + 1);
  const total = out.length;
  out[0] = total & 0xff;
  out[1] = (total >> 8) & 0xff;
  out[2] = (total >> 16) & 0xff;
  out[3] = (total >>> 24) & 0xff;
  out[4] = id.type;
  out.set(ID_NAME, 5);
  out[8] = 0;
  out.set(id.bytes.subarray(id.offset, id.offset + size), 9);
  out[total - 1] = 0;
  return out;
}
