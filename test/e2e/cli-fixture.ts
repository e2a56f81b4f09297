// The fixture of the c2c-sync command's end-to-end files (cli.test.ts, cli-restarts.test.ts): a
// Temporal dev server, two simulated clusters, a scratch directory, and the service processes a
// test started, killed after it.
import { after, afterEach, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isAlive } from '../../src/temporal/dev-server';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { createTemporalTestEnv } from '../support/temporal';
import { type ServiceProcess, startServiceProcess } from './cli-process';

/** Short iterations, so that syncs of a few thousand documents finish in seconds. */
export const FAST = JSON.stringify({ applyIterationMs: 700, copyChunkMaxMs: 300, copyBatchSize: 200, partitionTargetBytes: 65536, heartbeatTimeoutMs: 5000 });
/** The sync user's password in the simulated clusters' URIs (test/support/cluster-pair.ts). */
export const SYNC_PASSWORD = 'sync-secret-1';

export interface CliFixture {
  env: TestWorkflowEnvironment;
  pair: ClusterPair;
  dir: string;
  /** starts `c2c-sync [args]` with the FAST tuning; it is killed after the test */
  service(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
}

/** Registers the file's hooks; the fields are set once its before() hook ran. */
export function useCliFixture(): CliFixture {
  const processes: ServiceProcess[] = [];
  const fixture = {
    async service(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
      const started = await startServiceProcess(args, { C2C_TUNING: FAST, ...extraEnv });
      processes.push(started);
      return started;
    },
  } as CliFixture;

  before(async () => {
    fixture.env = await createTemporalTestEnv();
    fixture.pair = await startClusterPair();
    fixture.dir = mkdtempSync(join(tmpdir(), 'c2c-cli-e2e-'));
  });

  afterEach(async () => {
    for (const service of processes.splice(0)) await service.stop('SIGKILL');
    // A test that failed half-way may leave an embedded server stopping; make sure it is gone.
    const pidFile = join(fixture.dir, 'state', 'temporal.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await fixture.pair.reset();
  });

  after(async () => {
    await fixture.pair?.close();
    await fixture.env?.teardown();
    if (fixture.dir) rmSync(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}

export function noCredentials(text: string): void {
  assert.doesNotMatch(text, new RegExp(SYNC_PASSWORD), 'a password reached the output');
}
