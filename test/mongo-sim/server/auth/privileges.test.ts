import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import { isCommandAuthorized, requiresAuthentication } from './command-privileges';
import type { RoleName } from './builtin-roles';
import { UserStore } from './user-store';
import type { ResourceTarget } from './resources';

const store = new UserStore();
const CLUSTER: ResourceTarget = { kind: 'cluster' };
const ns = (db: string, collection: string): ResourceTarget => ({ kind: 'collection', db, collection });
const admin = (role: string): RoleName[] => [{ role, db: 'admin' }];

function authorized(roles: RoleName[], cmd: Document, db: string): boolean {
  const name = Object.keys(cmd)[0];
  return isCommandAuthorized(name, cmd, db, {
    can: (target, action) => store.isAuthorized(roles, target, action),
    isSuperuser: roles.some((r) => r.role === 'root'),
    user: { user: 'u', db: 'admin' },
  });
}

test('only root, restore and __system hold bypassWriteBlockingMode (write-blocking bypass)', () => {
  for (const role of ['root', 'restore', '__system']) assert.ok(store.isAuthorized(admin(role), CLUSTER, 'bypassWriteBlockingMode'), role);
  for (const role of ['backup', 'readWriteAnyDatabase', 'dbAdminAnyDatabase', 'clusterAdmin', 'clusterManager']) {
    assert.ok(!store.isAuthorized(admin(role), CLUSTER, 'bypassWriteBlockingMode'), role);
  }
});

test('setUserWriteBlockMode is held by backup, restore and root', () => {
  for (const role of ['root', 'restore', 'backup']) assert.ok(store.isAuthorized(admin(role), CLUSTER, 'setUserWriteBlockMode'), role);
  assert.ok(!store.isAuthorized(admin('readWriteAnyDatabase'), CLUSTER, 'setUserWriteBlockMode'));
});

test('any-database roles leave out local, config and system collections', () => {
  const rw = admin('readWriteAnyDatabase');
  assert.ok(store.isAuthorized(rw, ns('app', 'c'), 'insert'));
  assert.ok(store.isAuthorized(rw, ns('admin', 'c'), 'insert'));
  assert.ok(!store.isAuthorized(rw, ns('local', 'c'), 'insert'));
  assert.ok(!store.isAuthorized(rw, ns('config', 'c'), 'insert'));
  assert.ok(!store.isAuthorized(rw, ns('app', 'system.views'), 'insert'));
});

test('database roles apply to their own database only', () => {
  const read = [{ role: 'read', db: 'app' }];
  assert.ok(authorized(read, { find: 'c' }, 'app'));
  assert.ok(!authorized(read, { find: 'c' }, 'other'));
  assert.ok(!authorized(read, { insert: 'c', documents: [] }, 'app'));
  assert.ok(authorized([{ role: 'readWrite', db: 'app' }], { insert: 'c', documents: [] }, 'app'));
});

test('an upsert needs insert as well as update', () => {
  store.addRole({ role: 'updater', db: 'admin', privileges: [{ resource: { kind: 'namespace', db: 'app', collection: '' }, actions: ['update'] }], roles: [] });
  const updater = admin('updater');
  assert.ok(authorized(updater, { update: 'c', updates: [{ q: {}, u: {} }] }, 'app'));
  assert.ok(!authorized(updater, { update: 'c', updates: [{ q: {}, u: {}, upsert: true }] }, 'app'));
});

test('a cluster-wide change stream needs find and changeStream on any normal resource', () => {
  const cmd = { aggregate: 1, pipeline: [{ $changeStream: { allChangesForCluster: true } }], cursor: {} };
  assert.ok(authorized(admin('readAnyDatabase'), cmd, 'admin'));
  assert.ok(!authorized([{ role: 'read', db: 'app' }], cmd, 'admin'));
});

test('$out needs insert and remove on the target', () => {
  const cmd = { aggregate: 'src', pipeline: [{ $match: {} }, { $out: 'dst' }], cursor: {} };
  assert.ok(!authorized([{ role: 'read', db: 'app' }], cmd, 'app'));
  assert.ok(authorized([{ role: 'readWrite', db: 'app' }], cmd, 'app'));
});

test('custom roles inherit privileges from their roles', () => {
  store.addRole({ role: 'child', db: 'admin', privileges: [], roles: [{ role: 'readWrite', db: 'app' }] });
  store.addRole({ role: 'parent', db: 'admin', privileges: [], roles: [{ role: 'child', db: 'admin' }] });
  assert.ok(store.isAuthorized(admin('parent'), ns('app', 'c'), 'insert'));
  assert.deepEqual(store.inheritedRoles(admin('parent')), [{ role: 'child', db: 'admin' }, { role: 'readWrite', db: 'app' }]);
});

test('commands outside the privilege table are for root only', () => {
  assert.ok(!authorized(admin('readWriteAnyDatabase'), { someInternalThing: 1 }, 'admin'));
  assert.ok(authorized(admin('root'), { someInternalThing: 1 }, 'admin'));
});

test('the handshake and ping need no authentication; data commands do', () => {
  for (const name of ['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'saslStart', 'saslContinue', 'endSessions']) {
    assert.ok(!requiresAuthentication(name), name);
  }
  for (const name of ['find', 'insert', 'listDatabases', 'serverStatus', 'configureFailPoint']) assert.ok(requiresAuthentication(name), name);
});
