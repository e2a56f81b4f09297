import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionStringError, parseClusterConnectionString } from '../../../src/mongo/connection-string';

test('accepts ordinary connection strings and reports the first host', () => {
  assert.deepEqual(parseClusterConnectionString('cluster0', 'mongodb://u:p@db1.example:27017,db2.example:27018/?replicaSet=rs0'), {
    primaryHost: 'db1.example:27017',
    hosts: ['db1.example:27017', 'db2.example:27018'],
  });
  assert.equal(parseClusterConnectionString('cluster1', 'mongodb://localhost').primaryHost, 'localhost:27017');
});

test("refuses what mongosync refuses, naming the cluster and never the password", () => {
  const cases: [string, RegExp][] = [
    ['mongodb://u:pw-secret@h:1/?readConcernLevel=local', /cluster0.*read concern must be majority/],
    ['mongodb://u:pw-secret@h:1/?w=1', /cluster0.*write concern must be majority/],
    ['mongodb://u:pw-secret@h:1/?readPreference=secondary', /cluster0.*read preference must be primary/],
    ['mongodb://u:pw-secret@h:1/?socketTimeoutMS=1000', /cluster0.*socketTimeoutMS is not allowed/],
    ['postgres://u:pw-secret@h:1/', /cluster0: invalid connection string|invalid connection string for cluster0/],
    ['mongodb://u:pw-secret@h:1/?unknownOption=%', /invalid connection string for cluster0/],
  ];
  for (const [uri, pattern] of cases) {
    assert.throws(
      () => parseClusterConnectionString('cluster0', uri),
      (error: unknown) => error instanceof ConnectionStringError && pattern.test(error.message) && !error.message.includes('pw-secret'),
      uri,
    );
  }
  assert.doesNotThrow(() => parseClusterConnectionString('cluster0', 'mongodb://h:1/?w=majority&readConcernLevel=majority&readPreference=primary'));
});
