// Configuration from flags, environment and a mongosync-style YAML file: precedence, validation
// messages that name their source, and connection strings that never leak credentials.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiUrlFor, ConfigError, configForLog, DEFAULT_TASK_QUEUE, parseTuning, resolveClientConfig, resolveServiceConfig, type FlagValues } from '../../../src/config';
import { resolveApiTarget, resolveApiUrl } from '../../../src/cli/api-client';

const dir = mkdtempSync(join(tmpdir(), 'c2c-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function yamlFile(content: string): string {
  const path = join(dir, `config-${files++}.yaml`);
  writeFileSync(path, content);
  return path;
}

const A = 'mongodb://a.example:27017/?replicaSet=rs0';
const B = 'mongodb://b.example:27017/?replicaSet=rs1';

function service(flags: FlagValues, env: NodeJS.ProcessEnv = {}) {
  return resolveServiceConfig({ flags, env });
}

function configError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('service configuration', () => {
  test('defaults: port 27182 on localhost, id default, embedded Temporal on 7233/8233', () => {
    const config = service({ cluster0: A, cluster1: B }, { HOME: '/home/u' });
    assert.equal(config.port, 27182);
    assert.equal(config.host, 'localhost');
    assert.equal(config.id, 'default');
    assert.equal(config.verbosity, 'INFO');
    assert.equal(config.temporalAddress, undefined);
    assert.equal(config.temporalNamespace, 'default');
    assert.equal(config.taskQueue, 'c2c-sync');
    assert.equal(config.temporalPort, 7233);
    assert.equal(config.temporalUiPort, 8233);
    assert.equal(config.temporalHost, '127.0.0.1');
    assert.equal(config.maxConcurrentActivities, 16);
    assert.equal(config.logPath, undefined);
    assert.deepEqual(config.warnings, []);
  });

  test('the default task queue is c2c-sync', () => {
    assert.equal(DEFAULT_TASK_QUEUE, 'c2c-sync');
    assert.equal(service({ cluster0: A, cluster1: B }, {}).taskQueue, 'c2c-sync');
  });

  test('the state directory follows XDG_STATE_HOME, and --state-dir wins', () => {
    assert.equal(service({ cluster0: A, cluster1: B }, { XDG_STATE_HOME: '/var/state' }).stateDir, '/var/state/c2c-sync');
    assert.equal(service({ cluster0: A, cluster1: B, 'state-dir': '/srv/c2c' }, { XDG_STATE_HOME: '/var/state' }).stateDir, '/srv/c2c');
  });

  test('a mongosync config file is read with its keys', () => {
    const file = yamlFile(`cluster0: "${A}"\ncluster1: "${B}"\nport: 27200\nid: shard-a\nlogPath: ${dir}/logs\nverbosity: debug\n`);
    const config = service({ config: file });
    assert.equal(config.cluster0, A);
    assert.equal(config.cluster1, B);
    assert.equal(config.port, 27200);
    assert.equal(config.id, 'shard-a');
    assert.equal(config.logPath, join(dir, 'logs'));
    assert.equal(config.verbosity, 'DEBUG');
    assert.equal(config.configFile, file);
  });

  test('flags override environment variables, which override the config file', () => {
    const file = yamlFile(`cluster0: "${A}"\ncluster1: "${B}"\nport: 1001\nid: from-file\nhost: 10.0.0.1\napiToken: file-token-0123456789\ntemporalAddress: file:7233\n`);
    const env = { C2C_CONFIG: file, C2C_PORT: '1002', C2C_ID: 'from-env', TEMPORAL_ADDRESS: 'env:7233' };
    let config = service({}, env);
    assert.deepEqual([config.port, config.id, config.host, config.temporalAddress], [1002, 'from-env', '10.0.0.1', 'env:7233']);
    config = service({ port: '1003', 'temporal-address': 'flag:7233' }, env);
    assert.deepEqual([config.port, config.id, config.temporalAddress], [1003, 'from-env', 'flag:7233']);
    config = service({ config: yamlFile(`cluster0: "${B}"\ncluster1: "${A}"\n`) }, env);
    assert.equal(config.cluster0, B, '--config wins over C2C_CONFIG');
  });

  test('environment variables: every documented one is read', () => {
    const config = service(
      {},
      {
        C2C_CLUSTER0: A,
        C2C_CLUSTER1: B,
        C2C_PORT: '0',
        C2C_HOST: '0.0.0.0',
        C2C_ID: 'x1',
        C2C_LOG_PATH: '/tmp/logs',
        C2C_VERBOSITY: 'warn',
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_NAMESPACE: 'sync',
        C2C_TASK_QUEUE: 'q1',
        C2C_STATE_DIR: '/tmp/state',
        C2C_TEMPORAL_HOST: '0.0.0.0',
        C2C_TEMPORAL_PORT: '17233',
        C2C_TEMPORAL_UI_PORT: '18233',
        C2C_MAX_CONCURRENT_ACTIVITIES: '4',
        C2C_TUNING: '{"applyIterationMs":500}',
        C2C_API_TOKEN: 'token-of-sixteen-chars',
        C2C_ALLOWED_HOSTS: 'sync.example.com, 10.0.0.9',
        C2C_TLS_CERT: '/tmp/cert.pem',
        C2C_TLS_KEY: '/tmp/key.pem',
      },
    );
    assert.deepEqual(
      { ...config, warnings: undefined },
      {
        cluster0: A,
        cluster1: B,
        port: 0,
        host: '0.0.0.0',
        apiToken: 'token-of-sixteen-chars',
        allowedHosts: ['sync.example.com', '10.0.0.9'],
        tls: { certFile: '/tmp/cert.pem', keyFile: '/tmp/key.pem' },
        id: 'x1',
        logPath: '/tmp/logs',
        verbosity: 'WARN',
        temporalAddress: 'temporal.internal:7233',
        temporalNamespace: 'sync',
        taskQueue: 'q1',
        stateDir: '/tmp/state',
        temporalHost: '0.0.0.0',
        temporalPort: 17233,
        temporalUiPort: 18233,
        maxConcurrentActivities: 4,
        tuning: { applyIterationMs: 500 },
        warnings: undefined,
      },
    );
  });

  test('an API reachable beyond loopback needs a token; the token is never shown', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'sync.internal']) {
      configError(() => service({ cluster0: A, cluster1: B, host }), new RegExp(`^--host: the API would listen on ${host.replace(/\./g, '\\.')}, .*without an API token; set one with --api-token`));
    }
    for (const host of ['localhost', '127.0.0.1', '::1']) assert.equal(service({ cluster0: A, cluster1: B, host }).apiToken, undefined);
    assert.equal(service({ cluster0: A, cluster1: B, host: '0.0.0.0', 'api-token': 'sixteen-chars-ok' }).apiToken, 'sixteen-chars-ok');
    assert.throws(
      () => service({ cluster0: A, cluster1: B, 'api-token': 'short secret' }),
      (error: unknown) => error instanceof ConfigError && /^--api-token: must be 16 to 1024 printable characters/.test(error.message) && !error.message.includes('short secret'),
    );
    const logged = JSON.stringify(configForLog(service({ cluster0: A, cluster1: B, 'api-token': 'never-logged-token-1' }), 'service', 'v'));
    assert.ok(!logged.includes('never-logged-token-1') && logged.includes('"apiToken":"(set)"'), logged);
  });

  test('HTTPS needs both a certificate and a key', () => {
    configError(() => service({ cluster0: A, cluster1: B, 'tls-cert': 'c.pem' }), /^--tls-cert: HTTPS needs both a certificate and its key/);
    configError(() => service({ cluster0: A, cluster1: B }, { C2C_TLS_KEY: 'k.pem' }), /^environment variable C2C_TLS_KEY: HTTPS needs both/);
    configError(() => service({ cluster0: A, cluster1: B, 'allowed-hosts': 'good.example,bad host' }), /^--allowed-hosts: must be host names/);
  });

  test('invalid values are refused with the flag, variable or file key named', () => {
    configError(() => service({ cluster0: A, cluster1: B, port: 'http' }), /^--port: must be an integer from 0 to 65535 \(got "http"\)$/);
    configError(() => service({ cluster0: A, cluster1: B }, { C2C_PORT: '70000' }), /^environment variable C2C_PORT: must be an integer from 0 to 65535/);
    const file = yamlFile(`cluster0: "${A}"\ncluster1: "${B}"\nport: 27182.5\n`);
    configError(() => service({ config: file }), new RegExp(`^config file ${file}, key 'port': must be an integer`));
    configError(() => service({ cluster0: A, cluster1: B, verbosity: 'LOUD' }), /^--verbosity: must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, PANIC/);
    configError(() => service({ cluster0: A, cluster1: B, id: 'a b' }), /^--id: must be 1-64 letters/);
    configError(() => service({ cluster0: A, cluster1: B, 'temporal-address': 'http://x' }), /^--temporal-address: must be HOST:PORT/);
    configError(() => service({ cluster0: A, cluster1: B, 'max-concurrent-activities': '0' }), /^--max-concurrent-activities: must be an integer from 1 to 1024/);
    configError(() => service({ config: yamlFile(`cluster0: "${A}"\ncluster1: "${B}"\nid: [1]\n`) }), /key 'id': must be a string/);
  });

  test('unknown config keys, bad YAML, non-mappings and missing files are refused', () => {
    const typo = yamlFile(`cluster0: "${A}"\ncluster1: "${B}"\nprot: 1\n`);
    configError(() => service({ config: typo }), new RegExp(`^config file ${typo}: unknown key 'prot' \\(known keys: cluster0, cluster1, port`));
    configError(() => service({ config: yamlFile('port: [1\nid: x\n') }), /is not valid YAML at line \d/);
    configError(() => service({ config: yamlFile('- cluster0\n- cluster1\n') }), /must be a YAML mapping/);
    configError(() => service({ config: join(dir, 'missing.yaml') }), /cannot read config file .*missing\.yaml: ENOENT/);
  });

  test('both clusters are required, and connection strings follow mongosync’s rules without leaking credentials', () => {
    configError(() => service({ cluster1: B }), /^cluster0 is required: give --cluster0 URI, set C2C_CLUSTER0, or put cluster0 in the config file$/);
    configError(() => service({ cluster0: A }), /^cluster1 is required/);
    const secret = 'mongodb://admin:s3cr3t-pw@a.example:27017/?w=1';
    for (const attempt of [
      () => service({ cluster0: secret, cluster1: B }),
      () => service({}, { C2C_CLUSTER0: secret, C2C_CLUSTER1: B }),
      () => service({ config: yamlFile(`cluster0: "${secret}"\ncluster1: "${B}"\n`) }),
    ]) {
      assert.throws(attempt, (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /write concern must be majority/);
        assert.doesNotMatch(error.message, /s3cr3t|admin/);
        return true;
      });
    }
    configError(() => service({ cluster0: A, cluster1: 'mongodb://b/?readPreference=secondary' }), /^--cluster1: invalid connection string for cluster1: read preference must be primary/);
    configError(() => service({ cluster0: 'not a uri', cluster1: B }), /^--cluster0: invalid connection string for cluster0/);
  });

  test('mongosync options without meaning here are accepted with a warning', () => {
    const file = yamlFile(`cluster0: "${A}"\ncluster1: "${B}"\nacceptDisclaimer: true\nloadLevel: 3\n`);
    const config = service({ config: file, disableTelemetry: true });
    assert.equal(config.warnings.length, 3);
    assert.match(config.warnings.join('\n'), /'acceptDisclaimer' has no effect/);
    assert.match(config.warnings.join('\n'), /--disableTelemetry has no effect/);
  });

  test('--log-path is an alias of mongosync’s --logPath', () => {
    assert.equal(service({ cluster0: A, cluster1: B, 'log-path': '/tmp/l' }).logPath, '/tmp/l');
    configError(() => service({ cluster0: A, cluster1: B, logPath: ' ' }), /^--logPath: must be a directory/);
  });

  test('C2C_TUNING takes known positive integer knobs only', () => {
    assert.deepEqual(parseTuning('{"copyConcurrency":2,"applyIterationMs":300}'), { copyConcurrency: 2, applyIterationMs: 300 });
    assert.equal(parseTuning(undefined), undefined);
    assert.throws(() => parseTuning('{"speed":11}'), /unknown knob 'speed'/);
    assert.throws(() => parseTuning('{"copyConcurrency":0}'), /'copyConcurrency'/);
    assert.throws(() => parseTuning('fast'), /must be a JSON object/);
  });
});

