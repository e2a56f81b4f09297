// Which commands run without authentication, and the privileges each command needs.
import type { Document } from 'bson';
import { isDocument, isTruthy } from '../bson-values';
import type { ResourceTarget } from './resources';

export interface AuthSubject {
  /** whether the user holds `action` on `target` */
  can(target: ResourceTarget, action: string): boolean;
  /** whether the user holds root or __system (for commands without a privilege model here) */
  isSuperuser: boolean;
  user: { user: string; db: string };
}

/** Commands an unauthenticated connection may run (they have requiresAuth() false in mongod). */
const NO_AUTH_COMMANDS = new Set([
  'hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'buildinfo', 'saslStart', 'saslContinue',
  'logout', 'endSessions', 'connectionStatus', 'whatsmyuri', 'authenticate', 'getnonce',
]);

export function requiresAuthentication(name: string): boolean {
  return !NO_AUTH_COMMANDS.has(name);
}

type Check = (cmd: Document, db: string, subject: AuthSubject, name: string) => boolean;

const CLUSTER: ResourceTarget = { kind: 'cluster' };

function collectionOf(cmd: Document, name: string): string {
  return typeof cmd[name] === 'string' ? cmd[name] : '';
}

function namespace(db: string, collection: string): ResourceTarget {
  return { kind: 'collection', db, collection };
}

function all(subject: AuthSubject, target: ResourceTarget, actions: string[]): boolean {
  return actions.every((action) => subject.can(target, action));
}

const onCollection = (...actions: string[]): Check => (cmd, db, s, name) => all(s, namespace(db, collectionOf(cmd, name)), actions);
const onDatabase = (...actions: string[]): Check => (_cmd, db, s) => all(s, { kind: 'database', db }, actions);
const onCluster = (...actions: string[]): Check => (_cmd, _db, s) => all(s, CLUSTER, actions);
const authenticated: Check = () => true;

/** "db.coll" into its parts. */
function splitNamespace(ns: unknown): { db: string; collection: string } | undefined {
  if (typeof ns !== 'string') return undefined;
  const dot = ns.indexOf('.');
  return dot < 0 ? { db: ns, collection: '' } : { db: ns.slice(0, dot), collection: ns.slice(dot + 1) };
}

function roleDbs(roles: unknown, defaultDb: string): string[] {
  if (!Array.isArray(roles)) return [];
  return roles.map((r) => (typeof r === 'string' ? defaultDb : isDocument(r) && typeof r.db === 'string' ? r.db : defaultDb));
}

function canOnRoleDbs(subject: AuthSubject, roles: unknown, db: string, action: string): boolean {
  return roleDbs(roles, db).every((roleDb) => subject.can({ kind: 'database', db: roleDb }, action));
}

function aggregateAuthorized(cmd: Document, db: string, s: AuthSubject): boolean {
  const pipeline: unknown[] = Array.isArray(cmd.pipeline) ? cmd.pipeline : [];
  const collection = collectionOf(cmd, 'aggregate');
  const first = pipeline[0];
  if (isDocument(first) && isDocument(first.$changeStream)) {
    const target: ResourceTarget = isTruthy(first.$changeStream.allChangesForCluster)
      ? { kind: 'anyNormal' }
      : collection === '' ? { kind: 'database', db } : namespace(db, collection);
    if (!all(s, target, ['changeStream', 'find'])) return false;
    return pipelineAuthorized(pipeline.slice(1), db, s, cmd);
  }
  if (collection !== '' && !pipelineStartsWithOwnSource(pipeline) && !s.can(namespace(db, collection), 'find')) return false;
  return pipelineAuthorized(pipeline, db, s, cmd);
}

/** Stages that read something other than the collection's documents. */
function pipelineStartsWithOwnSource(pipeline: unknown[]): boolean {
  const first = pipeline[0];
  return isDocument(first) && ('$collStats' in first || '$indexStats' in first || '$documents' in first);
}

