// No error path prints any part of a credential, and bad configuration always exits 2.
//
// Random users and passwords (with '@', '/', ':', '%', '?', '#', unicode, ...) go into random
// connection strings, well-formed (percent-encoded) and malformed (raw), and through every
// place that could show them: the connection-string check, `c2c-sync` configuration errors
// (flag, environment variable, config file), the log, redaction of free text, API error
// envelopes. test/support/credentials.ts generates them and finds leaked pieces.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { errorResponse } from '../../../src/api/errors';
import { main } from '../../../src/cli/main';
import { configForLog, resolveServiceConfig } from '../../../src/config';
import { createLogging } from '../../../src/logging';
import { ConnectionStringError, parseClusterConnectionString } from '../../../src/mongo/connection-string';
import {
  forgetRememberedCredentials,
  redactConnectionString,
  redactCredentials,
  redactedMessage,
  rememberCredentialsOf,
  removeFragmentsOf,
} from '../../../src/mongo/redact';
import { assertNoCredential, connectionString, usability, usable } from '../../support/credentials';
import { startMongoSim } from '../../mongo-sim';
import { captureIo } from '../cli/capture-io';

const BAD_CLUSTER1 = 'mongodb://h:1/?w=1';
const dir = mkdtempSync(join(tmpdir(), 'c2c-credential-leaks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => forgetRememberedCredentials());

describe('credentials never leak', () => {
  test('the connection-string check refuses or accepts, and its messages hold no piece of a credential', () => {
    fc.assert(
      fc.property(connectionString, (c) => {
        forgetRememberedCredentials();
        try {
          parseClusterConnectionString('cluster0', c.uri);
        } catch (error) {
          assert.ok(error instanceof ConnectionStringError, `not a ConnectionStringError: ${String(error)}`);
          assertNoCredential(error.message, c, 'the error');
          assert.match(error.message, /^invalid connection string for cluster0: \S/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('a user name or password with an unescaped @ or / is refused, not read as a host', () => {
    for (const uri of ['mongodb://user:s3@cr/t@db.example:27017', 'mongodb://user:s3cr/t@db.example', 'mongodb://user:s3@crt@db.example', 'mongodb://user:s3:crt@h', 'mongodb://us#er:s3crt@h', 'mongodb://user:s3%crt@h', 'mongodb://user:s3%zzcrt@h']) {
      assert.throws(
        () => parseClusterConnectionString('cluster0', uri),
        (error: unknown) => error instanceof ConnectionStringError && /percent-encode|percent-encoding/.test(error.message) && !/s3|cr\/|crt|cr@/.test(error.message),
        uri,
      );
    }
    assert.equal(parseClusterConnectionString('cluster0', `mongodb://user:${encodeURIComponent('p@ss/w:rd%?#')}@db.example:27017/admin`).primaryHost, 'db.example:27017');
    assert.equal(parseClusterConnectionString('cluster0', 'mongodb+srv://user:pw@cluster0.example.net/?authSource=admin').primaryHost, 'cluster0.example.net');
    assert.equal(parseClusterConnectionString('cluster0', 'mongodb://user:pw@[::1]:27017').primaryHost, '[::1]:27017');
  });

  test('c2c-sync exits 2 on any bad connection string, from a flag, the environment or a config file, and prints no piece of a credential', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(connectionString, fc.constantFrom('flag', 'env', 'file'), fc.boolean(), async (c, source, asCluster1) => {
        forgetRememberedCredentials();
        const [mine, other] = asCluster1 ? (['cluster1', 'cluster0'] as const) : (['cluster0', 'cluster1'] as const);
        const capture = captureIo(source === 'env' ? { [`C2C_${mine.toUpperCase()}`]: c.uri } : {});
        const argv = [`--${other}`, BAD_CLUSTER1.replace('w=1', 'readPreference=nearest')];
        if (source === 'flag') argv.push(`--${mine}`, c.uri);
        if (source === 'file') {
          const file = join(dir, `config-${n++}.yaml`);
          writeFileSync(file, `${mine}: ${JSON.stringify(c.uri)}\n`);
          argv.push('--config', file);
        }
        const code = await main(argv, capture.io);
        const output = capture.stdout() + capture.stderr();
        assert.equal(code, 2, output);
        assert.match(capture.stderr(), /^c2c-sync: .*invalid connection string for cluster[01]/);
        assertNoCredential(output, c, 'c2c-sync');
      }),
      { numRuns: 150 },
    );
  });

  test('the log shows connection strings without credentials, and errors quoting them are scrubbed', () => {
    fc.assert(
      fc.property(connectionString, (c) => {
        forgetRememberedCredentials();
        const lines: string[] = [];
        const { logger } = createLogging({ syncId: 's', stream: { write: (line: string) => lines.push(line) } });
        let config;
        try {
          config = resolveServiceConfig({ flags: { cluster0: c.uri, cluster1: 'mongodb://other:27017' }, env: {} });
        } catch {
          // refused: the message was checked above; what is left is what the log may see anyway
        }
        if (config) logger.info(configForLog(config, 'service', 'test'), 'c2c-sync options');
        logger.error({ error: new Error(`connect failed for ${c.uri}`) }, 'preflight failed');
        logger.warn(`cannot reach ${c.uri}: authentication failed`);
        // a message quoting the password alone (which only a usable connection string has)
        if (config && c.password) logger.warn(`the server refused the password ${c.password}`);
        assertNoCredential(lines.join(''), c, 'the log');
      }),
      { numRuns: 200 },
    );
  });

  test('text and API errors quoting a known connection string, or its password alone, are scrubbed', () => {
    fc.assert(
      fc.property(connectionString, (c) => {
        forgetRememberedCredentials();
        // as the configuration does: every string is checked (and its credentials remembered) at start-up
        usable(c.uri);
        assertNoCredential(redactConnectionString(c.uri), c, 'redactConnectionString');
        assertNoCredential(redactCredentials(`failed: ${c.uri} (timeout)`), c, 'redactCredentials');
        if (usability.get(c.uri)) assertNoCredential(redactedMessage(new Error(`auth failed: ${c.rawUserInfo}`)), c, 'redactedMessage');
        if (usability.get(c.uri) && c.password) assertNoCredential(redactedMessage(new Error(`wrong password ${c.password}`)), c, 'redactedMessage');
        assertNoCredential(JSON.stringify(errorResponse('PreflightFailed', `cannot reach cluster0: ${c.uri}`).body), c, 'an API error');
      }),
      { numRuns: 500 },
    );
  });

  test('redaction of text works on malformed strings without knowing them in advance', () => {
    assert.equal(redactCredentials('x mongodb://user:p@ss/word@host:1/db y'), 'x mongodb://<credentials>@host:1/db y');
    assert.equal(redactCredentials('a mongodb://u:p@h and mongodb+srv://v:q@@k end'), 'a mongodb://<credentials>@h and mongodb+srv://<credentials>@k end');
    assert.equal(redactCredentials('mongodb://u:pw@[::1]:27017\nnext line @ here'), 'mongodb://<credentials>@[::1]:27017\nnext line @ here');
    assert.equal(redactCredentials('mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN:abc&tlsCertificateKeyFilePassword=xyz'), 'mongodb://h/?authMechanismProperties=<redacted>&tlsCertificateKeyFilePassword=<redacted>');
    assert.equal(redactCredentials('(cannot reach mongodb://db1:27017,db2:27017).'), '(cannot reach mongodb://db1:27017,db2:27017).');
    assert.equal(redactCredentials('bad: mongodb://admin:s3cret, check it'), 'bad: mongodb://<credentials>, check it');
    assert.equal(removeFragmentsOf('host ssword not found, ab ok', ['p@ssword']), 'host <redacted> not found, ab ok');
  });

  test('an authentication failure from the server names no credential', async () => {
    const sim = await startMongoSim({ auth: true, users: [{ user: 'c2c', password: 'right-Жpw-1' }] });
    try {
      const wrong = sim.uri.replace('mongodb://', `mongodb://c2c:${encodeURIComponent('wrong-Жpw-2')}@`);
      rememberCredentialsOf(wrong);
      const client = new MongoClient(wrong, { serverSelectionTimeoutMS: 3000 });
      const error = await client.db('admin').command({ ping: 1 }).then(
        () => assert.fail('authenticated with a wrong password'),
        (caught: unknown) => caught as Error,
      );
      await client.close();
      const everything = `${error.message} ${redactedMessage(error)} ${JSON.stringify(error)} ${String(error.stack)}`;
      assert.match(error.message, /Authentication failed/);
      assert.doesNotMatch(everything, /Жpw|wrong-|right-/);
    } finally {
      await sim.stop();
    }
  });

  test('driver errors while connecting name hosts, never the user info', async () => {
    const uri = 'mongodb://syncuser:Sëcret%40pw@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300';
    rememberCredentialsOf(uri);
    const client = new MongoClient(uri);
    const error = await client.db('admin').command({ ping: 1 }).then(
      () => assert.fail('connected to a closed port'),
      (caught: unknown) => caught as Error,
    );
    await client.close();
    const shown = redactedMessage(error);
    assert.doesNotMatch(`${shown} ${JSON.stringify(error)}`, /syncuser|Sëcret|%40pw/);
  });
});
