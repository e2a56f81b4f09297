// The command line: parsing, help and version, /start bodies from flags, and exit codes.
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { helpText, parseCommandLine, START_BODY_FLAGS, UsageError } from '../../../src/cli/commands';
import { buildStartBody } from '../../../src/cli/start-body';
import { main } from '../../../src/cli/main';
import { VERSION } from '../../../src/cli/version';
import { startRequestBodySchema } from '../../../src/sync/start-options';
import { captureIo } from './capture-io';

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('parseCommandLine', () => {
  test('no subcommand runs the service; subcommands are recognised', () => {
    assert.deepEqual(parseCommandLine(['--cluster0', 'a', '--cluster1', 'b', '--port', '1']), {
      command: 'service',
      flags: { cluster0: 'a', cluster1: 'b', port: '1' },
    });
    assert.equal(parseCommandLine(['worker', '--cluster0', 'a']).command, 'worker');
    assert.deepEqual(parseCommandLine(['progress', '--watch', '--until', 'canCommit']).flags, { watch: true, until: 'canCommit' });
    assert.deepEqual(parseCommandLine(['help', 'start']), { command: 'help', flags: {}, topic: 'start' });
    assert.deepEqual(parseCommandLine(['--logPath', '/l', '--acceptDisclaimer']).flags, { logPath: '/l', acceptDisclaimer: true });
  });

  test('unknown commands, unknown flags, missing values and stray arguments are usage errors', () => {
    const cases: [string[], RegExp][] = [
      [['stop'], /unknown command 'stop'/],
      [['service'], /unknown command 'service'/],
      [['--prot', '1'], /Unknown option '--prot'/],
      [['--port'], /argument missing/],
      [['pause', '--cluster0', 'x'], /Unknown option '--cluster0'/],
      [['pause', 'now'], /unexpected argument 'now'/],
      [['progress', '--watch=yes'], /does not take an argument/],
    ];
    for (const [argv, pattern] of cases) {
      assert.throws(() => parseCommandLine(argv), (error: unknown) => error instanceof UsageError && pattern.test(error.message), argv.join(' '));
    }
  });

  test('every /start body field has a kebab-case flag', () => {
    assert.deepEqual(Object.values(START_BODY_FLAGS).sort(), Object.keys(startRequestBodySchema.shape).sort());
    assert.equal(START_BODY_FLAGS['enable-user-write-blocking'], 'enableUserWriteBlocking');
    assert.match(helpText('start'), /--include-namespaces/);
  });
});

describe('buildStartBody', () => {
  test('flag values are JSON when they parse, strings otherwise', () => {
    const { flags } = parseCommandLine([
      'start',
      '--source', 'cluster0',
      '--destination', 'cluster1',
      '--reversible', 'true',
      '--enable-user-write-blocking', 'sourceAndDestination',
      '--include-namespaces', '[{"database":"sales"}]',
      '--verification', '{"enabled":false}',
    ]);
    assert.deepEqual(buildStartBody(flags), {
      source: 'cluster0',
      destination: 'cluster1',
      reversible: true,
      enableUserWriteBlocking: 'sourceAndDestination',
      includeNamespaces: [{ database: 'sales' }],
      verification: { enabled: false },
    });
  });

  test('--body gives the whole body and field flags override it', () => {
    const { flags } = parseCommandLine(['start', '--body', '{"source":"cluster1","destination":"cluster0","reversible":false}', '--reversible', 'true']);
    assert.deepEqual(buildStartBody(flags), { source: 'cluster1', destination: 'cluster0', reversible: true });
    assert.throws(() => buildStartBody({ body: '{oops' }), /--body is not valid JSON/);
    assert.throws(() => buildStartBody({ body: '[1]' }), /--body must be a JSON object/);
  });
});

describe('main', () => {
  test('--version and -v print the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const capture = captureIo();
      assert.equal(await main([flag], capture.io), 0);
      assert.equal(capture.stdout(), `c2c-sync ${VERSION}\n`);
    }
  });

  test('--help, -h and help <command> print usage on stdout', async () => {
    let capture = captureIo();
    assert.equal(await main(['--help'], capture.io), 0);
    assert.match(capture.stdout(), /Usage:\n {2}c2c-sync --cluster0 URI --cluster1 URI/);
    assert.match(capture.stdout(), /--temporal-address HOST:PORT .*\[TEMPORAL_ADDRESS\]/);
    capture = captureIo();
    assert.equal(await main(['progress', '-h'], capture.io), 0);
    assert.match(capture.stdout(), /Usage: c2c-sync progress/);
    capture = captureIo();
    assert.equal(await main(['help', 'worker'], capture.io), 0);
    assert.match(capture.stdout(), /Usage: c2c-sync worker/);
  });

  test('usage and configuration errors exit 2 with the problem on stderr and no credentials', async () => {
    let capture = captureIo();
    assert.equal(await main(['--cluster0', 'mongodb://root:pa55@h:1/?socketTimeoutMS=5', '--cluster1', 'mongodb://h:2'], capture.io), 2);
    assert.match(capture.stderr(), /^c2c-sync: --cluster0: invalid connection string for cluster0: socketTimeoutMS is not allowed\nRun 'c2c-sync --help' for usage\.\n$/);
    assert.doesNotMatch(capture.stderr(), /pa55/);
    capture = captureIo({ C2C_PORT: 'x' });
    assert.equal(await main(['--cluster0', 'mongodb://h:1', '--cluster1', 'mongodb://h:2'], capture.io), 2);
    assert.match(capture.stderr(), /environment variable C2C_PORT: must be an integer/);
    capture = captureIo();
    assert.equal(await main(['reverse', '--nope'], capture.io), 2);
    assert.equal(capture.stdout(), '');
  });

  test('a client command against an API that is not there exits 1 and says where it looked', async () => {
    const port = await closedPort();
    const capture = captureIo();
    assert.equal(await main(['progress', '--port', String(port), '--host', '127.0.0.1'], capture.io), 1);
    assert.equal(capture.stderr(), `c2c-sync: cannot reach the c2c-sync API at http://127.0.0.1:${port} (ECONNREFUSED); is c2c-sync running there?\n`);
  });
});
