// Finds, downloads or builds the Temporal CLI that provides `temporal server start-dev`.
// Order, cheapest and most explicit first:
//   1. $TEMPORAL_CLI: the operator said which binary to use;
//   2. the project's cached binary, .tools/bin/temporal, if it is the pinned version;
//   3. `temporal` on PATH: one the operator installed;
//   4. the official release archive of the pinned version, checked against its pinned SHA-256
//      (seconds, and no Go; what most machines can do);
//   5. `go install` of the pinned version from the Go module proxy, which checks the module
//      against the Go checksum database (minutes; works where only the proxy is reachable).
// `npm install` runs this (scripts/postinstall.cjs), and so does the service when it needs an
// embedded server and finds no CLI.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { downloadTemporalCli, releaseAsset } from './cli-download';
import { type ProgressOutput, stepProgress } from './install-progress';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export type CliSource = 'env' | 'cache' | 'path' | 'downloaded' | 'built';

export interface LocatedCli {
  path: string;
  version: string;
  source: CliSource;
}

export class TemporalCliError extends Error {}

export function projectRoot(): string {
  return resolve(__dirname, '..', '..');
}

export function cachedCliPath(root = projectRoot()): string {
  return join(root, '.tools', 'bin', 'temporal');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The version a CLI binary reports (`temporal version 1.5.1 (Server …)`), or undefined. */
export function cliVersion(path: string): string | undefined {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) return undefined;
  return /temporal version (\S+)/.exec(result.stdout)?.[1];
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Looks for an existing CLI without building anything. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env, root = projectRoot()): LocatedCli | undefined {
  const fromEnv = env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new TemporalCliError(`TEMPORAL_CLI is set to '${fromEnv}', which is not an executable file`);
    }
    const version = cliVersion(fromEnv);
    if (!version) throw new TemporalCliError(`TEMPORAL_CLI '${fromEnv}' did not report a Temporal CLI version`);
    return { path: fromEnv, version, source: 'env' };
  }
  const cached = cachedCliPath(root);
  if (isExecutable(cached) && cliVersion(cached) === TEMPORAL_CLI_VERSION) {
    return { path: cached, version: TEMPORAL_CLI_VERSION, source: 'cache' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) {
    const version = cliVersion(fromPath);
    if (version) return { path: fromPath, version, source: 'path' };
  }
  return undefined;
}

/** Builds the pinned CLI with `go install` into .tools/bin. Needs Go >= 1.25. */
export async function buildTemporalCli(root: string, go: string, output: ProgressOutput): Promise<LocatedCli> {
  const binDir = join(root, '.tools', 'bin');
  // Build outside the project so no go.mod or go.work of ours can interfere.
  const workDir = mkdtempSync(join(tmpdir(), 'temporal-cli-build-'));
  const progress = stepProgress(output, `building Temporal CLI ${TEMPORAL_CLI_VERSION} from source with Go (a few minutes)`);
  const ticker = setInterval(() => progress.update('compiling'), 1000);
  const errors: string[] = [];
  try {
    const code = await new Promise<number | string>((resolveExit) => {
      const child = spawn(
        go,
        ['install', '-trimpath', '-ldflags', `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}`],
        {
          cwd: workDir,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
        },
      );
      child.stderr!.setEncoding('utf8').on('data', (text: string) => errors.push(...text.split('\n').filter(Boolean).slice(-20)));
      child.once('error', (error) => resolveExit(error.message));
      child.once('exit', (exitCode, signal) => resolveExit(exitCode ?? signal ?? 'unknown'));
    });
    if (code !== 0) {
      progress.done('failed');
      throw new TemporalCliError(`go install of the Temporal CLI failed (${code}): ${errors.slice(-3).join(' | ')}`);
    }
  } finally {
    clearInterval(ticker);
    rmSync(workDir, { recursive: true, force: true });
  }
  const path = cachedCliPath(root);
  const version = cliVersion(path);
  if (version !== TEMPORAL_CLI_VERSION) {
    throw new TemporalCliError(`the built Temporal CLI at ${path} reports version ${version ?? 'none'}`);
  }
  progress.done(`done: ${path}`);
  return { path, version, source: 'built' };
}

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  root?: string;
  /** where progress and route failures are told (stderr) */
  output?: ProgressOutput;
  /** a mirror of the release downloads (TEMPORAL_CLI_DOWNLOAD_BASE); the pinned checksums still apply */
  downloadBase?: string;
  /** replaces the pinned checksums: for tests with a stand-in release */
  checksums?: Record<string, string>;
}

/** Finds a CLI, or downloads or builds the pinned one; one clear error when every route fails. */
export async function provisionTemporalCli(options: ProvisionOptions = {}): Promise<LocatedCli> {
  const env = options.env ?? process.env;
  const root = options.root ?? projectRoot();
  const output = options.output ?? process.stderr;
  const found = findTemporalCli(env, root);
  if (found) return found;

  const tried: string[] = ['no Temporal CLI in TEMPORAL_CLI, .tools/bin or on PATH'];
  const downloadBase = options.downloadBase ?? env.TEMPORAL_CLI_DOWNLOAD_BASE;
  const asset = releaseAsset(TEMPORAL_CLI_VERSION, { ...(downloadBase ? { baseUrl: downloadBase } : {}), ...(options.checksums ? { checksums: options.checksums } : {}) });
  if (asset) {
    const progress = stepProgress(output, `downloading Temporal CLI ${TEMPORAL_CLI_VERSION} from ${new URL(asset.url).host}`);
    try {
      const path = await downloadTemporalCli(asset, join(root, '.tools', 'bin'), progress);
      const version = cliVersion(path);
      if (version !== TEMPORAL_CLI_VERSION) throw new TemporalCliError(`the downloaded Temporal CLI reports version ${version ?? 'none'}`);
      progress.done(`done: ${path}`);
      return { path, version, source: 'downloaded' };
    } catch (error) {
      progress.done('failed');
      tried.push(`the download failed (${(error as Error).message})`);
      output.write(`Temporal CLI: ${tried[tried.length - 1]}; trying to build it from source\n`);
    }
  } else {
    tried.push(`no official build is pinned for ${process.platform}/${process.arch}`);
  }
  const go = onPath('go', env);
  if (!go) {
    tried.push('Go is not installed to build it');
  } else {
    try {
      return await buildTemporalCli(root, go, output);
    } catch (error) {
      tried.push((error as Error).message);
    }
  }
  throw new TemporalCliError(
    `cannot provide the Temporal CLI ${TEMPORAL_CLI_VERSION}: ${tried.join('; ')}. Install the Temporal CLI ` +
      '(https://docs.temporal.io/cli) and put `temporal` on PATH or set TEMPORAL_CLI to it, or install Go >= 1.25 ' +
      'and run `npm run temporal:install`, or give --temporal-address HOST:PORT of a running Temporal server.',
  );
}
