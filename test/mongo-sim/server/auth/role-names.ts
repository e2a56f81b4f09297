// Parsing role references of user and role management commands.
import { CommandError } from '../../engine/types';
import { isDocument } from '../bson-values';
import type { RoleName } from './builtin-roles';
import type { UserStore } from './user-store';

/** `'name'` (in `defaultDb`) or `{role, db}`; throws 31 RoleNotFound for roles that do not exist. */
export function parseRoleNames(value: unknown, defaultDb: string, users: UserStore, field: string): RoleName[] {
  if (!Array.isArray(value)) throw new CommandError(14, 'TypeMismatch', `BSON field '${field}' is the wrong type, expected type 'array'`);
  return value.map((entry) => {
    let name: RoleName;
    if (typeof entry === 'string') name = { role: entry, db: defaultDb };
    else if (isDocument(entry) && typeof entry.role === 'string' && typeof entry.db === 'string') name = { role: entry.role, db: entry.db };
    else throw new CommandError(2, 'BadValue', `Invalid role reference in '${field}'`);
    if (!users.roleExists(name)) throw new CommandError(31, 'RoleNotFound', `Could not find role: ${name.role}@${name.db}`);
    return name;
  });
}

export function sameRole(a: RoleName, b: RoleName): boolean {
  return a.role === b.role && a.db === b.db;
}

export function roleDocument(r: RoleName): { role: string; db: string } {
  return { role: r.role, db: r.db };
}
