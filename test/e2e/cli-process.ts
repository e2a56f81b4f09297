// Runs the c2c-sync command as a user does: `node bin/c2c-sync.js ...` in a child process.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { prebuiltBundleEnv } from '../support/workflow-bundle-cache';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'c2c-sync.js');

/**
 * Test children run the sources, whatever an old dist/ holds, and load the run's workflow bundle
 * (a child given C2C_WORKFLOW_BUNDLE: '' bundles its workflows at start-up, as by default).
 */
async function childEnv(extra: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  return { ...process.env, C2C_SYNC_FROM_SOURCE: '1', ...(await prebuiltBundleEnv()), ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived command (client subcommands, --help, bad usage) to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const childEnvironment = await childEnv(env);
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnvironment, timeout: 180_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number | string }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** the banner's API URL, if it printed one */
  apiUrl?: string;
  uiUrl?: string;
  exited: Promise<number | null>;
  /** sends `signal` and waits for the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `c2c-sync [args]` (service or worker) and waits for its ready banner. */
export async function startServiceProcess(args: string[], env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 120_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: await childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + readyTimeoutMs;
  while (!/is ready|worker is running/.test(err)) {
    if (exitCode !== undefined) throw new Error(`c2c-sync exited with ${exitCode} before it was ready:\n${err}\n${out.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`c2c-sync was not ready within ${readyTimeoutMs} ms:\n${err}\n${out.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const apiUrl = /API: +(https?:\/\/\S+)\/api\/v1/.exec(err)?.[1];
  const uiUrl = /Temporal UI: +(http:\/\/\S+)/.exec(err)?.[1];
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    ...(apiUrl ? { apiUrl } : {}),
    ...(uiUrl ? { uiUrl } : {}),
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Asserts that a client subcommand succeeded and returns its parsed JSON answer. */
export function succeeded(result: CliResult): Record<string, unknown> {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Asserts that a client subcommand was refused by the API (exit 1) with this error. */
export function refused(result: CliResult, error: string, description: RegExp): void {
  assert.equal(result.code, 1, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  const body = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.equal(body.success, false);
  assert.equal(body.error, error);
  assert.match(String(body.errorDescription), description);
}
