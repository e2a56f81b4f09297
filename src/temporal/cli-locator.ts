// Finds or builds the Temporal CLI that provides `temporal server start-dev`.
// Order: $TEMPORAL_CLI, the project's cached build under .tools/bin, `temporal` on PATH, and
// finally `go install` of the pinned version into .tools/bin (the Go module proxy is reachable
// where the internet is not).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export type CliSource = 'env' | 'cache' | 'path' | 'built';

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
export function buildTemporalCli(root = projectRoot(), log: (line: string) => void = () => {}): LocatedCli {
  const go = onPath('go', process.env);
  if (!go) {
    throw new TemporalCliError(
      'No Temporal CLI was found and Go is not installed to build one. Install Go >= 1.25, ' +
        'put a `temporal` CLI on PATH, set TEMPORAL_CLI to one, or set TEMPORAL_ADDRESS to a running server.',
    );
  }
  const binDir = join(root, '.tools', 'bin');
  // Build outside the project so no go.mod or go.work of ours can interfere.
  const workDir = mkdtempSync(join(tmpdir(), 'temporal-cli-build-'));
  log(`building Temporal CLI v${TEMPORAL_CLI_VERSION} with go install into ${binDir} (several minutes on a cold cache)`);
  try {
    const result = spawnSync(
      go,
      [
        'install',
        '-trimpath',
        '-ldflags',
        `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
        `${TEMPORAL_CLI_PACKAGE}@v${TEMPORAL_CLI_VERSION}`,
      ],
      {
        cwd: workDir,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
      },
    );
    if (result.status !== 0) {
      throw new TemporalCliError(`go install of the Temporal CLI failed with exit code ${result.status ?? result.signal}`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const path = cachedCliPath(root);
  const version = cliVersion(path);
  if (version !== TEMPORAL_CLI_VERSION) {
    throw new TemporalCliError(`the built Temporal CLI at ${path} reports version ${version ?? 'none'}`);
  }
  return { path, version, source: 'built' };
}

/** Finds a CLI, building the pinned one when none is available. */
export function ensureTemporalCli(log: (line: string) => void = () => {}, root = projectRoot()): LocatedCli {
  return findTemporalCli(process.env, root) ?? buildTemporalCli(root, log);
}
