// Provisioning the Temporal CLI: the routes in their order, the official download checked
// against its pinned digest (served here by a stand-in release), a tampered archive refused
// with nothing installed, one clear message when every route fails, and an `npm install` that
// succeeds even then.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseAsset } from '../../../src/temporal/cli-download';
import { provisionTemporalCli, TEMPORAL_CLI_VERSION, TemporalCliError } from '../../../src/temporal/cli-locator';

const ROOT = join(__dirname, '..', '..', '..');
let dir: string;
let server: Server;
let baseUrl: string;
let archive: Buffer;
let requests = 0;
/** a port nothing listens on */
let closedUrl: string;
const platformKey = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

/** A stand-in `temporal` binary that reports a version, as the real one does. */
function fakeCli(path: string, version: string): void {
  writeFileSync(path, `#!/bin/sh\necho "temporal version ${version} (Server 1.29.0, UI 2.41.0)"\n`);
  chmodSync(path, 0o755);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'c2c-provision-'));
  const staging = join(dir, 'staging');
  mkdirSync(staging);
  fakeCli(join(staging, 'temporal'), TEMPORAL_CLI_VERSION);
  writeFileSync(join(staging, 'LICENSE'), 'MIT\n');
  execFileSync('tar', ['-czf', join(dir, 'release.tar.gz'), '-C', staging, 'LICENSE', 'temporal']);
  archive = readFileSync(join(dir, 'release.tar.gz'));
  server = createServer((request, response) => {
    requests++;
    if (request.url === `/v${TEMPORAL_CLI_VERSION}/temporal_cli_${TEMPORAL_CLI_VERSION}_${platformKey}.tar.gz`) {
      response.writeHead(200, { 'content-length': archive.length });
      response.end(archive);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function capture(): { output: { write(text: string): boolean }; text(): string } {
  let text = '';
  return { output: { write: (chunk: string) => ((text += chunk), true) }, text: () => text };
}

function freshRoot(): string {
  return mkdtempSync(join(dir, 'root-'));
}

describe('the official release asset', () => {
  test('is named and pinned as the release publishes it', () => {
    const linux = releaseAsset('1.5.1', { platform: 'linux', arch: 'x64' })!;
    assert.equal(linux.name, 'temporal_cli_1.5.1_linux_amd64.tar.gz');
    assert.equal(linux.url, 'https://github.com/temporalio/cli/releases/download/v1.5.1/temporal_cli_1.5.1_linux_amd64.tar.gz');
    assert.match(linux.sha256, /^[0-9a-f]{64}$/);
    assert.equal(releaseAsset('1.5.1', { platform: 'darwin', arch: 'arm64' })!.name, 'temporal_cli_1.5.1_darwin_arm64.tar.gz');
    assert.equal(releaseAsset('1.5.1', { platform: 'win32', arch: 'x64' }), undefined);
    assert.equal(releaseAsset('9.9.9', { platform: 'linux', arch: 'x64' }), undefined, 'only pinned versions are downloaded');
    assert.equal(releaseAsset('1.5.1', { platform: 'linux', arch: 'x64', baseUrl: 'https://mirror.example/t/' })!.url, 'https://mirror.example/t/v1.5.1/temporal_cli_1.5.1_linux_amd64.tar.gz');
  });
});

describe('provisionTemporalCli', () => {
  test('TEMPORAL_CLI wins, then the cached binary, then PATH', async () => {
    const root = freshRoot();
    const explicit = join(root, 'explicit-temporal');
    fakeCli(explicit, '1.4.0');
    const pathDir = join(root, 'path-bin');
    mkdirSync(pathDir);
    fakeCli(join(pathDir, 'temporal'), '1.3.0');
    const env = { PATH: pathDir };
    assert.deepEqual(await provisionTemporalCli({ env: { ...env, TEMPORAL_CLI: explicit }, root }), { path: explicit, version: '1.4.0', source: 'env' });
    assert.equal((await provisionTemporalCli({ env, root })).source, 'path');
    mkdirSync(join(root, '.tools', 'bin'), { recursive: true });
    fakeCli(join(root, '.tools', 'bin', 'temporal'), TEMPORAL_CLI_VERSION);
    assert.equal((await provisionTemporalCli({ env, root })).source, 'cache');
  });

  test('downloads the release, checks its digest, installs the binary, and shows progress', async () => {
    const root = freshRoot();
    const shown = capture();
    const cli = await provisionTemporalCli({ env: { PATH: '' }, root, output: shown.output, downloadBase: baseUrl, checksums: { [platformKey]: sha256(archive) } });
    assert.deepEqual(cli, { path: join(root, '.tools', 'bin', 'temporal'), version: TEMPORAL_CLI_VERSION, source: 'downloaded' });
    assert.match(shown.text(), /downloading Temporal CLI 1\.5\.1 from 127\.0\.0\.1:\d+: done/);
    assert.equal((await provisionTemporalCli({ env: { PATH: '' }, root, downloadBase: closedUrl })).source, 'cache', 'the next run uses it');
  });

  test('a tampered archive is refused and nothing is installed; without Go, one message says what to install', async () => {
    const root = freshRoot();
    const shown = capture();
    const before = requests;
    await assert.rejects(
      provisionTemporalCli({ env: { PATH: '' }, root, output: shown.output, downloadBase: baseUrl, checksums: { [platformKey]: '0'.repeat(64) } }),
      (error: unknown) => {
        assert.ok(error instanceof TemporalCliError);
        assert.match(error.message, /SHA-256 [0-9a-f]{64}, not the official release's 0{64}: refused/);
        assert.match(error.message, /Go is not installed to build it/);
        assert.match(error.message, /Install the Temporal CLI .* or install Go >= 1\.25 .* or give --temporal-address/);
        return true;
      },
    );
    assert.equal(requests, before + 1);
    assert.equal(existsSync(join(root, '.tools', 'bin', 'temporal')), false, 'nothing installed');
    assert.match(shown.text(), /trying to build it from source/);
  });

  test('an unreachable download site is one line, not a hang', async () => {
    const root = freshRoot();
    await assert.rejects(provisionTemporalCli({ env: { PATH: '' }, root, downloadBase: closedUrl, output: capture().output }), /the download failed \(cannot download http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED\)/);
  });
});

describe('npm install (scripts/postinstall.cjs)', () => {
  test('succeeds when every route fails, saying once what to install', () => {
    // a copy of the package without a cached CLI: the script provisions relative to itself
    const pkg = freshRoot();
    mkdirSync(join(pkg, 'scripts'));
    writeFileSync(join(pkg, 'scripts', 'postinstall.cjs'), readFileSync(join(ROOT, 'scripts', 'postinstall.cjs')));
    cpSync(join(ROOT, 'src'), join(pkg, 'src'), { recursive: true }); // a copy: a link would resolve to this checkout
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const result = spawnSync(process.execPath, [join(pkg, 'scripts', 'postinstall.cjs')], {
      env: { PATH: '', HOME: pkg, TEMPORAL_CLI_DOWNLOAD_BASE: closedUrl },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /c2c-sync: cannot provide the Temporal CLI 1\.5\.1: .*Install the Temporal CLI/);
    assert.equal(result.stderr.match(/cannot provide the Temporal CLI/g)?.length, 1);
  });
});
