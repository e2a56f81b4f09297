// Users and custom roles of one simulated replica set (what mongod keeps in admin.system.users
// and admin.system.roles), and the role graph that turns them into privileges.
import { UUID, type Document } from 'bson';
import { builtinRole, isBuiltinRoleName, type Privilege, type RoleName } from './builtin-roles';
import { patternMatches, samePattern, type ResourceTarget } from './resources';
import { deriveCredentials, type ScramCredentials, type ScramMechanism } from './scram';

export interface UserRecord {
  userId: UUID;
  user: string;
  db: string;
  roles: RoleName[];
  customData?: Document;
  mechanisms: ScramMechanism[];
  credentials: Partial<Record<ScramMechanism, ScramCredentials>>;
}

export interface RoleRecord {
  role: string;
  db: string;
  privileges: Privilege[];
  roles: RoleName[];
}

export interface UserName {
  user: string;
  db: string;
}

function key(name: string, db: string): string {
  return `${db}.${name}`;
}

export class UserStore {
  private readonly users = new Map<string, UserRecord>();
  private readonly roles = new Map<string, RoleRecord>();

  getUser(db: string, user: string): UserRecord | undefined {
    return this.users.get(key(user, db));
  }

  listUsers(): UserRecord[] {
    return [...this.users.values()];
  }

  async addUser(spec: { user: string; db: string; password: string; roles: RoleName[]; customData?: Document; mechanisms: ScramMechanism[] }): Promise<UserRecord> {
    const credentials: Partial<Record<ScramMechanism, ScramCredentials>> = {};
    for (const mechanism of spec.mechanisms) credentials[mechanism] = await deriveCredentials(mechanism, spec.user, spec.password);
    const record: UserRecord = {
      userId: new UUID(),
      user: spec.user,
      db: spec.db,
      roles: spec.roles,
      customData: spec.customData,
      mechanisms: spec.mechanisms,
      credentials,
    };
    this.users.set(key(spec.user, spec.db), record);
    return record;
  }

  async setPassword(record: UserRecord, password: string): Promise<void> {
    for (const mechanism of record.mechanisms) {
      record.credentials[mechanism] = await deriveCredentials(mechanism, record.user, password);
    }
  }

  removeUser(db: string, user: string): boolean {
    return this.users.delete(key(user, db));
  }

  getRole(db: string, role: string): RoleRecord | undefined {
    return this.roles.get(key(role, db));
  }

  listRoles(): RoleRecord[] {
    return [...this.roles.values()];
  }

  addRole(record: RoleRecord): void {
    this.roles.set(key(record.role, record.db), record);
  }

  removeRole(db: string, role: string): boolean {
    const removed = this.roles.delete(key(role, db));
    if (removed) {
      const gone = (r: RoleName) => !(r.role === role && r.db === db);
      for (const user of this.users.values()) user.roles = user.roles.filter(gone);
      for (const other of this.roles.values()) other.roles = other.roles.filter(gone);
    }
    return removed;
  }

  roleExists(name: RoleName): boolean {
    return builtinRole(name.role, name.db) !== undefined || this.roles.has(key(name.role, name.db));
  }

  isBuiltin(name: RoleName): boolean {
    return isBuiltinRoleName(name.role) && builtinRole(name.role, name.db) !== undefined;
  }

  /** The direct roles of a role (built-in or custom). */
  private subroles(name: RoleName): RoleName[] {
    return builtinRole(name.role, name.db)?.roles ?? this.roles.get(key(name.role, name.db))?.roles ?? [];
  }

  private directPrivileges(name: RoleName): Privilege[] {
    return builtinRole(name.role, name.db)?.privileges ?? this.roles.get(key(name.role, name.db))?.privileges ?? [];
  }

  /** Every role reachable from `roles` (excluding them), in discovery order. */
  inheritedRoles(roles: RoleName[]): RoleName[] {
    const seen = new Set(roles.map((r) => key(r.role, r.db)));
    const found: RoleName[] = [];
    const queue = roles.flatMap((r) => this.subroles(r));
    while (queue.length > 0) {
      const next = queue.shift() as RoleName;
      const k = key(next.role, next.db);
      if (seen.has(k)) continue;
      seen.add(k);
      found.push(next);
      queue.push(...this.subroles(next));
    }
    return found;
  }

  /** All privileges granted by `roles` and what they inherit, merged per resource. */
  privilegesOf(roles: RoleName[]): Privilege[] {
    const merged: Privilege[] = [];
    for (const role of [...roles, ...this.inheritedRoles(roles)]) {
      for (const privilege of this.directPrivileges(role)) {
        const existing = merged.find((p) => samePattern(p.resource, privilege.resource));
        if (existing) {
          for (const action of privilege.actions) if (!existing.actions.includes(action)) existing.actions.push(action);
        } else {
          merged.push({ resource: privilege.resource, actions: [...privilege.actions] });
        }
      }
    }
    return merged;
  }

  /** True when one of the privileges of `roles` allows `action` on `target`. */
  isAuthorized(roles: RoleName[], target: ResourceTarget, action: string): boolean {
    return this.privilegesOf(roles).some(
      (p) => patternMatches(p.resource, target) && (p.actions.includes(action) || p.actions.includes('anyAction')),
    );
  }

  /** True when `roles` grant any action on `db` or on something inside it. */
  hasAnyPrivilegeOn(roles: RoleName[], db: string): boolean {
    return this.privilegesOf(roles).some((p) => {
      if (p.resource.kind === 'anyResource') return true;
      if (p.resource.kind === 'cluster') return false;
      if (p.resource.db === '') return p.resource.collection !== '' || patternMatches(p.resource, { kind: 'database', db });
      return p.resource.db === db;
    });
  }

  /** True when `role` reaches `target` through inheritance (used to reject cycles). */
  reaches(from: RoleName, target: RoleName): boolean {
    if (from.role === target.role && from.db === target.db) return true;
    return this.inheritedRoles([from]).some((r) => r.role === target.role && r.db === target.db);
  }
}