function pipelineAuthorized(pipeline: unknown[], db: string, s: AuthSubject, cmd: Document): boolean {
  const collection = collectionOf(cmd, 'aggregate');
  for (const stage of pipeline) {
    if (!isDocument(stage)) continue;
    const [name] = Object.keys(stage);
    const spec: unknown = stage[name];
    switch (name) {
      case '$collStats':
        if (!s.can(namespace(db, collection), 'collStats')) return false;
        break;
      case '$indexStats':
        if (!s.can(namespace(db, collection), 'indexStats')) return false;
        break;
      case '$currentOp':
        if (!s.can(CLUSTER, 'inprog')) return false;
        break;
      case '$lookup':
      case '$graphLookup':
        if (isDocument(spec) && typeof spec.from === 'string' && !s.can(namespace(db, spec.from), 'find')) return false;
        if (isDocument(spec) && Array.isArray(spec.pipeline) && !pipelineAuthorized(spec.pipeline, db, s, cmd)) return false;
        break;
      case '$unionWith': {
        const coll = typeof spec === 'string' ? spec : isDocument(spec) ? spec.coll : undefined;
        if (typeof coll === 'string' && !s.can(namespace(db, coll), 'find')) return false;
        if (isDocument(spec) && Array.isArray(spec.pipeline) && !pipelineAuthorized(spec.pipeline, db, s, cmd)) return false;
        break;
      }
      case '$facet':
        if (isDocument(spec)) {
          for (const sub of Object.values(spec)) if (Array.isArray(sub) && !pipelineAuthorized(sub, db, s, cmd)) return false;
        }
        break;
      case '$out': {
        const target = typeof spec === 'string' ? { db, coll: spec } : isDocument(spec) ? { db: String(spec.db ?? db), coll: String(spec.coll) } : undefined;
        if (target && !all(s, namespace(target.db, target.coll), ['insert', 'remove'])) return false;
        break;
      }
      case '$merge': {
        const into: unknown = isDocument(spec) ? spec.into : spec;
        const target = typeof into === 'string' ? { db, coll: into } : isDocument(into) ? { db: String(into.db ?? db), coll: String(into.coll) } : undefined;
        if (target && !all(s, namespace(target.db, target.coll), ['insert', 'update'])) return false;
        break;
      }
      default:
        break;
    }
  }
  return true;
}

function renameAuthorized(cmd: Document, s: AuthSubject): boolean {
  const source = splitNamespace(cmd.renameCollection);
  const target = splitNamespace(cmd.to);
  if (!source || !target) return true; // the engine reports the malformed request
  const dropTarget = isTruthy(cmd.dropTarget);
  const sourceNs = namespace(source.db, source.collection);
  const targetNs = namespace(target.db, target.collection);
  const system = source.collection.startsWith('system.') || target.collection.startsWith('system.');
  if (source.db === target.db && !system) {
    const canRename = s.can({ kind: 'database', db: source.db }, 'renameCollectionSameDB');
    const canDropTarget = !dropTarget || s.can(targetNs, 'dropCollection');
    const canReadSource = s.can(sourceNs, 'find');
    const canReadTarget = s.can(targetNs, 'find');
    if (canRename && canDropTarget && (canReadSource || !canReadTarget)) return true;
  }
  const targetActions = ['insert', 'createIndex', ...(dropTarget ? ['dropCollection'] : [])];
  return all(s, sourceNs, ['find', 'dropCollection']) && all(s, targetNs, targetActions);
}

function updateAuthorized(cmd: Document, db: string, s: AuthSubject): boolean {
  const target = namespace(db, collectionOf(cmd, 'update'));
  const updates: unknown[] = Array.isArray(cmd.updates) ? cmd.updates : [];
  const upsert = updates.some((u) => isDocument(u) && isTruthy(u.upsert));
  return all(s, target, ['update', ...(upsert ? ['insert'] : []), ...(isTruthy(cmd.bypassDocumentValidation) ? ['bypassDocumentValidation'] : [])]);
}

function findAndModifyAuthorized(cmd: Document, db: string, s: AuthSubject, name: string): boolean {
  const target = namespace(db, collectionOf(cmd, name));
  const actions = ['find', isTruthy(cmd.remove) ? 'remove' : 'update'];
  if (isTruthy(cmd.upsert)) actions.push('insert');
  if (isTruthy(cmd.bypassDocumentValidation)) actions.push('bypassDocumentValidation');
  return all(s, target, actions);
}

