import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { redactCredentials, redactedMessage } from '../../../src/mongo/redact';

test('user and password disappear from connection strings inside any text', () => {
  assert.equal(
    redactCredentials('failed to connect to mongodb://alice:s3cret@db1:27017,db2:27017/?replicaSet=rs0 (timeout)'),
    'failed to connect to mongodb://<credentials>@db1:27017,db2:27017/?replicaSet=rs0 (timeout)',
  );
  assert.equal(redactCredentials('mongodb+srv://bob:pw@cluster.example.net/db'), 'mongodb+srv://<credentials>@cluster.example.net/db');
  assert.equal(redactCredentials('mongodb://h:1/?authMechanismProperties=AWS_SESSION_TOKEN:abc&w=majority'), 'mongodb://h:1/?authMechanismProperties=<redacted>&w=majority');
  assert.equal(redactCredentials('mongodb://db1:27017/?replicaSet=rs0'), 'mongodb://db1:27017/?replicaSet=rs0');
});

test('no generated password survives redaction', () => {
  // Passwords carry a marker that the rest of the text never contains, so `includes` is exact.
  const password = fc.stringMatching(/^[A-Za-z0-9%!*()~-]{1,20}$/).map((s) => `QZ${s}`);
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), password, (user, secret) => {
      const text = `error: mongodb://${user}:${secret}@localhost:27017/admin?authSource=admin`;
      assert.ok(!redactCredentials(text).includes(secret));
      assert.ok(!redactedMessage(new Error(text)).includes(secret));
    }),
  );
});
