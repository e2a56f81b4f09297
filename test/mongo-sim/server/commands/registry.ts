// The commands the server layer answers itself; every other command goes to the engine.
import type { CommandHandler } from '../context';
import { connectionStatus, logout, saslContinue, saslStart } from './authentication';
import { buildInfo } from './build-info';
import { configureFailPoint } from './configure-fail-point';
import { getParameter } from './get-parameter';
import { hello } from './hello';
import { getCmdLineOpts, getLog, hostInfo, whatsmyuri } from './host';
import { replSetGetStatus } from './repl-set-get-status';
import {
  createRole,
  dropRole,
  grantPrivilegesToRole,
  grantRolesToRole,
  revokePrivilegesFromRole,
  revokeRolesFromRole,
  rolesInfo,
  updateRole,
} from './role-management';
import { serverStatus } from './server-status';
import { endSessions, refreshSessions, startSession } from './sessions';
import {
  createUser,
  dropAllUsersFromDatabase,
  dropUser,
  grantRolesToUser,
  revokeRolesFromUser,
  updateUser,
  usersInfo,
} from './user-management';

export const SERVER_COMMANDS: ReadonlyMap<string, CommandHandler> = new Map<string, CommandHandler>([
  ['hello', hello],
  ['isMaster', hello],
  ['ismaster', hello],
  ['ping', () => ({})],
  ['buildInfo', buildInfo],
  ['buildinfo', buildInfo],
  ['serverStatus', serverStatus],
  ['replSetGetStatus', replSetGetStatus],
  ['hostInfo', hostInfo],
  ['getCmdLineOpts', getCmdLineOpts],
  ['whatsmyuri', whatsmyuri],
  ['getLog', getLog],
  ['getParameter', getParameter],
  ['connectionStatus', connectionStatus],
  ['saslStart', saslStart],
  ['saslContinue', saslContinue],
  ['logout', logout],
  ['endSessions', endSessions],
  ['startSession', startSession],
  ['refreshSessions', refreshSessions],
  ['createUser', createUser],
  ['updateUser', updateUser],
  ['dropUser', dropUser],
  ['dropAllUsersFromDatabase', dropAllUsersFromDatabase],
  ['grantRolesToUser', grantRolesToUser],
  ['revokeRolesFromUser', revokeRolesFromUser],
  ['usersInfo', usersInfo],
  ['createRole', createRole],
  ['updateRole', updateRole],
  ['dropRole', dropRole],
  ['grantPrivilegesToRole', grantPrivilegesToRole],
  ['revokePrivilegesFromRole', revokePrivilegesFromRole],
  ['grantRolesToRole', grantRolesToRole],
  ['revokeRolesFromRole', revokeRolesFromRole],
  ['rolesInfo', rolesInfo],
  ['configureFailPoint', configureFailPoint],
]);