function bulkWriteAuthorized(cmd: Document, s: AuthSubject): boolean {
  const nsInfo: unknown[] = Array.isArray(cmd.nsInfo) ? cmd.nsInfo : [];
  const ops: unknown[] = Array.isArray(cmd.ops) ? cmd.ops : [];
  for (const op of ops) {
    if (!isDocument(op)) continue;
    const [kind] = Object.keys(op);
    const index = Number(op[kind]);
    const info = nsInfo[index];
    const ns = isDocument(info) ? splitNamespace(info.ns) : undefined;
    if (!ns) continue;
    const actions = kind === 'insert' ? ['insert'] : kind === 'delete' ? ['remove'] : ['update', ...(isTruthy(op.upsert) ? ['insert'] : [])];
    if (!all(s, namespace(ns.db, ns.collection), actions)) return false;
  }
  return true;
}

function namesOnlySelf(value: unknown, db: string, self: { user: string; db: string }, field: 'user' | 'role', own: (name: { name: string; db: string }) => boolean): boolean {
  const entries = Array.isArray(value) ? value : [value];
  if (entries.length === 0) return false;
  return entries.every((entry) => {
    if (typeof entry === 'string') return own({ name: entry, db });
    if (isDocument(entry) && typeof entry[field] === 'string') return own({ name: entry[field], db: typeof entry.db === 'string' ? entry.db : db });
    return false;
  }) && self.user !== '';
}

