// An embedded Temporal server: `temporal server start-dev` from the CLI found by cli-locator,
// with its SQLite database in a state directory (syncs survive restarts of the service), the
// sync's search attributes registered, and the Web UI on.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import type { Logger } from 'pino';
import { SUPERVISOR_KILL_AFTER_MS, supervisedCommand } from './supervisor';

export const DEV_SERVER_DB_FILE = 'temporal.db';
/** pid of the running server, so that a server orphaned by `kill -9` of c2c-sync is stopped at the next start */
export const DEV_SERVER_PID_FILE = 'temporal.pid';

export interface DevServerOptions {
  /** the Temporal CLI binary */
  cliPath: string;
  /** directory of the SQLite database (created if missing) */
  stateDir: string;
  /** bind address of the server and the UI (default 127.0.0.1) */
  ip?: string;
  /** gRPC port; 0 picks a free one */
  port: number;
  /** Web UI port; 0 picks a free one */
  uiPort: number;
  namespace?: string;
  searchAttributes: readonly { name: string; type: SearchAttributeType }[];
  logger?: Logger;
  /** how long to wait for the server to answer (default 60 s) */
  startTimeoutMs?: number;
}

export interface DevServer {
  /** HOST:PORT for clients and workers */
  address: string;
  uiUrl: string;
  dbFile: string;
  /** resolves with the exit code when the server process ends */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export class DevServerError extends Error {}

/** The server could not bind a port (taken by another process). */
export class PortTakenError extends DevServerError {}

const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Binds `port` (0: any) on `ip` and releases it; the port that was free. */
function claimPort(ip: string, port: number, what: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new DevServerError(
          error.code === 'EADDRINUSE'
            ? `port ${port} for the ${what} is already in use on ${ip}: choose another (0 picks a free one) or give --temporal-address to use a running Temporal server`
            : `cannot use ${ip}:${port} for the ${what}: ${error.message}`,
        ),
      );
    });
    probe.listen({ host: ip, port, exclusive: true }, () => {
      const claimed = (probe.address() as { port: number }).port;
      probe.close(() => resolvePort(claimed));
    });
  });
}

const hostForUrl = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);

/** The arguments of `temporal server start-dev` for these options. */
export function devServerArgs(options: { dbFile: string; ip: string; port: number; uiPort: number; namespace: string; searchAttributes: DevServerOptions['searchAttributes'] }): string[] {
  const args = ['server', 'start-dev', '--db-filename', options.dbFile, '--ip', options.ip, '--port', String(options.port), '--ui-port', String(options.uiPort)];
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const key of options.searchAttributes) args.push('--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
  args.push('--log-format', 'json', '--log-level', 'warn');
  return args;
}

/** What the server printed: the last lines, and the errors it logged (the cause of a failed start). */
interface ServerOutput {
  recent: string[];
  errors: string[];
}

function forwardLogs(child: ChildProcess, logger: Logger | undefined, quiet: () => boolean, output: ServerOutput): void {
  const { recent, errors } = output;
  const log = logger?.child({ componentName: 'Temporal Server' });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (line.trim() === '') return;
      let entry: Record<string, unknown> | undefined;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = undefined;
      }
      if (!entry) {
        log?.debug(line);
        return;
      }
      const { msg, level, time: _time, ...fields } = entry;
      const severity = String(level ?? 'info').toLowerCase();
      if ((severity === 'error' || severity === 'fatal') && errors.length < 5) errors.push([msg, fields.error].filter((part) => part !== undefined).map(String).join(': '));
      if (!log) return;
      const method = quiet() ? 'debug' : severity === 'error' || severity === 'fatal' ? 'error' : severity === 'warn' ? 'warn' : 'debug';
      log[method](fields, String(msg ?? ''));
    });
  }
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    const result = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout : '';
  }
}

/**
 * Stops a dev server that an earlier c2c-sync left running on the same database (it was killed
 * with SIGKILL and could not stop its server), so the database and ports are free again.
 */
