// Bad configuration, as a user meets it: `c2c-sync` in a child process exits 2 with a message
// that names what is wrong and shows no piece of any credential. No Temporal server or
// cluster is needed: every case fails before the service would start.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { assertNoCredential, connectionString } from '../support/credentials';
import { runCli } from './cli-process';

const dir = mkdtempSync(join(tmpdir(), 'c2c-config-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = 'mongodb://localhost:27017';

function assertRefused(result: { code: number | null; stdout: string; stderr: string }, message: RegExp, secrets: string[]): void {
  const output = result.stdout + result.stderr;
  assert.equal(result.code, 2, output);
  assert.match(result.stderr, message);
  for (const secret of secrets) assert.ok(!output.includes(secret), `the output shows ${JSON.stringify(secret)}:\n${output}`);
}

describe('c2c-sync with bad configuration', () => {
  test("a password with an unescaped '@' and '/' in --cluster0: exit 2, no piece of the password", async () => {
    const result = await runCli(['--cluster0', 'mongodb://syncer:Zq7@xW/9vK@db.example:27017/admin', '--cluster1', GOOD]);
    assertRefused(result, /--cluster0: invalid connection string for cluster0: an '@' follows the host list.*percent-encode '@' as %40/, ['Zq7', 'xW/', '9vK', 'syncer']);
  });

  test('a password with an unescaped @ in C2C_CLUSTER1 and user:password without a host in the config file', async () => {
    const fromEnv = await runCli(['--cluster0', GOOD], { C2C_CLUSTER1: 'mongodb://syncer:Zq7@xW@db.example' });
    assertRefused(fromEnv, /environment variable C2C_CLUSTER1: invalid connection string for cluster1: .*more than one '@'/, ['Zq7', 'xW@', 'syncer']);
    const file = join(dir, 'no-host.yaml');
    writeFileSync(file, 'cluster0: "mongodb://syncer:Zq7xW9vK"\ncluster1: "mongodb://localhost"\n');
    const fromFile = await runCli(['--config', file]);
    assertRefused(fromFile, /config file .*no-host\.yaml, key 'cluster0': invalid connection string for cluster0: host 1 of 1 .*user:password/, ['Zq7', 'xW9', 'syncer']);
  });

  test('a connection string given where a command belongs, and an unusable log or state directory: exit 2', async () => {
    const misplaced = await runCli(['mongodb://syncer:Zq7@xW/9vK@db.example']);
    assertRefused(misplaced, /unknown command/, ['Zq7', 'xW/', '9vK', 'syncer']);
    const notADirectory = join(dir, 'a-file');
    writeFileSync(notADirectory, '');
    const logPath = await runCli(['--cluster0', GOOD, '--cluster1', 'mongodb://localhost:27018', '--logPath', join(notADirectory, 'logs'), '--temporal-address', '127.0.0.1:1']);
    assertRefused(logPath, /logPath .*cannot write the log file/, []);
    const stateDir = await runCli(['--cluster0', GOOD, '--cluster1', 'mongodb://localhost:27018', '--state-dir', join(notADirectory, 'state')]);
    assertRefused(stateDir, /stateDir .*cannot create or write it \(ENOTDIR\)/, []);
  });

  test('random credentials in random connection strings: exit 2, no piece of them in the output (a sample; the unit test runs many)', async () => {
    await fc.assert(
      fc.asyncProperty(connectionString, async (c) => {
        const result = await runCli(['--cluster0', c.uri, '--cluster1', 'mongodb://localhost/?readPreference=nearest']);
        const output = result.stdout + result.stderr;
        assert.equal(result.code, 2, output);
        assert.match(result.stderr, /invalid connection string for cluster[01]/);
        assertNoCredential(output, c, 'c2c-sync');
      }),
      { numRuns: 4 },
    );
  });
});