describe('client configuration', () => {
  test('host and port come from flags, environment or the config file; clusters are not needed', () => {
    assert.deepEqual(resolveClientConfig({ flags: {}, env: {} }), { host: 'localhost', port: 27182, id: 'default', scheme: 'http' });
    const file = yamlFile('port: 27300\nhost: 10.1.1.1\napiToken: token-from-the-file-1\ntlsCert: c.pem\n');
    assert.deepEqual(resolveClientConfig({ flags: { config: file }, env: { C2C_PORT: '27301' } }), {
      host: '10.1.1.1',
      port: 27301,
      id: 'default',
      apiToken: 'token-from-the-file-1',
      scheme: 'https',
    });
  });

  test('the API URL: --api, C2C_API, or built from host and port', () => {
    assert.equal(resolveApiUrl({ flags: { api: 'http://sync.internal:9000/' }, env: {} }), 'http://sync.internal:9000');
    assert.equal(resolveApiUrl({ flags: {}, env: { C2C_API: 'https://x:1' } }), 'https://x:1');
    assert.equal(resolveApiUrl({ flags: { port: '27999' }, env: {} }), 'http://localhost:27999');
    assert.throws(() => resolveApiUrl({ flags: { api: 'sync.internal' }, env: {} }), /--api: 'sync.internal' is not a URL/);
    assert.throws(() => resolveApiUrl({ flags: {}, env: { C2C_API: 'ftp://x' } }), /C2C_API: expected an http/);
  });

  test('the client sends the token from --api-token, C2C_API_TOKEN or the config file', () => {
    assert.deepEqual(resolveApiTarget({ flags: { 'api-token': 'flag-token-0123456789' }, env: { C2C_API_TOKEN: 'env-token-0123456789' } }), {
      baseUrl: 'http://localhost:27182',
      token: 'flag-token-0123456789',
    });
    assert.deepEqual(resolveApiTarget({ flags: {}, env: {} }), { baseUrl: 'http://localhost:27182' });
  });

  test('wildcard listen addresses map to loopback, IPv6 is bracketed', () => {
    assert.equal(apiUrlFor('0.0.0.0', 1), 'http://127.0.0.1:1');
    assert.equal(apiUrlFor('::', 1), 'http://[::1]:1');
    assert.equal(apiUrlFor('fe80::1', 2), 'http://[fe80::1]:2');
    assert.equal(apiUrlFor('localhost', 3), 'http://localhost:3');
    assert.equal(apiUrlFor('localhost', 3, 'https'), 'https://localhost:3');
  });
});
