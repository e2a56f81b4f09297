// The built-in roles, as privilege lists (DOC built-in roles; role_graph_builtin_roles.cpp).
// Database-scoped roles (read, readWrite, dbAdmin, userAdmin, dbOwner) exist in every database;
// the others exist only in `admin`.
import {
  ANY_NORMAL,
  ANY_RESOURCE,
  CLUSTER,
  onCollectionInAnyDb,
  onDatabase,
  onNamespace,
  type ResourcePattern,
} from './resources';

export interface Privilege {
  resource: ResourcePattern;
  actions: string[];
}

export interface RoleName {
  role: string;
  db: string;
}

export interface BuiltinRole {
  privileges: Privilege[];
  /** built-in roles this one includes */
  roles: RoleName[];
}

const READ = [
  'changeStream', 'collStats', 'dbHash', 'dbStats', 'find', 'killCursors', 'listCollections',
  'listIndexes', 'listSearchIndexes', 'planCacheRead',
];
const READ_WRITE = [
  ...READ, 'convertToCapped', 'createCollection', 'createIndex', 'dropCollection', 'dropIndex',
  'insert', 'remove', 'renameCollectionSameDB', 'update', 'createSearchIndexes', 'dropSearchIndex',
  'updateSearchIndex',
];
const USER_ADMIN = [
  'changeCustomData', 'changePassword', 'createRole', 'createUser', 'dropRole', 'dropUser',
  'grantRole', 'revokeRole', 'setAuthenticationRestriction', 'viewRole', 'viewUser',
];
const DB_ADMIN = [
  'analyze', 'bypassDocumentValidation', 'collMod', 'collStats', 'compact', 'convertToCapped',
  'createCollection', 'createIndex', 'dbStats', 'dropCollection', 'dropDatabase', 'dropIndex',
  'enableProfiler', 'listCollections', 'listIndexes', 'listSearchIndexes', 'planCacheIndexFilter',
  'planCacheRead', 'planCacheWrite', 'reIndex', 'renameCollectionSameDB', 'storageDetails', 'validate',
];
const CLUSTER_MONITOR_CLUSTER = [
  'checkFreeMonitoringStatus', 'connPoolStats', 'getCmdLineOpts', 'getDefaultRWConcern', 'getLog',
  'getParameter', 'getShardMap', 'hostInfo', 'inprog', 'listDatabases', 'listSessions', 'listShards',
  'netstat', 'replSetGetConfig', 'replSetGetStatus', 'serverStatus', 'shardingState', 'top', 'useUUID',
  'getClusterParameter',
];
const CLUSTER_MANAGER_CLUSTER = [
  'addShard', 'appendOplogNote', 'applicationMessage', 'cleanupOrphaned', 'flushRouterConfig',
  'getDefaultRWConcern', 'listSessions', 'listShards', 'removeShard', 'replSetConfigure',
  'replSetGetConfig', 'replSetGetStatus', 'replSetStateChange', 'resync', 'setDefaultRWConcern',
  'setFeatureCompatibilityVersion', 'setClusterParameter', 'getClusterParameter',
];
const HOST_MANAGER_CLUSTER = [
  'applicationMessage', 'connPoolSync', 'dropConnections', 'flushRouterConfig', 'fsync',
  'invalidateUserCache', 'killAnyCursor', 'killAnySession', 'killop', 'logRotate', 'replSetResizeOplog',
  'resync', 'rotateCertificates', 'setParameter', 'shutdown', 'touch', 'unlock',
];

function dbScoped(db: string, actions: string[]): Privilege {
  return { resource: onDatabase(db), actions };
}

