// The API guarded as an operator runs it beyond loopback: the service refuses to listen on
// every interface without a token; with one (and a certificate) it serves HTTPS, answers 401
// without the token, 403 to a foreign Host or a cross-origin POST, and the client subcommands
// work with --api-token. The token appears in no output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { createTemporalTestEnv, uniqueTaskQueue } from '../support/temporal';
import { freePort, runCli, startServiceProcess } from './cli-process';

const execFileAsync = promisify(execFile);
const TOKEN = 'e2e-api-token-7f3a9c1d5b';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
let dir: string;

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
  dir = mkdtempSync(join(tmpdir(), 'c2c-guard-e2e-'));
});

after(async () => {
  await pair?.close();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** A self-signed certificate for localhost and 127.0.0.1. */
function certificate(): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert, key };
}

interface CurlAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function curl(cert: string, url: string, args: string[] = []): Promise<CurlAnswer> {
  const { stdout } = await execFileAsync('curl', ['-s', '--cacert', cert, '-w', '\n%{http_code}', url, ...args]);
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
}

describe('the API beyond loopback', () => {
  test('--host 0.0.0.0 without a token: exit 2 before anything starts, saying what to set', async () => {
    const result = await runCli(['--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--host', '0.0.0.0', '--temporal-address', env.address]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--host: the API would listen on 0\.0\.0\.0, .*without an API token; set one with --api-token/);
  });

  test('with a token and a certificate: HTTPS, 401 without the token, 403 to foreign hosts and origins, the client with --api-token', async () => {
    const { cert, key } = certificate();
    const port = await freePort();
    const id = uniqueTaskQueue('guard');
    const service = await startServiceProcess(
      ['--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--host', '0.0.0.0', '--port', String(port),
        '--temporal-address', env.address, '--task-queue', id, '--id', id, '--tls-cert', cert, '--tls-key', key],
      { C2C_API_TOKEN: TOKEN, C2C_VERBOSITY: 'debug' },
    );
    try {
      assert.equal(service.apiUrl, `https://127.0.0.1:${port}`);
      const base = `https://localhost:${port}/api/v1`;
      const auth = ['-H', `Authorization: Bearer ${TOKEN}`];

      const anonymous = await curl(cert, `${base}/progress`);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error, 'Unauthorized');
      const wrong = await curl(cert, `${base}/pause`, ['-XPOST', '--data', '{}', '-H', 'Authorization: Bearer not-the-right-token']);
      assert.equal(wrong.status, 401);

      const progress = await curl(cert, `${base}/progress`, auth);
      assert.equal(progress.status, 200);
      assert.equal((progress.body.progress as Record<string, unknown>).state, 'IDLE');

      // with the token still: a rebound name, and a page of another site
      const rebound = await curl(cert, `${base}/progress`, [...auth, '-H', 'Host: rebind.evil.example']);
      assert.equal(rebound.status, 403);
      const csrf = await curl(cert, `${base}/start`, [
        ...auth, '-XPOST', '-H', 'Origin: https://evil.example', '-H', 'Content-Type: text/plain',
        '--data', JSON.stringify({ source: 'cluster0', destination: 'cluster1' }),
      ]);
      assert.equal(csrf.status, 403);
      assert.equal(csrf.body.error, 'Forbidden');

      const cli = (args: string[]) => runCli(args, { NODE_EXTRA_CA_CERTS: cert });
      const refused = await cli(['progress', '--api', `https://localhost:${port}`]);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /"error":"Unauthorized"/);
      const accepted = await cli(['progress', '--api', `https://localhost:${port}`, '--api-token', TOKEN]);
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.match(accepted.stdout, /"state":"IDLE"/);
      const stillIdle = await curl(cert, `${base}/progress`, auth);
      assert.equal((stillIdle.body.progress as Record<string, unknown>).state, 'IDLE', 'no refused request started the sync');

      for (const output of [service.stdout(), service.stderr(), refused.stdout, refused.stderr, accepted.stderr]) {
        assert.ok(!output.includes(TOKEN), 'the token appears in no output');
      }
      assert.match(service.stdout(), /"apiToken":"\(set\)"/);
      assert.match(service.stdout(), /request refused/);
    } finally {
      await service.stop();
    }
  });
});
