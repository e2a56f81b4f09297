// createRole, updateRole, dropRole, grant/revoke privileges and roles of roles, rolesInfo.
import type { Document } from 'bson';
import { CommandError } from '../../engine/types';
import { isDocument, isTruthy, numberValue } from '../bson-values';
import { KNOWN_ACTIONS } from '../auth/actions';
import { builtinRole, builtinRoleNames, isBuiltinRoleName, type Privilege, type RoleName } from '../auth/builtin-roles';
import { parseRoleNames, roleDocument, sameRole } from '../auth/role-names';
import { parseResourcePattern, resourcePatternToDocument, samePattern } from '../auth/resources';
import type { RoleRecord, UserStore } from '../auth/user-store';
import type { CommandCall } from '../context';
import { rejectUnknownFields, requireField } from './strict-fields';

function roleNameOf(call: CommandCall): string {
  const name: unknown = call.cmd[call.name];
  if (typeof name !== 'string' || name === '') throw new CommandError(2, 'BadValue', `${call.name} must be a non-empty role name`);
  return name;
}

function customRole(call: CommandCall, name: string): RoleRecord {
  if (isBuiltinRoleName(name) && builtinRole(name, call.db)) {
    throw new CommandError(2, 'BadValue', `Cannot update built-in role: ${name}@${call.db}`);
  }
  const record = call.server.users.getRole(call.db, name);
  if (!record) throw new CommandError(31, 'RoleNotFound', `Could not find role: ${name}@${call.db}`);
  return record;
}

/** Validates `[{resource, actions}]`; a role outside admin may only target its own database. */
function parsePrivileges(value: unknown, db: string, field: string): Privilege[] {
  if (!Array.isArray(value)) throw new CommandError(14, 'TypeMismatch', `BSON field '${field}' is the wrong type, expected type 'array'`);
  return value.map((entry) => {
    if (!isDocument(entry)) throw new CommandError(2, 'BadValue', 'Privileges must be objects');
    const resource = parseResourcePattern(entry.resource);
    if (!Array.isArray(entry.actions) || entry.actions.length === 0) throw new CommandError(2, 'BadValue', 'Privileges must have a non-empty actions array');
    for (const action of entry.actions) {
      if (typeof action !== 'string' || !KNOWN_ACTIONS.has(action)) {
        throw new CommandError(2, 'BadValue', `Unrecognized action privilege string: ${String(action)}`);
      }
    }
    if (db !== 'admin' && !(resource.kind === 'namespace' && resource.db === db)) {
      throw new CommandError(2, 'BadValue', `Roles on the '${db}' database cannot be granted privileges that target other databases or the cluster`);
    }
    return { resource, actions: [...new Set(entry.actions as string[])] };
  });
}

function mergePrivileges(into: Privilege[], added: Privilege[]): void {
  for (const privilege of added) {
    const existing = into.find((p) => samePattern(p.resource, privilege.resource));
    if (!existing) into.push({ resource: privilege.resource, actions: [...privilege.actions] });
    else for (const a of privilege.actions) if (!existing.actions.includes(a)) existing.actions.push(a);
  }
}

function rejectCycles(users: UserStore, role: RoleName, subroles: RoleName[]): void {
  for (const sub of subroles) {
    if (users.reaches(sub, role)) {
      throw new CommandError(17, 'ProtocolError', `Granting ${sub.role}@${sub.db} to ${role.role}@${role.db} would introduce a cycle in the role graph`);
    }
  }
}

export function createRole(call: CommandCall): Document {
  const { cmd, db, server } = call;
  rejectUnknownFields(cmd, 'createRole', ['privileges', 'roles', 'authenticationRestrictions']);
  const name = roleNameOf(call);
  requireField(cmd, 'createRole', 'privileges');
  requireField(cmd, 'createRole', 'roles');
  if (isBuiltinRoleName(name)) throw new CommandError(2, 'BadValue', `Cannot create roles with the same name as a built-in role`);
  if (server.users.getRole(db, name)) throw new CommandError(51002, 'Location51002', `Role "${name}@${db}" already exists`);
  const privileges = parsePrivileges(cmd.privileges, db, 'createRole.privileges');
  const roles = parseRoleNames(cmd.roles, db, server.users, 'createRole.roles');
  server.users.addRole({ role: name, db, privileges, roles });
  return {};
}

export function updateRole(call: CommandCall): Document {
  const { cmd, db, server } = call;
  rejectUnknownFields(cmd, 'updateRole', ['privileges', 'roles', 'authenticationRestrictions']);
  const record = customRole(call, roleNameOf(call));
  if (cmd.privileges === undefined && cmd.roles === undefined) {
    throw new CommandError(2, 'BadValue', 'Must specify at least one field to update in updateRole');
  }
  const privileges = cmd.privileges === undefined ? undefined : parsePrivileges(cmd.privileges, db, 'updateRole.privileges');
  const roles = cmd.roles === undefined ? undefined : parseRoleNames(cmd.roles, db, server.users, 'updateRole.roles');
  if (roles) rejectCycles(server.users, record, roles);
  if (privileges) record.privileges = privileges;
  if (roles) record.roles = roles;
  return {};
}

