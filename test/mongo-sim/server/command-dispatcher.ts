// Runs one command for a connection: authentication, fail point, authorization, the command
// itself (server layer or engine), retryable-write memory, error labels and the reply envelope.
import { setTimeout as delay } from 'node:timers/promises';
import { Binary, BSONError, Double, Int32, Long, Timestamp, type Document } from 'bson';
import { CommandError, type RequestContext } from '../engine/types';
import { isCommandAuthorized, requiresAuthentication, type AuthSubject } from './auth/command-privileges';
import { commandNameOf, isDocument, numberValue } from './bson-values';
import { SERVER_COMMANDS } from './commands/registry';
import type { CommandCall, ConnectionState, ServerContext } from './context';
import { codeNameOf } from './error-codes';
import { mergeLabels, serverErrorLabels } from './error-labels';
import type { FailCommandData } from './fail-points';
import { renderCommand } from './render-command';
import { isRetryableWriteAttempt } from './retryable-writes';

export type Outcome = { kind: 'reply'; body: Document } | { kind: 'close' };

/** failCommand never applies to these (configureFailPoint itself and the handshake). */
const FAIL_POINT_EXEMPT = new Set(['configureFailPoint', 'hello', 'isMaster', 'ismaster']);

/** Commands that take a write concern, so failCommand's writeConcernError applies to them. */
const WRITE_CONCERN_COMMANDS = new Set([
  'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'bulkWrite', 'create', 'drop',
  'dropDatabase', 'createIndexes', 'dropIndexes', 'deleteIndexes', 'renameCollection', 'collMod',
  'commitTransaction', 'abortTransaction', 'createUser', 'updateUser', 'dropUser',
  'dropAllUsersFromDatabase', 'grantRolesToUser', 'revokeRolesFromUser', 'createRole', 'updateRole',
  'dropRole', 'grantPrivilegesToRole', 'revokePrivilegesFromRole', 'grantRolesToRole',
  'revokeRolesFromRole', 'setUserWriteBlockMode', 'appendOplogNote', 'setFeatureCompatibilityVersion',
  'setDefaultRWConcern', 'aggregate',
]);

const CURSOR_COMMANDS = new Set(['find', 'aggregate', 'listCollections', 'listIndexes']);

const ZERO_SIGNATURE = { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.fromNumber(0) };

function isChangeStreamAggregate(name: string, cmd: Document): boolean {
  if (name !== 'aggregate' || !Array.isArray(cmd.pipeline)) return false;
  const first: unknown = cmd.pipeline[0];
  return isDocument(first) && first.$changeStream !== undefined;
}

function userKey(conn: ConnectionState): string | undefined {
  const user = conn.auth.user;
  return user ? `${user.db}.${user.user}` : undefined;
}

export class CommandDispatcher {
  constructor(private readonly server: ServerContext) {}

  async dispatch(cmd: Document, db: string, conn: ConnectionState, legacyOpQuery: boolean): Promise<Outcome> {
    const name = commandNameOf(cmd);
    this.server.stats.countCommand(name, cmd);
    const changeStream = isChangeStreamAggregate(name, cmd) || (name === 'getMore' && this.server.cursors.get(cmd.getMore)?.changeStream === true);
    let fired: FailCommandData | undefined;
    let reply: Document;
    let engineLabels: string[] = [];
    const writeFailPoint = { closeConnection: false };
    try {
      this.checkAuthenticated(name, conn);
      fired = FAIL_POINT_EXEMPT.has(name) ? undefined : this.server.failPoints.evaluate(name, conn.appName);
      if (fired?.closeConnection) return { kind: 'close' };
      if (fired?.blockConnection) await delay(fired.blockTimeMS, undefined, { signal: conn.signal });
      if (fired?.errorCode !== undefined) {
        throw new CommandError(fired.errorCode, codeNameOf(fired.errorCode), "Failing command via 'failCommand' failpoint");
      }
      this.checkAuthorized(name, cmd, db, conn);
      const call: CommandCall = { name, cmd, db, conn, server: this.server, legacyOpQuery };
      const body = await this.execute(call, writeFailPoint);
      if (writeFailPoint.closeConnection) return { kind: 'close' };
      reply = { ...body, ok: new Double(1) };
      this.afterSuccess(name, cmd, reply, conn, changeStream);
      if (fired?.writeConcernError && WRITE_CONCERN_COMMANDS.has(name)) reply.writeConcernError = fired.writeConcernError;
    } catch (error) {
      if (conn.signal.aborted || writeFailPoint.closeConnection) return { kind: 'close' };
      reply = errorReply(error);
      if (error instanceof CommandError) engineLabels = error.errorLabels;
      if (name === 'getMore' && reply.code === 43) this.server.cursors.closed(cmd.getMore);
    }
    // a failCommand error on getMore comes before the cursor is checked out: the server does not
    // know yet that it is a change stream, so no change-stream labels
    const cursorKnown = !(name === 'getMore' && fired?.errorCode !== undefined);
    this.attachLabels(reply, name, cmd, changeStream && cursorKnown, engineLabels, fired);
    return { kind: 'reply', body: this.envelope(reply) };
  }

