import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32 } from 'bson';
import { CommandError } from '../engine/types';
import { FailPoints } from './fail-points';

const data = (extra: Record<string, unknown> = {}) => ({ failCommands: ['find', 'insert'], errorCode: new Int32(2), ...extra });

test('times counts down only on matching commands and then turns off', () => {
  const fp = new FailPoints();
  fp.configure('failCommand', { times: new Int32(2) }, data());
  assert.equal(fp.evaluate('ping', undefined), undefined);
  assert.equal(fp.evaluate('find', undefined)?.errorCode, 2);
  assert.equal(fp.evaluate('insert', undefined)?.errorCode, 2);
  assert.equal(fp.evaluate('find', undefined), undefined);
});

test('skip lets n matching commands pass, then stays on', () => {
  const fp = new FailPoints();
  fp.configure('failCommand', { skip: new Int32(1) }, data());
  assert.equal(fp.evaluate('find', undefined), undefined);
  assert.ok(fp.evaluate('find', undefined));
  assert.ok(fp.evaluate('find', undefined));
});

test('appName must match the connection application name when given', () => {
  const fp = new FailPoints();
  fp.configure('failCommand', 'alwaysOn', data({ appName: 'app' }));
  assert.equal(fp.evaluate('find', undefined), undefined);
  assert.equal(fp.evaluate('find', 'other'), undefined);
  assert.ok(fp.evaluate('find', 'app'));
});

test('the reply count is the number of activations before the change', () => {
  const fp = new FailPoints();
  assert.equal(fp.configure('failCommand', 'alwaysOn', data()), 0);
  fp.evaluate('find', undefined);
  fp.evaluate('ping', undefined);
  fp.evaluate('insert', undefined);
  assert.equal(fp.configure('failCommand', 'off', undefined), 2);
  assert.equal(fp.evaluate('find', undefined), undefined);
});

test('bad modes, data and names are BadValue errors', () => {
  const fp = new FailPoints();
  assert.throws(() => fp.configure('failCommand', 'sometimes', data()), (e: unknown) => e instanceof CommandError && e.code === 2);
  assert.throws(() => fp.configure('failCommand', { times: -1 }, data()), (e: unknown) => e instanceof CommandError && e.code === 2);
  assert.throws(() => fp.configure('failCommand', 'alwaysOn', { failCommands: 'find' }), (e: unknown) => e instanceof CommandError && e.code === 2);
  assert.throws(() => fp.configure('noSuchFailPoint', 'alwaysOn', data()), (e: unknown) => e instanceof CommandError && e.code === 2);
});

test('data flags are parsed from wrapper types', () => {
  const fp = new FailPoints();
  fp.configure('failCommand', 'alwaysOn', { failCommands: ['find'], blockConnection: true, blockTimeMS: new Int32(50), closeConnection: false });
  const fired = fp.evaluate('find', undefined);
  assert.equal(fired?.blockConnection, true);
  assert.equal(fired?.blockTimeMS, 50);
  assert.equal(fired?.closeConnection, false);
  assert.equal(fired?.errorCode, undefined);
});