export function dropRole(call: CommandCall): Document {
  const name = roleNameOf(call);
  if (isBuiltinRoleName(name) && builtinRole(name, call.db)) throw new CommandError(2, 'BadValue', `Cannot drop built-in role: ${name}@${call.db}`);
  if (!call.server.users.removeRole(call.db, name)) throw new CommandError(31, 'RoleNotFound', `Could not find role: ${name}@${call.db}`);
  return {};
}

export function grantPrivilegesToRole(call: CommandCall): Document {
  requireField(call.cmd, call.name, 'privileges');
  const record = customRole(call, roleNameOf(call));
  mergePrivileges(record.privileges, parsePrivileges(call.cmd.privileges, call.db, `${call.name}.privileges`));
  return {};
}

export function revokePrivilegesFromRole(call: CommandCall): Document {
  requireField(call.cmd, call.name, 'privileges');
  const record = customRole(call, roleNameOf(call));
  for (const revoked of parsePrivileges(call.cmd.privileges, call.db, `${call.name}.privileges`)) {
    const existing = record.privileges.find((p) => samePattern(p.resource, revoked.resource));
    if (existing) existing.actions = existing.actions.filter((a) => !revoked.actions.includes(a));
  }
  record.privileges = record.privileges.filter((p) => p.actions.length > 0);
  return {};
}

export function grantRolesToRole(call: CommandCall): Document {
  requireField(call.cmd, call.name, 'roles');
  const record = customRole(call, roleNameOf(call));
  const granted = parseRoleNames(call.cmd.roles, call.db, call.server.users, `${call.name}.roles`);
  rejectCycles(call.server.users, record, granted);
  for (const role of granted) if (!record.roles.some((r) => sameRole(r, role))) record.roles.push(role);
  return {};
}

export function revokeRolesFromRole(call: CommandCall): Document {
  requireField(call.cmd, call.name, 'roles');
  const record = customRole(call, roleNameOf(call));
  const revoked = parseRoleNames(call.cmd.roles, call.db, call.server.users, `${call.name}.roles`);
  record.roles = record.roles.filter((r) => !revoked.some((x) => sameRole(x, r)));
  return {};
}

function roleInfoDocument(name: RoleName, users: UserStore, cmd: Document): Document {
  const builtin = builtinRole(name.role, name.db);
  const custom = users.getRole(name.db, name.role);
  const direct = builtin?.roles ?? custom?.roles ?? [];
  const doc: Document = custom ? { _id: `${name.db}.${name.role}` } : {};
  Object.assign(doc, { role: name.role, db: name.db, isBuiltin: builtin !== undefined });
  const showPrivileges = isTruthy(cmd.showPrivileges);
  if (showPrivileges) {
    const own = builtin?.privileges ?? custom?.privileges ?? [];
    doc.privileges = own.map((p) => ({ resource: resourcePatternToDocument(p.resource), actions: [...p.actions].sort() }));
  }
  doc.roles = direct.map(roleDocument);
  doc.inheritedRoles = users.inheritedRoles([name]).map(roleDocument);
  if (showPrivileges) {
    doc.inheritedPrivileges = users
      .privilegesOf([name])
      .map((p) => ({ resource: resourcePatternToDocument(p.resource), actions: [...p.actions].sort() }));
  }
  return doc;
}

export function rolesInfo(call: CommandCall): Document {
  const { cmd, db, server } = call;
  requireField(cmd, 'rolesInfo', 'rolesInfo');
  const selector: unknown = cmd.rolesInfo;
  let names: RoleName[];
  if (numberValue(selector) !== undefined) {
    names = server.users.listRoles().filter((r) => r.db === db).map((r) => ({ role: r.role, db: r.db }));
    if (isTruthy(cmd.showBuiltinRoles)) names.push(...builtinRoleNames(db).map((role) => ({ role, db })));
  } else {
    const entries = Array.isArray(selector) ? selector : [selector];
    names = entries.map((e) => {
      if (typeof e === 'string') return { role: e, db };
      if (isDocument(e) && typeof e.role === 'string') return { role: e.role, db: typeof e.db === 'string' ? e.db : db };
      throw new CommandError(2, 'BadValue', 'Role name must be either a string or an object with role and db fields');
    });
    names = names.filter((n) => server.users.roleExists(n));
  }
  return { roles: names.map((n) => roleInfoDocument(n, server.users, cmd)) };
}
