// A raw wire-protocol client for tests that need byte-level control over requests.
import net from 'node:net';
import { deserialize, serialize, type Document } from 'bson';
import { HEADER_SIZE, OP_MSG, OP_QUERY } from '../wire/constants';
import { crc32c } from '../wire/crc32c';
import { FrameReader } from '../wire/frame-reader';

export interface RawReply {
  requestId: number;
  responseTo: number;
  opCode: number;
  flags: number;
  /** OP_REPLY only */
  numberReturned?: number;
  body: Document;
  /** bytes after the header, for layout checks */
  raw: Buffer;
}

export interface Section {
  kind: 0 | 1;
  /** kind 1 only */
  identifier?: string;
  docs: Document[];
}

let nextRequestId = 100;

function header(length: number, requestId: number, opCode: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(requestId, 4);
  buf.writeInt32LE(0, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

export function encodeOpMsg(sections: Section[], flagBits = 0, withChecksum = false, corruptChecksum = false): { bytes: Buffer; requestId: number } {
  const parts: Buffer[] = [];
  for (const section of sections) {
    if (section.kind === 0) {
      parts.push(Buffer.from([0]), Buffer.from(serialize(section.docs[0])));
    } else {
      const name = Buffer.from(`${section.identifier ?? ''}\0`, 'utf8');
      const docs = section.docs.map((d) => Buffer.from(serialize(d)));
      const size = Buffer.alloc(4);
      size.writeInt32LE(4 + name.length + docs.reduce((n, d) => n + d.length, 0));
      parts.push(Buffer.from([1]), size, name, ...docs);
    }
  }
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(flagBits >>> 0);
  const requestId = nextRequestId++;
  const bodyLength = 4 + parts.reduce((n, p) => n + p.length, 0) + (withChecksum ? 4 : 0);
  const message = Buffer.concat([header(HEADER_SIZE + bodyLength, requestId, OP_MSG), flags, ...parts]);
  if (!withChecksum) return { bytes: message, requestId };
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE((crc32c(message) ^ (corruptChecksum ? 1 : 0)) >>> 0);
  return { bytes: Buffer.concat([message, crc]), requestId };
}

export function encodeOpQuery(fullCollectionName: string, query: Document): { bytes: Buffer; requestId: number } {
  const requestId = nextRequestId++;
  const flags = Buffer.alloc(4);
  const name = Buffer.from(`${fullCollectionName}\0`, 'utf8');
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(-1, 4);
  const doc = Buffer.from(serialize(query));
  const length = HEADER_SIZE + 4 + name.length + 8 + doc.length;
  return { bytes: Buffer.concat([header(length, requestId, OP_QUERY), flags, name, skipReturn, doc]), requestId };
}

export class WireClient {
  private readonly frames = new FrameReader();
  private readonly replies: RawReply[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const message of this.frames.push(chunk)) this.replies.push(parseReply(message));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next reply, or undefined when none arrives within `timeoutMs` or the socket closes. */
  async next(timeoutMs = 2000): Promise<RawReply | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.replies.shift();
  }

  /** Sends an OP_MSG with a single body and returns the reply body. */
  async command(body: Document): Promise<Document> {
    this.send(encodeOpMsg([{ kind: 0, docs: [body] }]).bytes);
    const reply = await this.next();
    if (!reply) throw new Error('no reply');
    return reply.body;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function parseReply(message: Buffer): RawReply {
  const requestId = message.readInt32LE(4);
  const responseTo = message.readInt32LE(8);
  const opCode = message.readInt32LE(12);
  const raw = message.subarray(HEADER_SIZE);
  if (opCode === 1) {
    return {
      requestId,
      responseTo,
      opCode,
      flags: raw.readInt32LE(0),
      numberReturned: raw.readInt32LE(16),
      body: deserialize(raw.subarray(20)),
      raw,
    };
  }
  return { requestId, responseTo, opCode, flags: raw.readUInt32LE(0), body: deserialize(raw.subarray(5)), raw };
}
