import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliUsageError, parseCliArgs } from './cli-args';

test('defaults: port 0, rs0, 127.0.0.1, no auth, 192 MB oplog, 7.0', () => {
  const options = parseCliArgs([]);
  assert.equal(options.port, 0);
  assert.equal(options.replSet, 'rs0');
  assert.equal(options.host, '127.0.0.1');
  assert.equal(options.auth, false);
  assert.equal(options.oplogSizeMB, 192);
  assert.equal(options.version, '7.0');
});

test('all flags, in both --flag value and --flag=value forms, with repeated users', () => {
  const options = parseCliArgs(['--port', '27100', '--replSet=rsX', '--host', 'localhost', '--auth', '--user', 'a:p:w', '--user=b:q', '--oplogSizeMB', '1', '--version', '8.0']);
  assert.equal(options.port, 27100);
  assert.equal(options.replSet, 'rsX');
  assert.equal(options.host, 'localhost');
  assert.equal(options.auth, true);
  assert.deepEqual(options.users, [
    { user: 'a', password: 'p:w' },
    { user: 'b', password: 'q' },
  ]);
  assert.equal(options.oplogSizeMB, 1);
  assert.equal(options.version, '8.0');
});

test('bad flags give a clear usage error', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /unknown argument '--bogus'/],
    [['--port', 'abc'], /--port:/],
    [['--port', '70000'], /--port:/],
    [['--port'], /--port needs a value/],
    [['--user', 'nopassword'], /--user: expected NAME:PASSWORD/],
    [['--version', '5.0'], /--version:/],
    [['--auth'], /--auth needs at least one --user/],
    [['--port', '1', '--port', '2'], /--port given twice/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseCliArgs(argv), (e: unknown) => e instanceof CliUsageError && message.test(e.message), argv.join(' '));
  }
});
