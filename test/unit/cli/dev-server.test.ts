// The embedded Temporal server's command line and its port checks (no server is started).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevServerError, devServerArgs, PortTakenError, startDevServer } from '../../../src/temporal/dev-server';
import { SEARCH_ATTRIBUTES } from '../../../src/workflows/search-attributes';

describe('embedded Temporal server', () => {
  test('start-dev gets the database file, addresses, UI port and the sync’s search attributes', () => {
    const args = devServerArgs({ dbFile: '/state/temporal.db', ip: '127.0.0.1', port: 7233, uiPort: 8233, namespace: 'default', searchAttributes: SEARCH_ATTRIBUTES });
    assert.deepEqual(args, [
      'server', 'start-dev',
      '--db-filename', '/state/temporal.db',
      '--ip', '127.0.0.1',
      '--port', '7233',
      '--ui-port', '8233',
      '--search-attribute', 'C2cSyncState=Keyword',
      '--search-attribute', 'C2cSyncId=Keyword',
      '--log-format', 'json',
      '--log-level', 'warn',
    ]);
    assert.ok(!args.includes('--headless'), 'the Web UI stays on');
    const other = devServerArgs({ dbFile: 'd', ip: '0.0.0.0', port: 1, uiPort: 2, namespace: 'sync', searchAttributes: [] });
    assert.deepEqual(other.slice(10, 12), ['--namespace', 'sync']);
  });

  test('a port already in use is refused before anything starts, with what to do about it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const stateDir = mkdtempSync(join(tmpdir(), 'c2c-dev-server-'));
    try {
      await assert.rejects(
        startDevServer({ cliPath: '/nonexistent/temporal', stateDir, port, uiPort: 0, searchAttributes: [] }),
        (error: unknown) =>
          error instanceof DevServerError &&
          error.message === `port ${port} for the embedded Temporal server is already in use on 127.0.0.1: choose another (0 picks a free one) or give --temporal-address to use a running Temporal server`,
      );
    } finally {
      blocker.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
  /** A stand-in CLI that logs `error` as the server does (JSON), counts its launches, and exits 1. */
  function failingCli(dir: string, error: string): { path: string; launches: () => number } {
    const path = join(dir, 'temporal');
    const counter = join(dir, 'launches');
    writeFileSync(counter, '');
    const entry = JSON.stringify({ level: 'error', msg: 'Failed to start gRPC listener', error });
    writeFileSync(
      path,
      `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(counter)}, 'x');\nconsole.log(${JSON.stringify(entry)});\nconsole.log('goroutine 1 [running]:');\nprocess.exit(1);\n`,
    );
    chmodSync(path, 0o755);
    return { path, launches: () => readFileSync(counter, 'utf8').length };
  }

  test('a picked port taken before the server binds it is picked again, a bounded number of times, and the error names the cause', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'c2c-dev-server-'));
    try {
      const cli = failingCli(stateDir, 'listen tcp 127.0.0.1:39687: bind: address already in use');
      await assert.rejects(
        startDevServer({ cliPath: cli.path, stateDir, port: 0, uiPort: 0, searchAttributes: [], startTimeoutMs: 20_000 }),
        (error: unknown) => error instanceof PortTakenError && /it logged: Failed to start gRPC listener: listen tcp 127\.0\.0\.1:39687: bind: address already in use/.test(error.message),
      );
      assert.equal(cli.launches(), 3, 'three launches, each on freshly picked ports');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('any other start failure is not retried', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'c2c-dev-server-'));
    try {
      const cli = failingCli(stateDir, 'unable to open database file');
      await assert.rejects(
        startDevServer({ cliPath: cli.path, stateDir, port: 0, uiPort: 0, searchAttributes: [], startTimeoutMs: 20_000 }),
        (error: unknown) => error instanceof DevServerError && !(error instanceof PortTakenError) && /it logged: Failed to start gRPC listener: unable to open database file/.test(error.message),
      );
      assert.equal(cli.launches(), 1);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
