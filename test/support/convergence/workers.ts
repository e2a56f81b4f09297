// `c2c-sync worker` processes, started as an operator starts them, and killed with SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prebuiltBundleEnv } from '../workflow-bundle-cache';

const root = join(__dirname, '..', '..', '..');

export interface WorkerPoolOptions {
  temporalAddress: string;
  taskQueue: string;
  uris: { cluster0: string; cluster1: string };
}

export class WorkerPool {
  private current: ChildProcess | undefined;
  private output = '';
  kills = 0;
  started = 0;
  /** when the current worker said it is running (undefined until it did) */
  private readyAt: number | undefined;

  /** everything the workers printed, for a failure's post-mortem */
  readonly logPath: string;

  constructor(private readonly options: WorkerPoolOptions) {
    this.logPath = join(tmpdir(), `c2c-${options.taskQueue}.log`);
  }

  async start(): Promise<void> {
    const bundle = await prebuiltBundleEnv();
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'c2c-sync.js'), 'worker', '--temporal-address', this.options.temporalAddress, '--task-queue', this.options.taskQueue],
      {
        cwd: root,
        env: { ...process.env, C2C_SYNC_FROM_SOURCE: '1', C2C_CLUSTER0: this.options.uris.cluster0, C2C_CLUSTER1: this.options.uris.cluster1, ...bundle },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const label = `[worker ${++this.started}] `;
    this.readyAt = undefined;
    const keep = (chunk: Buffer): void => {
      if (this.current === child && this.readyAt === undefined && chunk.toString().includes('worker running')) this.readyAt = Date.now();
      this.output = (this.output + label + chunk.toString()).slice(-20_000);
      appendFileSync(this.logPath, chunk.toString().replace(/^(?=.)/gm, label));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => keep(Buffer.from(`exited: code ${code} signal ${signal}\n`)));
    this.current = child;
  }

  /**
   * SIGKILL of the running worker (no chance to finish anything), then a new one; returns once
   * the new one runs, so that the next kill does not land before it could do any work.
   */
  async killAndReplace(): Promise<void> {
    await this.kill();
    this.kills++;
    await this.start();
    await this.waitUntilRunning();
  }

  /** Waits (up to 5 minutes: loading takes long on a busy machine) until the worker runs. */
  async waitUntilRunning(): Promise<void> {
    const deadline = Date.now() + 300_000;
    while (this.readyAt === undefined) {
      if (Date.now() > deadline) throw new Error(`no worker was running after 5 minutes; see ${this.logPath}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The last lines the workers printed, for a failure report. */
  recentOutput(): string {
    return this.output
      .split('\n')
      .slice(-12)
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
      .join('\n');
  }

  async kill(): Promise<void> {
    const child = this.current;
    this.current = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