  /**
   * failGetMoreAfterCursorCheckout: a getMore of an existing cursor fails with the fail point's
   * code after checking the cursor out, and a getMore that fails then destroys its cursor.
   */
  private async failGetMoreAfterCheckout(cmd: Document, ctx: RequestContext): Promise<void> {
    if (!this.server.cursors.get(cmd.getMore)) return;
    const failure = this.server.failPoints.evaluateGetMore();
    if (failure === undefined) return;
    await this.server.engine.runCommand({ killCursors: cmd.collection, cursors: [cmd.getMore] }, ctx).catch(() => undefined);
    this.server.cursors.closed(cmd.getMore);
    throw new CommandError(failure.errorCode, codeNameOf(failure.errorCode), "Failing command via 'failGetMoreAfterCursorCheckout' failpoint");
  }

  private checkAuthenticated(name: string, conn: ConnectionState): void {
    if (this.server.config.auth && !conn.auth.user && requiresAuthentication(name)) {
      throw new CommandError(13, 'Unauthorized', `Command ${name} requires authentication`);
    }
  }

  private checkAuthorized(name: string, cmd: Document, db: string, conn: ConnectionState): void {
    const user = conn.auth.user;
    if (!this.server.config.auth || !user) return;
    const subject: AuthSubject = {
      can: (target, action) => conn.auth.can(target, action),
      isSuperuser: conn.auth.isSuperuser(),
      user,
    };
    if (!isCommandAuthorized(name, cmd, db, subject)) {
      throw new CommandError(13, 'Unauthorized', `not authorized on ${db} to execute command ${renderCommand(cmd)}`);
    }
    if (name === 'getMore' || name === 'killCursors') {
      const ids: unknown[] = name === 'getMore' ? [cmd.getMore] : Array.isArray(cmd.cursors) ? cmd.cursors : [];
      for (const id of ids) {
        const info = this.server.cursors.get(id);
        if (info && info.owner !== userKey(conn)) {
          throw new CommandError(13, 'Unauthorized', `cursor id ${String(id)} was not created by the authenticated user`);
        }
      }
    }
  }

  private async execute(call: CommandCall, writeFailPoint: { closeConnection: boolean }): Promise<Document> {
    const handler = SERVER_COMMANDS.get(call.name);
    if (handler) return handler(call);
    const { cmd, conn } = call;
    const ctx: RequestContext = {
      db: call.db,
      mayBypassWriteBlocking: conn.auth.mayBypassWriteBlocking,
      signal: conn.signal,
    };
    if (isDocument(cmd.lsid)) ctx.lsid = cmd.lsid;
    if (cmd.txnNumber instanceof Long) ctx.txnNumber = cmd.txnNumber;
    if (call.name === 'getMore') await this.failGetMoreAfterCheckout(cmd, ctx);
    if (!isRetryableWriteAttempt(call.name, cmd)) return this.server.engine.runCommand(cmd, ctx);
    ctx.beforeWriteCommit = () => this.onPrimaryTransactionalWrite(writeFailPoint);
    return this.server.retryableWrites.run(call.name, cmd, (attempt) => this.server.engine.runCommand(attempt, ctx));
  }

