// Every way the service or the demo ends stops what it started: no process is left and the
// ports are free again. Ctrl-C on `npm run demo | tee` (the terminal sends SIGINT to the whole
// foreground group, tee included), and a service that fails after its embedded Temporal server
// started. (SIGINT, SIGTERM and kill -9 of the service are in cli.test.ts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { pollUntil, waitUntil } from '../support/poll';
import { runCli } from './cli-process';

const ROOT = join(__dirname, '..', '..');

let pair: ClusterPair;
let dir: string;

before(async () => {
  pair = await startClusterPair();
  dir = mkdtempSync(join(tmpdir(), 'c2c-exits-e2e-'));
});

after(async () => {
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Pids of the processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function assertAllGone(marker: string, ports: number[]): Promise<void> {
  await waitUntil(async () => processesMentioning(marker).length === 0, { what: `every process of ${marker} to end`, timeoutMs: 30_000 });
  for (const port of ports) assert.ok(await portIsFree(port), `port ${port} is free again`);
}

describe('clean exits', () => {
  test('Ctrl-C on `npm run demo | tee`: the embedded Temporal server, its UI and the API stop; no process is left', async () => {
    const output = join(dir, 'demo.out');
    // its own process group, like a terminal's foreground job
    const job = spawn('sh', ['-c', 'npm run demo 2>&1 | tee "$0" >/dev/null', output], { cwd: ROOT, detached: true, stdio: 'ignore' });
    const ended = new Promise<void>((resolve) => job.once('exit', () => resolve()));
    const text = (): string => {
      try {
        return readFileSync(output, 'utf8');
      } catch {
        return '';
      }
    };
    const banner = await pollUntil(async () => (/POST \/api\/v1\/start/.test(text()) ? text() : undefined), {
      what: 'the demo to start its sync',
      timeoutMs: 240_000,
      intervalMs: 250,
    });
    const workDir = /logs: (\S+)\/logs\/c2c-sync\.log/.exec(banner)?.[1];
    assert.ok(workDir, banner);
    const ports = [
      Number(/API: +https?:\/\/[^:]+:(\d+)/.exec(banner)?.[1]),
      Number(/Temporal: +[^\s:]+:(\d+)/.exec(banner)?.[1]),
      Number(/Temporal UI: +https?:\/\/[^:]+:(\d+)/.exec(banner)?.[1]),
    ];
    assert.ok(ports.every((port) => port > 0), banner);
    assert.ok(processesMentioning(workDir).length > 0, 'the embedded server runs');
    process.kill(-job.pid!, 'SIGINT');
    await ended;
    await assertAllGone(workDir, ports);
  });

  test('a service that fails after starting its embedded Temporal server (API port taken) exits 1 and leaves nothing', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: 'localhost', port: 0 }, resolve));
    const port = (taken.address() as { port: number }).port;
    const stateDir = join(dir, 'failing-state');
    try {
      const result = await runCli([
        '--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1,
        '--port', String(port), '--state-dir', stateDir, '--temporal-port', '0', '--temporal-ui-port', '0',
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /EADDRINUSE/);
      await assertAllGone(stateDir, []);
    } finally {
      taken.close();
    }
  });
});
