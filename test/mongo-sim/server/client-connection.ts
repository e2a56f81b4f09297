// One client TCP connection: frames messages, answers them strictly in arrival order, and never
// replies to a moreToCome request (OP_MSG moreToCome).
import type { Socket } from 'node:net';
import type { Document } from 'bson';
import { CommandError } from '../engine/types';
import { ConnectionAuth } from './auth/connection-auth';
import { commandNameOf } from './bson-values';
import type { CommandDispatcher, Outcome } from './command-dispatcher';
import type { ConnectionState, ServerContext } from './context';
import { encodeDocument } from './wire/bson-codec';
import { MSG_MORE_TO_COME, OP_MSG, OP_QUERY, REPLY_AWAIT_CAPABLE } from './wire/constants';
import { FrameError, FrameReader } from './wire/frame-reader';
import { encodeOpMsgReply, parseOpMsg } from './wire/op-msg';
import { encodeOpReply, parseOpQuery } from './wire/op-query';
import { ProtocolViolation } from './wire/protocol-errors';

/** Commands OP_QUERY may still carry since 5.1 (wire protocol message header, OP_QUERY handshake). */
const OP_QUERY_COMMANDS = new Set(['hello', 'isMaster', 'ismaster', 'saslStart', 'saslContinue']);

let nextResponseId = 1;

function responseId(): number {
  nextResponseId = nextResponseId >= 0x7fffffff ? 1 : nextResponseId + 1;
  return nextResponseId;
}

export class ClientConnection implements ConnectionState {
  readonly auth: ConnectionAuth;
  clientMetadata?: Document;
  appName?: string;
  helloSeen = false;
  private readonly frames = new FrameReader();
  private readonly aborter = new AbortController();
  /** the tail of the chain that answers requests in order */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly server: ServerContext,
    private readonly dispatcher: CommandDispatcher,
    private readonly onClose: (connection: ClientConnection) => void,
  ) {
    this.auth = new ConnectionAuth(server.users, server.config.auth);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get remoteAddress(): string {
    const address = this.socket.remoteAddress ?? 'unknown';
    return `${address.includes(':') ? `[${address}]` : address}:${this.socket.remotePort ?? 0}`;
  }

  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.aborter.abort();
    this.socket.destroy();
    this.onClose(this);
  }

  private receive(chunk: Buffer): void {
    this.server.stats.bytesIn += chunk.length;
    let messages: Buffer[];
    try {
      messages = this.frames.push(chunk);
    } catch (error) {
      if (error instanceof FrameError) return this.close();
      throw error;
    }
    for (const message of messages) {
      this.queue = this.queue.then(() => this.handle(message)).catch(() => this.close());
    }
  }

  private async handle(message: Buffer): Promise<void> {
    if (this.closed) return;
    this.server.stats.numRequests++;
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_MSG) return this.handleOpMsg(message, requestId);
    if (opCode === OP_QUERY) return this.handleOpQuery(message, requestId);
    // OP_COMPRESSED is never negotiated; legacy opcodes are gone since 5.1/6.0.
    this.close();
  }

  private async handleOpMsg(message: Buffer, requestId: number): Promise<void> {
    const moreToCome = (message.readUInt32LE(16) & MSG_MORE_TO_COME) !== 0;
    let outcome: Outcome;
    try {
      const { body } = parseOpMsg(message);
      const db: unknown = body.$db;
      if (typeof db !== 'string') {
        throw new CommandError(40571, 'Location40571', 'OP_MSG requests require a $db argument');
      }
      outcome = await this.dispatcher.dispatch(body, db, this, false);
    } catch (error) {
      if (error instanceof ProtocolViolation) return this.close();
      outcome = { kind: 'reply', body: this.dispatcher.envelopeError(error) };
    }
    if (outcome.kind === 'close') return this.close();
    if (moreToCome) return;
    this.send(encodeOpMsgReply(responseId(), requestId, encodeDocument(outcome.body)));
  }

  private async handleOpQuery(message: Buffer, requestId: number): Promise<void> {
    let outcome: Outcome;
    try {
      const { fullCollectionName, query } = parseOpQuery(message);
      const body = isWrapped(query) ? (query.$query as Document) : query;
      const name = commandNameOf(body);
      const dot = fullCollectionName.indexOf('.');
      const db = dot < 0 ? fullCollectionName : fullCollectionName.slice(0, dot);
      if (!fullCollectionName.endsWith('.$cmd') || !OP_QUERY_COMMANDS.has(name)) {
        throw new CommandError(
          352,
          'UnsupportedOpQueryCommand',
          `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
        );
      }
      outcome = await this.dispatcher.dispatch(body, db, this, true);
    } catch (error) {
      if (error instanceof ProtocolViolation) return this.close();
      outcome = { kind: 'reply', body: this.dispatcher.envelopeError(error) };
    }
    if (outcome.kind === 'close') return this.close();
    this.send(encodeOpReply(responseId(), requestId, REPLY_AWAIT_CAPABLE, encodeDocument(outcome.body)));
  }

  private send(buffers: Buffer[]): void {
    if (this.closed) return;
    this.socket.cork();
    for (const buffer of buffers) {
      this.server.stats.bytesOut += buffer.length;
      this.socket.write(buffer);
    }
    this.socket.uncork();
  }
}

/** Legacy OP_QUERY commands may be wrapped as {$query: {...}, $readPreference: ...}. */
function isWrapped(query: Document): boolean {
  const first = commandNameOf(query);
  return first === '$query' && typeof query.$query === 'object' && query.$query !== null;
}
