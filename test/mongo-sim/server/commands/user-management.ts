// createUser, updateUser, dropUser, dropAllUsersFromDatabase, grantRolesToUser,
// revokeRolesFromUser and usersInfo.
import { Int32, type Document } from 'bson';
import { Query } from 'mingo';
import { CommandError } from '../../engine/types';
import { isDocument, isTruthy, numberValue } from '../bson-values';
import { parseRoleNames, roleDocument, sameRole } from '../auth/role-names';
import { resourcePatternToDocument } from '../auth/resources';
import { SCRAM_MECHANISMS, type ScramMechanism } from '../auth/scram';
import type { UserRecord, UserStore } from '../auth/user-store';
import type { CommandCall } from '../context';
import { rejectUnknownFields, requireField } from './strict-fields';

function userName(call: CommandCall): string {
  const name: unknown = call.cmd[call.name];
  if (typeof name !== 'string' || name === '') {
    throw new CommandError(2, 'BadValue', `${call.name} must be a non-empty user name`);
  }
  return name;
}

function existingUser(call: CommandCall, name: string): UserRecord {
  const record = call.server.users.getUser(call.db, name);
  if (!record) throw new CommandError(11, 'UserNotFound', `Could not find user "${name}" for db "${call.db}"`);
  return record;
}

function parseMechanisms(value: unknown): ScramMechanism[] {
  if (value === undefined) return [...SCRAM_MECHANISMS];
  if (!Array.isArray(value) || value.length === 0) throw new CommandError(2, 'BadValue', 'mechanisms field must not be empty');
  for (const m of value) {
    if (!(SCRAM_MECHANISMS as readonly unknown[]).includes(m)) throw new CommandError(2, 'BadValue', `Unknown auth mechanism '${String(m)}'`);
  }
  return SCRAM_MECHANISMS.filter((m) => value.includes(m));
}

function password(cmd: Document): string {
  const pwd: unknown = cmd.pwd;
  if (typeof pwd !== 'string') throw new CommandError(14, 'TypeMismatch', "BSON field 'pwd' is the wrong type, expected type 'string'");
  if (pwd === '') throw new CommandError(2, 'BadValue', 'Password cannot be empty');
  return pwd;
}

export async function createUser(call: CommandCall): Promise<Document> {
  const { cmd, db, server } = call;
  rejectUnknownFields(cmd, 'createUser', ['pwd', 'customData', 'roles', 'digestPassword', 'authenticationRestrictions', 'mechanisms']);
  const name = userName(call);
  requireField(cmd, 'createUser', 'roles');
  if (cmd.pwd === undefined) {
    throw new CommandError(2, 'BadValue', "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db");
  }
  const pwd = password(cmd);
  if (cmd.customData !== undefined && !isDocument(cmd.customData)) throw new CommandError(14, 'TypeMismatch', "BSON field 'customData' is the wrong type, expected type 'object'");
  if (server.users.getUser(db, name)) throw new CommandError(51003, 'Location51003', `User "${name}@${db}" already exists`);
  const roles = parseRoleNames(cmd.roles, db, server.users, 'createUser.roles');
  await server.users.addUser({ user: name, db, password: pwd, roles, customData: cmd.customData as Document | undefined, mechanisms: parseMechanisms(cmd.mechanisms) });
  return {};
}

export async function updateUser(call: CommandCall): Promise<Document> {
  const { cmd, db, server } = call;
  rejectUnknownFields(cmd, 'updateUser', ['pwd', 'customData', 'roles', 'digestPassword', 'authenticationRestrictions', 'mechanisms']);
  const record = existingUser(call, userName(call));
  if (cmd.pwd === undefined && cmd.customData === undefined && cmd.roles === undefined && cmd.mechanisms === undefined) {
    throw new CommandError(2, 'BadValue', 'Must specify at least one field to update in updateUser');
  }
  const roles = cmd.roles === undefined ? undefined : parseRoleNames(cmd.roles, db, server.users, 'updateUser.roles');
  if (cmd.mechanisms !== undefined) {
    const mechanisms = parseMechanisms(cmd.mechanisms);
    if (cmd.pwd === undefined && mechanisms.some((m) => !record.mechanisms.includes(m))) {
      throw new CommandError(2, 'BadValue', 'mechanisms field must be a subset of previously set mechanisms');
    }
    record.mechanisms = mechanisms;
    for (const m of SCRAM_MECHANISMS) if (!mechanisms.includes(m)) delete record.credentials[m];
  }
  if (cmd.pwd !== undefined) await server.users.setPassword(record, password(cmd));
  if (isDocument(cmd.customData)) record.customData = cmd.customData;
  if (roles) record.roles = roles;
  return {};
}

