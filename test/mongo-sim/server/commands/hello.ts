// hello / isMaster / ismaster (hello reply of a primary). No topologyVersion is sent, so drivers poll.
import { Int32, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import { isDocument, numberValue } from '../bson-values';
import type { CommandCall } from '../context';
import { replicaSetFields } from '../replication-fields';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES, MAX_WRITE_BATCH_SIZE } from '../wire/constants';

function validateAwaitable(cmd: Document): void {
  const hasTopologyVersion = cmd.topologyVersion !== undefined;
  const maxAwaitTimeMS = cmd.maxAwaitTimeMS === undefined ? undefined : numberValue(cmd.maxAwaitTimeMS);
  if (hasTopologyVersion && cmd.maxAwaitTimeMS === undefined) {
    throw new CommandError(31368, 'Location31368', "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'");
  }
  if (!hasTopologyVersion && cmd.maxAwaitTimeMS !== undefined) {
    throw new CommandError(31368, 'Location31368', "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'");
  }
  if (isDocument(cmd.topologyVersion) && (numberValue(cmd.topologyVersion.counter) ?? 0) < 0) {
    throw new CommandError(31372, 'Location31372', 'Topology version counter cannot be negative');
  }
  if (maxAwaitTimeMS !== undefined && maxAwaitTimeMS < 0) {
    throw new CommandError(31373, 'Location31373', 'maxAwaitTimeMS must be a non-negative integer');
  }
}

/** Records the client metadata of the first hello; a later hello may not change it. */
function recordClientMetadata(call: CommandCall): void {
  const client: unknown = call.cmd.client;
  if (client === undefined) return;
  if (call.conn.helloSeen) {
    throw new CommandError(186, 'ClientMetadataCannotBeMutated', 'The client metadata document may only be sent in the first hello');
  }
  if (!isDocument(client)) throw new CommandError(14, 'TypeMismatch', "The 'client' field must be an object");
  call.conn.clientMetadata = client;
  const application: unknown = client.application;
  if (isDocument(application) && typeof application.name === 'string') call.conn.appName = application.name;
}

function saslSupportedMechs(call: CommandCall, requested: unknown): string[] | undefined {
  if (typeof requested !== 'string') return undefined;
  const dot = requested.indexOf('.');
  if (dot < 0) throw new CommandError(2, 'BadValue', "saslSupportedMechs must be of the form 'db.user'");
  const user = call.server.users.getUser(requested.slice(0, dot), requested.slice(dot + 1));
  return user ? [...user.mechanisms] : undefined;
}

export function hello(call: CommandCall): Document {
  const { cmd, conn, server } = call;
  validateAwaitable(cmd);
  recordClientMetadata(call);
  const legacy = call.name !== 'hello';
  const reply: Document = {};
  if (typeof cmd.helloOk === 'boolean') reply.helloOk = true;
  Object.assign(reply, replicaSetFields(server, legacy ? 'ismaster' : 'isWritablePrimary'), {
    maxBsonObjectSize: new Int32(MAX_BSON_OBJECT_SIZE),
    maxMessageSizeBytes: new Int32(MAX_MESSAGE_SIZE_BYTES),
    maxWriteBatchSize: new Int32(MAX_WRITE_BATCH_SIZE),
    localTime: new Date(),
    logicalSessionTimeoutMinutes: new Int32(30),
    connectionId: new Int32(conn.id),
    minWireVersion: new Int32(0),
    maxWireVersion: new Int32(server.config.version.maxWireVersion),
    readOnly: false,
  });
  const mechs = saslSupportedMechs(call, cmd.saslSupportedMechs);
  if (mechs) reply.saslSupportedMechs = mechs;
  if (isDocument(cmd.speculativeAuthenticate)) {
    const speculative = conn.auth.speculativeSaslStart(cmd.speculativeAuthenticate);
    if (speculative) reply.speculativeAuthenticate = speculative;
  }
  conn.helloSeen = true;
  return reply;
}