async function stopOrphanedServer(pidFile: string, dbFile: string, logger: Logger | undefined): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const commandLine = commandLineOf(pid);
  if (!commandLine.includes('start-dev') || !commandLine.includes(dbFile)) return;
  logger?.warn({ componentName: 'Temporal Server', pid }, 'stopping the Temporal server an earlier c2c-sync left running on this state directory');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function waitUntilServing(address: string, namespace: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void exited.then(() => (ended = true));
  let lastError: unknown;
  while (Date.now() < deadline && !ended) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new DevServerError(
    ended
      ? 'the embedded Temporal server exited while starting'
      : `the embedded Temporal server did not answer within ${timeoutMs / 1000} s: ${(lastError as Error | undefined)?.message ?? 'no answer'}`,
  );
}

async function waitForUi(uiUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(uiUrl, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** Tries with freshly picked ports when a picked one was taken between the pick and the server's bind. */
const PORT_PICK_ATTEMPTS = 3;

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(options.stateDir, { recursive: true });
  const dbFile = join(options.stateDir, DEV_SERVER_DB_FILE);
  const pidFile = join(options.stateDir, DEV_SERVER_PID_FILE);
  await stopOrphanedServer(pidFile, dbFile, options.logger);
  const picked = options.port === 0 || options.uiPort === 0;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launchDevServer(options, dbFile, pidFile);
    } catch (error) {
      if (!picked || !(error instanceof PortTakenError) || attempt >= PORT_PICK_ATTEMPTS) throw error;
      options.logger?.warn({ componentName: 'Temporal Server', attempt }, 'a port picked for the embedded Temporal server was taken before it bound it; picking again');
    }
  }
}

async function launchDevServer(options: DevServerOptions, dbFile: string, pidFile: string): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = await claimPort(ip, options.port, 'embedded Temporal server');
  const uiPort = await claimPort(ip, options.uiPort, 'Temporal Web UI');
  const address = `${hostForUrl(ip)}:${port}`;
  const uiUrl = `http://${hostForUrl(ip)}:${uiPort}`;
  const args = devServerArgs({ dbFile, ip, port, uiPort, namespace, searchAttributes: options.searchAttributes });

  // Its own process group: a Ctrl-C in the terminal reaches c2c-sync only, which stops the
  // worker before the server. The supervisor stops the server when c2c-sync ends in any way;
  // it watches the pipe on its stdin, which nothing writes to (see supervisor.ts).
  const supervised = supervisedCommand(options.cliPath, args);
  const child = spawn(supervised.command, supervised.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
  // An exit that skipped stop(): the supervisor stops the server (it would also see the pipe close).
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  let stopping = false;
  const output: ServerOutput = { recent: [], errors: [] };
  const { recent } = output;
  forwardLogs(child, options.logger, () => stopping, output);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      rmSync(pidFile, { force: true });
      resolveExit(code);
    });
    child.once('error', (error) => {
      recent.push(error.message);
      resolveExit(null);
    });
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    stopping = true;
    child.kill('SIGTERM');
    // the supervisor kills the server after its own grace period; this is the last resort
    const killTimer = setTimeout(() => child.kill('SIGKILL'), SUPERVISOR_KILL_AFTER_MS + 5_000);
    await exited;
    clearTimeout(killTimer);
  };

  try {
    await waitUntilServing(address, namespace, exited, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    const tail = recent.slice(-5).join('\n');
    const cause = output.errors.length > 0 ? `; it logged: ${output.errors.join('; ')}` : '';
    const message = `${(error as Error).message}${cause}${tail ? `; its last output:\n${tail}` : ''}`;
    throw output.errors.some((line) => /address already in use/.test(line)) ? new PortTakenError(message) : new DevServerError(message);
  }
  if (!(await waitForUi(uiUrl, 15_000))) {
    options.logger?.warn({ componentName: 'Temporal Server', uiUrl }, 'the Temporal Web UI does not answer yet');
  }
  return { address, uiUrl, dbFile, exited, stop };
}