  /**
   * The onPrimaryTransactionalWrite fail point, at one document write of a retryable write:
   * `closeConnection` (the default) ends the connection instead of the reply, and
   * `failBeforeCommitExceptionCode` fails this write before it commits (earlier ones stay).
   */
  private onPrimaryTransactionalWrite(state: { closeConnection: boolean }): void {
    const data = this.server.failPoints.evaluateTransactionalWrite();
    if (data === undefined) return;
    if (data.closeConnection) state.closeConnection = true;
    const code = data.failBeforeCommitExceptionCode;
    if (code !== undefined) throw new CommandError(code, codeNameOf(code), 'Failing write due to onPrimaryTransactionalWrite fail point');
  }

  private afterSuccess(name: string, cmd: Document, reply: Document, conn: ConnectionState, changeStream: boolean): void {
    const { cursors, config } = this.server;
    if (CURSOR_COMMANDS.has(name)) cursors.opened(reply, userKey(conn), changeStream);
    if (name === 'getMore' && isDocument(reply.cursor) && reply.cursor.id instanceof Long && reply.cursor.id.isZero()) {
      cursors.closed(cmd.getMore);
    }
    if (name === 'killCursors' && Array.isArray(cmd.cursors)) for (const id of cmd.cursors) cursors.closed(id);
    if (name === 'listDatabases' && config.auth && Array.isArray(reply.databases) && !conn.auth.can({ kind: 'cluster' }, 'listDatabases')) {
      const roles = conn.auth.roles();
      reply.databases = reply.databases.filter((d: unknown) => isDocument(d) && typeof d.name === 'string' && this.server.users.hasAnyPrivilegeOn(roles, d.name));
    }
  }

  private attachLabels(reply: Document, name: string, cmd: Document, changeStream: boolean, engineLabels: string[], fired: FailCommandData | undefined): void {
    const failed = reply.ok instanceof Double && reply.ok.value === 0;
    const writeConcernCode = isDocument(reply.writeConcernError) ? numberValue(reply.writeConcernError.code) : undefined;
    if (!failed && writeConcernCode === undefined) return;
    const code = failed ? numberValue(reply.code) : undefined;
    const computed = serverErrorLabels({ commandName: name, cmd, code, writeConcernCode, changeStream });
    const labels = mergeLabels(engineLabels, computed, fired?.errorLabels);
    if (labels.length > 0) reply.errorLabels = labels;
  }

  /** The reply to a request that failed before it reached a command (e.g. a bad OP_MSG). */
  envelopeError(error: unknown): Document {
    return this.envelope(errorReply(error));
  }

  /** `$clusterTime` (zero signature) and `operationTime` on every reply ($clusterTime gossip). */
  private envelope(reply: Document): Document {
    const { engine } = this.server;
    const operationTime = reply.operationTime instanceof Timestamp ? reply.operationTime : engine.lastApplied();
    const clock = engine.clusterTime();
    const clusterTime = clock.greaterThanOrEqual(operationTime) ? clock : operationTime;
    reply.$clusterTime = { clusterTime, signature: ZERO_SIGNATURE };
    reply.operationTime = operationTime;
    return reply;
  }
}

/** `{ok: 0, errmsg, code, codeName, ...extra}` (reply envelope, error reply shape). */
export function errorReply(error: unknown): Document {
  if (error instanceof CommandError) {
    const reply: Document = { ok: new Double(0), errmsg: error.message, code: new Int32(error.code), codeName: error.codeName };
    for (const [key, value] of Object.entries(error.extra)) if (!(key in reply)) reply[key] = value;
    return reply;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof BSONError) return { ok: new Double(0), errmsg: message, code: new Int32(22), codeName: 'InvalidBSON' };
  return { ok: new Double(0), errmsg: message, code: new Int32(1), codeName: 'InternalError' };
}
