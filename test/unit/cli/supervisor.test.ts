// The embedded Temporal server's supervisor, with a stand-in server: it stops the server when
// the pipe from its parent closes (the parent ended, however), passes SIGTERM on, and exits with
// the server's code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervisedCommand } from '../../../src/temporal/supervisor';
import { isAlive } from '../../../src/temporal/dev-server';
import { waitUntil } from '../../support/poll';

/** A stand-in server: writes its pid, and on SIGTERM writes `stopped` and exits 3. */
const STAND_IN = `
const fs = require('node:fs');
const [dir] = process.argv.slice(1);
fs.writeFileSync(dir + '/pid', String(process.pid));
process.on('SIGTERM', () => { fs.writeFileSync(dir + '/stopped', 'yes'); process.exit(3); });
setInterval(() => {}, 1000);
`;

const until = (condition: () => boolean, what: string): Promise<void> => waitUntil(async () => condition(), { what, timeoutMs: 20_000, intervalMs: 25 });

function startSupervised(dir: string): { supervisor: ChildProcess; exited: Promise<number | null> } {
  const { command, args } = supervisedCommand(process.execPath, ['-e', STAND_IN, dir]);
  const supervisor = spawn(command, args, { stdio: ['pipe', 'ignore', 'inherit'], detached: true });
  const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
  return { supervisor, exited };
}

describe('the embedded server supervisor', () => {
  test('the parent ending (its end of the pipe closes) stops the server gracefully', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2c-supervisor-'));
    try {
      const { supervisor, exited } = startSupervised(dir);
      await until(() => existsSync(join(dir, 'pid')), 'the stand-in server');
      const server = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      assert.ok(isAlive(server));
      supervisor.stdin!.end();
      assert.equal(await exited, 3, 'the supervisor exits with the server’s code');
      assert.equal(readFileSync(join(dir, 'stopped'), 'utf8'), 'yes', 'the server got SIGTERM');
      await until(() => !isAlive(server), 'the server to end');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM to the supervisor is passed on to the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2c-supervisor-'));
    try {
      const { supervisor, exited } = startSupervised(dir);
      await until(() => existsSync(join(dir, 'pid')), 'the stand-in server');
      supervisor.kill('SIGTERM');
      assert.equal(await exited, 3);
      assert.ok(existsSync(join(dir, 'stopped')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a parent killed with SIGKILL takes the server down with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2c-supervisor-'));
    try {
      // the parent holds the pipe and is killed without a chance to clean up
      const { command, args } = supervisedCommand(process.execPath, ['-e', STAND_IN, dir]);
      const parentScript = `require('node:child_process').spawn(${JSON.stringify(command)}, ${JSON.stringify(args)}, { stdio: ['pipe', 'ignore', 'inherit'], detached: true }); setInterval(() => {}, 1000);`;
      const parent = spawn(process.execPath, ['-e', parentScript], { stdio: 'ignore' });
      await until(() => existsSync(join(dir, 'pid')), 'the stand-in server');
      const server = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      parent.kill('SIGKILL');
      await until(() => !isAlive(server), 'the server to end after its grandparent was killed');
      assert.ok(existsSync(join(dir, 'stopped')), 'stopped with SIGTERM, not killed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
