// Authentication state of one client connection: the SASL conversation, the authenticated
// user, and the cached write-blocking bypass.
import { Binary, Int32, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import { isDocument, isTruthy } from '../bson-values';
import type { RoleName } from './builtin-roles';
import type { ResourceTarget } from './resources';
import { parseClientFirst, ScramConversation, SCRAM_MECHANISMS, type ScramMechanism } from './scram';
import type { UserName, UserStore } from './user-store';

const CONVERSATION_ID = 1;

function payloadText(payload: unknown): string {
  if (payload instanceof Binary) return Buffer.from(payload.buffer.subarray(0, payload.position)).toString('utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload).toString('utf8');
  if (typeof payload === 'string') return Buffer.from(payload, 'base64').toString('utf8');
  throw new CommandError(14, 'TypeMismatch', 'payload must be binary data');
}

function payloadOf(text: string): Binary {
  return new Binary(Buffer.from(text, 'utf8'));
}

interface Conversation {
  db: string;
  user: string;
  scram: ScramConversation;
  skipEmptyExchange: boolean;
  /** server-final sent, waiting for the client's empty last message */
  awaitingEmpty: boolean;
}

export class ConnectionAuth {
  private authenticated: UserName | undefined;
  private conversation: Conversation | undefined;
  /** recomputed only when the authenticated user changes; starts false (write-blocking bypass) */
  private bypass = false;

  constructor(
    private readonly users: UserStore,
    private readonly authEnabled: boolean,
  ) {}

  get user(): UserName | undefined {
    return this.authenticated;
  }

  get mayBypassWriteBlocking(): boolean {
    return this.bypass;
  }

  /** The roles of the authenticated user as the store has them now (grants apply at once). */
  roles(): RoleName[] {
    if (!this.authenticated) return [];
    return this.users.getUser(this.authenticated.db, this.authenticated.user)?.roles ?? [];
  }

  can(target: ResourceTarget, action: string): boolean {
    return this.users.isAuthorized(this.roles(), target, action);
  }

  isSuperuser(): boolean {
    const roles = this.roles();
    const all = [...roles, ...this.users.inheritedRoles(roles)];
    return all.some((r) => r.db === 'admin' && (r.role === 'root' || r.role === '__system'));
  }

  saslStart(db: string, cmd: Document): Document {
    const mechanism = cmd.mechanism;
    if (typeof mechanism !== 'string' || !(SCRAM_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new CommandError(334, 'MechanismUnavailable', `Received authentication for mechanism ${String(mechanism)} which is unknown or not enabled`);
    }
    this.conversation = undefined;
    const clientFirst = parseClientFirst(payloadText(cmd.payload));
    const record = this.users.getUser(db, clientFirst.user);
    if (!record) throw new CommandError(18, 'AuthenticationFailed', 'Authentication failed.');
    const credentials = record.credentials[mechanism as ScramMechanism];
    if (!credentials) {
      throw new CommandError(
        334,
        'MechanismUnavailable',
        `Unable to use ${mechanism} based authentication for user without any ${mechanism} credentials registered`,
      );
    }
    const scram = new ScramConversation(mechanism as ScramMechanism, clientFirst, credentials);
    const options: unknown = cmd.options;
    this.conversation = {
      db,
      user: clientFirst.user,
      scram,
      skipEmptyExchange: isDocument(options) && isTruthy(options.skipEmptyExchange),
      awaitingEmpty: false,
    };
    return { conversationId: new Int32(CONVERSATION_ID), done: false, payload: payloadOf(scram.serverFirst) };
  }

  saslContinue(db: string, cmd: Document): Document {
    const conversation = this.conversation;
    if (!conversation || conversation.db !== db) {
      throw new CommandError(17, 'ProtocolError', 'No SASL session state found');
    }
    try {
      if (conversation.awaitingEmpty) {
        this.conversation = undefined;
        this.login({ user: conversation.user, db: conversation.db });
        return { conversationId: new Int32(CONVERSATION_ID), done: true, payload: new Binary(Buffer.alloc(0)) };
      }
      const serverFinal = conversation.scram.finish(payloadText(cmd.payload));
      if (conversation.skipEmptyExchange) {
        this.conversation = undefined;
        this.login({ user: conversation.user, db: conversation.db });
        return { conversationId: new Int32(CONVERSATION_ID), done: true, payload: payloadOf(serverFinal) };
      }
      conversation.awaitingEmpty = true;
      return { conversationId: new Int32(CONVERSATION_ID), done: false, payload: payloadOf(serverFinal) };
    } catch (error) {
      this.conversation = undefined;
      throw error;
    }
  }

  /** `speculativeAuthenticate` of hello: a saslStart whose failure is simply not reported. */
  speculativeSaslStart(request: Document): Document | undefined {
    if (typeof request.db !== 'string' || request.saslStart === undefined) return undefined;
    try {
      return this.saslStart(request.db, request);
    } catch {
      this.conversation = undefined;
      return undefined;
    }
  }

  logout(db: string): void {
    if (this.authenticated && this.authenticated.db === db) {
      this.authenticated = undefined;
      this.recomputeBypass();
    }
  }

  private login(user: UserName): void {
    if (this.authenticated && (this.authenticated.user !== user.user || this.authenticated.db !== user.db)) {
      throw new CommandError(13, 'Unauthorized', 'Each client connection may only be authenticated as a single user');
    }
    this.authenticated = user;
    this.recomputeBypass();
  }

  /** authEnabled ? hasPrivilege(bypassWriteBlockingMode on the cluster) : true (write-blocking bypass). */
  private recomputeBypass(): void {
    this.bypass = this.authEnabled ? this.can({ kind: 'cluster' }, 'bypassWriteBlockingMode') : true;
  }
}