const CHECKS: Record<string, Check> = {
  find: onCollection('find'),
  count: onCollection('find'),
  distinct: onCollection('find'),
  aggregate: (cmd, db, s) => aggregateAuthorized(cmd, db, s),
  explain: (cmd, db, s) => {
    const inner: unknown = cmd.explain;
    if (!isDocument(inner)) return true;
    const innerName = Object.keys(inner)[0];
    const check = CHECKS[innerName];
    return check ? check(inner, db, s, innerName) : s.isSuperuser;
  },
  getMore: authenticated,
  killCursors: authenticated,
  insert: (cmd, db, s) => all(s, namespace(db, collectionOf(cmd, 'insert')), ['insert', ...(isTruthy(cmd.bypassDocumentValidation) ? ['bypassDocumentValidation'] : [])]),
  update: (cmd, db, s) => updateAuthorized(cmd, db, s),
  delete: onCollection('remove'),
  findAndModify: findAndModifyAuthorized,
  findandmodify: findAndModifyAuthorized,
  bulkWrite: (cmd, _db, s) => bulkWriteAuthorized(cmd, s),
  create: onCollection('createCollection'),
  drop: onCollection('dropCollection'),
  dropDatabase: onDatabase('dropDatabase'),
  renameCollection: (cmd, _db, s) => renameAuthorized(cmd, s),
  createIndexes: onCollection('createIndex'),
  dropIndexes: onCollection('dropIndex'),
  deleteIndexes: onCollection('dropIndex'),
  collMod: onCollection('collMod'),
  listIndexes: onCollection('listIndexes'),
  listCollections: (cmd, db, s) =>
    s.can({ kind: 'database', db }, 'listCollections') || (isTruthy(cmd.authorizedCollections) && isTruthy(cmd.nameOnly)),
  listDatabases: (cmd, _db, s) => s.can(CLUSTER, 'listDatabases') || cmd.authorizedDatabases !== false,
  dbStats: onDatabase('dbStats'),
  collStats: onCollection('collStats'),
  dataSize: (cmd, _db, s) => {
    const ns = splitNamespace(cmd.dataSize);
    return ns ? s.can(namespace(ns.db, ns.collection), 'find') : true;
  },
  dbHash: onDatabase('dbHash'),
  validate: onCollection('validate'),
  commitTransaction: authenticated,
  abortTransaction: authenticated,
  startSession: authenticated,
  refreshSessions: authenticated,
  killSessions: authenticated,
  listCommands: authenticated,
  hostInfo: onCluster('hostInfo'),
  serverStatus: onCluster('serverStatus'),
  replSetGetStatus: onCluster('replSetGetStatus'),
  replSetGetConfig: onCluster('replSetGetConfig'),
  getCmdLineOpts: onCluster('getCmdLineOpts'),
  getParameter: onCluster('getParameter'),
  setParameter: onCluster('setParameter'),
  getLog: onCluster('getLog'),
  currentOp: onCluster('inprog'),
  killOp: onCluster('killop'),
  top: onCluster('top'),
  connPoolStats: onCluster('connPoolStats'),
  getDefaultRWConcern: onCluster('getDefaultRWConcern'),
  setDefaultRWConcern: onCluster('setDefaultRWConcern'),
  setFeatureCompatibilityVersion: onCluster('setFeatureCompatibilityVersion'),
  getClusterParameter: onCluster('getClusterParameter'),
  setClusterParameter: onCluster('setClusterParameter'),
  fsync: onCluster('fsync'),
  shutdown: onCluster('shutdown'),
  appendOplogNote: onCluster('appendOplogNote'),
  setUserWriteBlockMode: onCluster('setUserWriteBlockMode'),
  applyOps: onCluster('applyOps'),
  createUser: (cmd, db, s) => s.can({ kind: 'database', db }, 'createUser') && canOnRoleDbs(s, cmd.roles, db, 'grantRole'),
  updateUser: (cmd, db, s) => {
    const self = cmd.updateUser === s.user.user && db === s.user.db;
    const target: ResourceTarget = { kind: 'database', db };
    if (cmd.pwd !== undefined && !(s.can(target, 'changePassword') || (self && s.can(target, 'changeOwnPassword')))) return false;
    if (cmd.customData !== undefined && !(s.can(target, 'changeCustomData') || (self && s.can(target, 'changeOwnCustomData')))) return false;
    if (cmd.roles !== undefined && !(s.can(target, 'grantRole') && s.can(target, 'revokeRole'))) return false;
    return true;
  },
  dropUser: onDatabase('dropUser'),
  dropAllUsersFromDatabase: onDatabase('dropUser'),
  grantRolesToUser: (cmd, db, s) => canOnRoleDbs(s, cmd.roles, db, 'grantRole'),
  revokeRolesFromUser: (cmd, db, s) => canOnRoleDbs(s, cmd.roles, db, 'revokeRole'),
  usersInfo: (cmd, db, s) =>
    (isDocument(cmd.usersInfo) && isTruthy(cmd.usersInfo.forAllDBs) ? s.can(CLUSTER, 'viewUser') || s.can({ kind: 'anyNormal' }, 'viewUser') : s.can({ kind: 'database', db }, 'viewUser')) ||
    namesOnlySelf(cmd.usersInfo, db, s.user, 'user', (n) => n.name === s.user.user && n.db === s.user.db),
  rolesInfo: onDatabase('viewRole'),
  createRole: (cmd, db, s) => s.can({ kind: 'database', db }, 'createRole') && canOnRoleDbs(s, cmd.roles, db, 'grantRole'),
  updateRole: (cmd, db, s) => s.can({ kind: 'database', db }, 'grantRole') && s.can({ kind: 'database', db }, 'revokeRole') && canOnRoleDbs(s, cmd.roles, db, 'grantRole'),
  dropRole: onDatabase('dropRole'),
  grantPrivilegesToRole: onDatabase('grantRole'),
  revokePrivilegesFromRole: onDatabase('revokeRole'),
  grantRolesToRole: (cmd, db, s) => canOnRoleDbs(s, cmd.roles, db, 'grantRole'),
  revokeRolesFromRole: (cmd, db, s) => canOnRoleDbs(s, cmd.roles, db, 'revokeRole'),
};

/**
 * Whether an authenticated user may run the command. Commands this table does not know are
 * allowed to root/__system only.
 */
export function isCommandAuthorized(name: string, cmd: Document, db: string, subject: AuthSubject): boolean {
  if (!requiresAuthentication(name)) return true;
  const check = CHECKS[name];
  return check ? check(cmd, db, subject, name) : subject.isSuperuser;
}