export function dropUser(call: CommandCall): Document {
  const name = userName(call);
  if (!call.server.users.removeUser(call.db, name)) {
    throw new CommandError(11, 'UserNotFound', `User '${name}@${call.db}' not found`);
  }
  return {};
}

export function dropAllUsersFromDatabase(call: CommandCall): Document {
  const { users } = call.server;
  let n = 0;
  for (const user of users.listUsers()) {
    if (user.db === call.db && users.removeUser(user.db, user.user)) n++;
  }
  return { n: new Int32(n) };
}

export function grantRolesToUser(call: CommandCall): Document {
  requireField(call.cmd, call.name, 'roles');
  const record = existingUser(call, userName(call));
  for (const role of parseRoleNames(call.cmd.roles, call.db, call.server.users, `${call.name}.roles`)) {
    if (!record.roles.some((r) => sameRole(r, role))) record.roles.push(role);
  }
  return {};
}

export function revokeRolesFromUser(call: CommandCall): Document {
  requireField(call.cmd, call.name, 'roles');
  const record = existingUser(call, userName(call));
  const revoked = parseRoleNames(call.cmd.roles, call.db, call.server.users, `${call.name}.roles`);
  record.roles = record.roles.filter((r) => !revoked.some((x) => sameRole(x, r)));
  return {};
}

/** Which users `usersInfo: <selector>` names, as a predicate. */
function userSelector(selector: unknown, db: string): (u: UserRecord) => boolean {
  if (isDocument(selector) && isTruthy(selector.forAllDBs)) return () => true;
  if (numberValue(selector) !== undefined) return (u) => u.db === db;
  const entries = Array.isArray(selector) ? selector : [selector];
  const names = entries.map((e) => {
    if (typeof e === 'string') return { user: e, db };
    if (isDocument(e) && typeof e.user === 'string') return { user: e.user, db: typeof e.db === 'string' ? e.db : db };
    throw new CommandError(2, 'BadValue', 'User name must be either a string or an object with user and db fields');
  });
  return (u) => names.some((n) => n.user === u.user && n.db === u.db);
}

function userDocument(record: UserRecord, users: UserStore, cmd: Document): Document {
  const doc: Document = {
    _id: `${record.db}.${record.user}`,
    userId: record.userId,
    user: record.user,
    db: record.db,
  };
  if (record.customData && cmd.showCustomData !== false) doc.customData = record.customData;
  doc.roles = record.roles.map(roleDocument);
  if (isTruthy(cmd.showCredentials)) {
    doc.credentials = Object.fromEntries(
      Object.entries(record.credentials).map(([m, c]) => [m, { iterationCount: new Int32(c.iterationCount), salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey }]),
    );
  }
  doc.mechanisms = [...record.mechanisms];
  if (isTruthy(cmd.showPrivileges)) {
    doc.inheritedRoles = [...record.roles, ...users.inheritedRoles(record.roles)].map(roleDocument);
    doc.inheritedPrivileges = users
      .privilegesOf(record.roles)
      .map((p) => ({ resource: resourcePatternToDocument(p.resource), actions: [...p.actions].sort() }));
    doc.inheritedAuthenticationRestrictions = [];
    doc.authenticationRestrictions = [];
  }
  return doc;
}

export function usersInfo(call: CommandCall): Document {
  const { cmd, db, server } = call;
  requireField(cmd, 'usersInfo', 'usersInfo');
  const selected = server.users.listUsers().filter(userSelector(cmd.usersInfo, db));
  selected.sort((a, b) => (`${a.db}.${a.user}` < `${b.db}.${b.user}` ? -1 : 1));
  let docs = selected.map((u) => userDocument(u, server.users, cmd));
  if (cmd.filter !== undefined) {
    if (!isDocument(cmd.filter)) throw new CommandError(14, 'TypeMismatch', "BSON field 'usersInfo.filter' is the wrong type, expected type 'object'");
    const query = new Query(cmd.filter);
    docs = docs.filter((d) => query.test(d));
  }
  return { users: docs };
}