/** Roles that exist in every database, parameterised by it. */
function databaseRole(role: string, db: string): BuiltinRole | undefined {
  switch (role) {
    case 'read':
      return { privileges: [dbScoped(db, READ), { resource: onNamespace(db, 'system.js'), actions: READ }], roles: [] };
    case 'readWrite':
      return {
        privileges: [dbScoped(db, READ_WRITE), { resource: onNamespace(db, 'system.js'), actions: READ_WRITE }],
        roles: [],
      };
    case 'dbAdmin':
      return {
        privileges: [
          dbScoped(db, DB_ADMIN),
          { resource: onNamespace(db, 'system.profile'), actions: [...READ, 'convertToCapped', 'createCollection', 'dropCollection'] },
        ],
        roles: [],
      };
    case 'userAdmin':
      return { privileges: [dbScoped(db, USER_ADMIN)], roles: [] };
    case 'dbOwner':
      return { privileges: [], roles: [{ role: 'readWrite', db }, { role: 'dbAdmin', db }, { role: 'userAdmin', db }] };
    default:
      return undefined;
  }
}

const ADMIN_ONLY_ROLES: Record<string, BuiltinRole> = {
  readAnyDatabase: {
    privileges: [
      { resource: ANY_NORMAL, actions: READ },
      { resource: CLUSTER, actions: ['listDatabases'] },
      { resource: onCollectionInAnyDb('system.js'), actions: READ },
    ],
    roles: [],
  },
  readWriteAnyDatabase: {
    privileges: [
      { resource: ANY_NORMAL, actions: READ_WRITE },
      { resource: CLUSTER, actions: ['listDatabases'] },
      { resource: onCollectionInAnyDb('system.js'), actions: READ_WRITE },
    ],
    roles: [],
  },
  userAdminAnyDatabase: {
    privileges: [
      { resource: ANY_NORMAL, actions: USER_ADMIN },
      { resource: CLUSTER, actions: ['authSchemaUpgrade', 'invalidateUserCache', 'listDatabases'] },
      { resource: onNamespace('admin', 'system.users'), actions: [...READ, 'createIndex', 'dropIndex'] },
      { resource: onNamespace('admin', 'system.roles'), actions: [...READ, 'createIndex', 'dropIndex'] },
    ],
    roles: [],
  },
  dbAdminAnyDatabase: {
    privileges: [
      { resource: ANY_NORMAL, actions: DB_ADMIN },
      { resource: CLUSTER, actions: ['listDatabases'] },
      { resource: onCollectionInAnyDb('system.profile'), actions: [...READ, 'convertToCapped', 'createCollection', 'dropCollection'] },
    ],
    roles: [],
  },
  clusterMonitor: {
    privileges: [
      { resource: CLUSTER, actions: CLUSTER_MONITOR_CLUSTER },
      { resource: ANY_NORMAL, actions: ['collStats', 'dbStats', 'getShardVersion', 'indexStats'] },
      { resource: onDatabase('config'), actions: READ },
      { resource: onDatabase('local'), actions: READ },
      { resource: onNamespace('local', 'system.replset'), actions: ['find'] },
      { resource: onCollectionInAnyDb('system.profile'), actions: ['find'] },
    ],
    roles: [],
  },
  hostManager: {
    privileges: [
      { resource: CLUSTER, actions: HOST_MANAGER_CLUSTER },
      { resource: ANY_NORMAL, actions: ['killCursors'] },
    ],
    roles: [],
  },
  clusterManager: {
    privileges: [
      { resource: CLUSTER, actions: CLUSTER_MANAGER_CLUSTER },
      { resource: ANY_NORMAL, actions: ['enableSharding', 'moveChunk', 'splitChunk', 'splitVector'] },
      { resource: onDatabase('config'), actions: [...READ, 'insert', 'remove', 'update'] },
      { resource: onDatabase('local'), actions: [...READ, 'insert', 'remove', 'update'] },
      { resource: onNamespace('local', 'system.replset'), actions: READ },
    ],
    roles: [],
  },
  clusterAdmin: {
    privileges: [{ resource: ANY_NORMAL, actions: ['dropDatabase'] }],
    roles: [
      { role: 'clusterManager', db: 'admin' },
      { role: 'clusterMonitor', db: 'admin' },
      { role: 'hostManager', db: 'admin' },
    ],
  },
  backup: {
    privileges: [
      { resource: CLUSTER, actions: ['appendOplogNote', 'getParameter', 'listDatabases', 'serverStatus', 'setUserWriteBlockMode'] },
      { resource: ANY_NORMAL, actions: ['collStats', 'dbHash', 'find', 'listCollections', 'listIndexes', 'listSearchIndexes'] },
      { resource: ANY_RESOURCE, actions: ['listCollections', 'listIndexes'] },
      { resource: onDatabase('config'), actions: ['find', 'listCollections', 'listIndexes'] },
      { resource: onDatabase('local'), actions: ['find', 'listCollections', 'listIndexes'] },
      { resource: onCollectionInAnyDb('system.js'), actions: ['find'] },
      { resource: onNamespace('admin', 'system.users'), actions: ['find'] },
      { resource: onNamespace('admin', 'system.roles'), actions: ['find'] },
      { resource: onNamespace('admin', 'system.version'), actions: ['find'] },
    ],
    roles: [],
  },
  restore: {
    privileges: [
      { resource: CLUSTER, actions: ['applyOps', 'bypassWriteBlockingMode', 'forceUUID', 'setUserWriteBlockMode', 'useUUID'] },
      {
        resource: ANY_NORMAL,
        actions: [
          'bypassDocumentValidation', 'changeCustomData', 'changePassword', 'collMod', 'convertToCapped',
          'createCollection', 'createIndex', 'createRole', 'createUser', 'dropCollection', 'dropRole',
          'dropUser', 'grantRole', 'insert', 'revokeRole', 'viewRole', 'viewUser',
        ],
      },
      { resource: onCollectionInAnyDb('system.js'), actions: ['createCollection', 'createIndex', 'dropCollection', 'insert', 'remove', 'update', 'find'] },
      { resource: onNamespace('admin', 'system.users'), actions: ['createCollection', 'createIndex', 'dropCollection', 'find', 'insert', 'remove', 'update'] },
      { resource: onNamespace('admin', 'system.roles'), actions: ['createIndex', 'find', 'insert', 'remove', 'update'] },
      { resource: onNamespace('admin', 'system.version'), actions: ['find', 'insert', 'remove', 'update'] },
      { resource: onDatabase('config'), actions: ['dropCollection', 'createIndex', 'insert', 'update', 'find', 'remove'] },
    ],
    roles: [],
  },
  root: {
    privileges: [
      { resource: onCollectionInAnyDb('system.profile'), actions: ['validate'] },
      { resource: onCollectionInAnyDb('system.buckets'), actions: ['validate'] },
    ],
    roles: [
      { role: 'readWriteAnyDatabase', db: 'admin' },
      { role: 'dbAdminAnyDatabase', db: 'admin' },
      { role: 'userAdminAnyDatabase', db: 'admin' },
      { role: 'clusterAdmin', db: 'admin' },
      { role: 'restore', db: 'admin' },
      { role: 'backup', db: 'admin' },
    ],
  },
  __system: {
    privileges: [{ resource: ANY_RESOURCE, actions: ['anyAction'] }],
    roles: [],
  },
};

export function builtinRole(role: string, db: string): BuiltinRole | undefined {
  const scoped = databaseRole(role, db);
  if (scoped) return scoped;
  return db === 'admin' ? ADMIN_ONLY_ROLES[role] : undefined;
}

export function isBuiltinRoleName(role: string): boolean {
  return databaseRole(role, 'x') !== undefined || role in ADMIN_ONLY_ROLES;
}

export function builtinRoleNames(db: string): string[] {
  const names = ['read', 'readWrite', 'dbAdmin', 'userAdmin', 'dbOwner'];
  return db === 'admin' ? [...names, ...Object.keys(ADMIN_ONLY_ROLES)] : names;
}
