// The c2c-sync command run exactly as a user runs it, in child processes: the service with an
// external Temporal server and with its embedded one, an extra worker, the client
// subcommands, kill -9 and restarts.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isAlive } from '../../src/temporal/dev-server';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { createTemporalTestEnv, uniqueTaskQueue } from '../support/temporal';
import { seed } from '../support/workload';
import { freePort, refused, runCli, type ServiceProcess, startServiceProcess, succeeded } from './cli-process';
import { ApiCaller } from './http-client';

/** Short iterations, so that syncs of a few thousand documents finish in seconds. */
const FAST = JSON.stringify({ applyIterationMs: 700, copyChunkMaxMs: 300, copyBatchSize: 200, partitionTargetBytes: 65536, heartbeatTimeoutMs: 5000 });
/** The sync user's password in the simulated clusters' URIs (test/support/cluster-pair.ts). */
const SYNC_PASSWORD = 'sync-secret-1';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
let dir: string;
const processes: ServiceProcess[] = [];

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
  dir = mkdtempSync(join(tmpdir(), 'c2c-cli-e2e-'));
});

afterEach(async () => {
  for (const service of processes.splice(0)) await service.stop('SIGKILL');
  // A test that failed half-way may leave an embedded server stopping; make sure it is gone.
  const pidFile = join(dir, 'state', 'temporal.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await pair.reset();
});

after(async () => {
  await pair?.close();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

async function service(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
  const started = await startServiceProcess(args, { C2C_TUNING: FAST, ...extraEnv });
  processes.push(started);
  return started;
}

function noCredentials(text: string): void {
  assert.doesNotMatch(text, new RegExp(SYNC_PASSWORD), 'a password reached the output');
}

describe('the c2c-sync command', () => {
  test('service on an external Temporal server, configured by file, environment and flags, driven by the client subcommands', async () => {
    await seed(pair.admin.cluster0, [
      { db: 'shop', coll: 'orders', documents: 800, indexes: [{ key: { seq: 1 }, unique: true }] },
      { db: 'crm', coll: 'people', documents: 200 },
    ]);
    const id = uniqueTaskQueue('cli');
    const config = join(dir, 'c2c-sync.yaml');
    writeFileSync(config, `# mongosync-style keys\ncluster0: "${pair.uris.cluster0}"\ncluster1: "${pair.uris.cluster1}"\nid: ${id}\nport: 1\nacceptDisclaimer: true\n`);
    const port = String(await freePort());
    const api = ['--port', port];
    const svc = await service(['--config', config, '--task-queue', id, '--temporal-address', env.address], { C2C_PORT: port, C2C_VERBOSITY: 'info' });
    assert.equal(svc.apiUrl, `http://localhost:${port}`, 'C2C_PORT overrides the file; the banner says where the API listens');
    const ready = svc.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.message === 'c2c-sync is ready');
    assert.ok(ready, svc.stdout());
    assert.equal(ready.mongosyncID, id);
    assert.equal(ready.level, 'info');
    assert.match(svc.stdout(), /'acceptDisclaimer' has no effect in c2c-sync/);

    const worker = await service(['worker', '--config', config, '--task-queue', id, '--temporal-address', env.address]);
    assert.match(worker.stderr(), /worker is running/);
    const pollers = await env.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: id }, taskQueueType: 2 });
    assert.equal(new Set(pollers.pollers.map((p) => p.identity)).size, 2, 'the service and the extra worker both poll for activities');

    refused(await runCli(['pause', ...api]), 'InvalidState', /IDLE/);
    refused(await runCli(['start', ...api, '--source', 'cluster0']), 'InvalidStartRequest', /'destination' is required/);
    assert.deepEqual(succeeded(await runCli(['start', ...api, '--source', 'cluster0', '--destination', 'cluster1', '--reversible', 'true', '--enable-user-write-blocking', 'true'])), { success: true });
    refused(await runCli(['start', ...api, '--body', '{"source":"cluster0","destination":"cluster1"}']), 'InvalidState', /already running/);

    assert.equal(succeeded(await runCli(['pause', ...api])).success, true);
    assert.equal((succeeded(await runCli(['progress', ...api])).progress as Record<string, unknown>).state, 'PAUSED');
    refused(await runCli(['commit', ...api]), 'InvalidState', /PAUSED/);
    assert.equal(succeeded(await runCli(['resume', ...api])).success, true);

    const watched = await runCli(['progress', ...api, '--watch', '--until', 'canCommit', '--interval', '0.3', '--timeout', '120']);
    assert.equal(watched.code, 0, watched.stderr);
    const lines = watched.stdout.trim().split('\n');
    assert.match(lines.at(-1)!, /state=RUNNING info="change event application · steady state" copied=\d+\/\d+B\(100%\) lag=\d+s events=\d+ canCommit=true canWrite=false$/);
    assert.doesNotMatch(watched.stdout, /\x1b\[/, 'no terminal codes when stdout is a pipe');

    assert.equal(succeeded(await runCli(['commit', ...api])).success, true);
    const committed = succeeded(await runCli(['progress', ...api, '--until', 'COMMITTED', '--timeout', '120'])).progress as Record<string, unknown>;
    assert.equal(committed.canWrite, true);
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);

    assert.equal(succeeded(await runCli(['reverse', ...api])).success, true);
    await pair.app.cluster1.db('crm').collection<{ _id: string }>('people').insertOne({ _id: 'after-reverse' });
    succeeded(await runCli(['progress', ...api, '--until', 'canCommit', '--timeout', '120']));
    assert.equal(succeeded(await runCli(['commit', ...api])).success, true);
    succeeded(await runCli(['progress', ...api, '--until', 'COMMITTED', '--timeout', '120']));
    assert.deepEqual(await compareClusters(pair.admin.cluster1, pair.admin.cluster0), []);

    const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`^c2c_sync_state\\{state="COMMITTED",sync_id="${id}"\\} 1$`, 'm'));

    assert.equal(await worker.stop('SIGTERM'), 0);
    assert.equal(await svc.stop('SIGINT'), 0);
    assert.match(svc.stderr(), /SIGINT received, stopping/);
    noCredentials(svc.stdout() + svc.stderr() + worker.stdout() + worker.stderr());
  });

  test('kill -9 of the service loses nothing: the extra worker carries on, and a restarted service reports the same sync', async () => {
    await seed(pair.admin.cluster0, [{ db: 'big', coll: 'docs', documents: 4000 }]);
    const id = uniqueTaskQueue('kill');
    const port = String(await freePort());
    const args = ['--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--port', port, '--id', id, '--task-queue', id, '--temporal-address', env.address];
    const slowCopy = { C2C_TUNING: JSON.stringify({ applyIterationMs: 700, copyConcurrency: 2, copyChunkMaxMs: 100, copyBatchSize: 100, partitionTargetBytes: 65536, heartbeatTimeoutMs: 3000 }) };
    const first = await service(args, slowCopy);
    await service(['worker', ...args.filter((_, i) => args[i - 1] !== '--port' && args[i] !== '--port')], slowCopy);
    const api = new ApiCaller(first.apiUrl!);
    assert.equal((await api.curl('start', '{"source":"cluster0","destination":"cluster1"}')).status, 200);
    await api.waitFor((p) => Number((p.collectionCopy as { estimatedCopiedBytes: number }).estimatedCopiedBytes) > 0);

    assert.equal(await first.stop('SIGKILL'), -1);
    // The worker takes over once the killed process's activities miss their heartbeat and its
    // sticky workflow queue times out (about 10 s).
    const copied = async () => pair.admin.cluster1.db('big').collection('docs').countDocuments();
    const atKill = await copied();
    const deadline = Date.now() + 60_000;
    while ((await copied()) === atKill && atKill < 4000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok((await copied()) > atKill || atKill === 4000, 'the remaining worker keeps copying while the service is down');

    await service(args, slowCopy);
    await api.waitFor((p) => p.canCommit === true, 120_000);
    assert.equal((await api.curl('commit', '{ }')).status, 200);
    await api.waitFor((p) => p.state === 'COMMITTED', 120_000);
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  });

  test('one command runs everything with an embedded Temporal server and its UI; syncs survive kill -9 and restarts', async () => {
    await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 300 }]);
    const stateDir = join(dir, 'state');
    const port = String(await freePort());
    const args = ['--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--port', port, '--state-dir', stateDir, '--temporal-port', '0', '--temporal-ui-port', '0'];
    // This one service bundles its workflows at start-up, as by default; the others load the run's bundle.
    const first = await service(args, { C2C_WORKFLOW_BUNDLE: '' });
    assert.ok(first.uiUrl, first.stderr());
    assert.match(first.stderr(), /Temporal: +127\.0\.0\.1:\d+ \(namespace default, task queue c2c-sync\)/);
    const ui = await fetch(first.uiUrl);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<html/i);
    assert.ok(existsSync(join(stateDir, 'temporal.db')));
    const orphan = Number(readFileSync(join(stateDir, 'temporal.pid'), 'utf8'));

    const api = new ApiCaller(first.apiUrl!);
    assert.deepEqual((await api.curl('start', '{"source":"cluster0","destination":"cluster1"}')).body, { success: true });
    await api.waitFor((p) => p.canCommit === true);

    // kill -9: the supervisor stops the embedded server; the next start takes over its database.
    assert.equal(await first.stop('SIGKILL'), -1);
    await waitUntil(async () => !isAlive(orphan), { what: 'the embedded server to stop after its service was killed', timeoutMs: 30_000 });
    const second = await service(args);
    assert.equal((await api.progress()).state, 'RUNNING', 'the sync started before the kill is still there');
    await api.waitFor((p) => p.canCommit === true);
    assert.equal((await api.curl('commit', '{ }')).status, 200);
    await api.waitFor((p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);

    // A clean stop takes the embedded server down with it; the next start finds the sync COMMITTED.
    const server = Number(readFileSync(join(stateDir, 'temporal.pid'), 'utf8'));
    assert.equal(await second.stop('SIGINT'), 0);
    assert.match(second.stderr(), /SIGINT received, stopping/);
    assert.equal(isAlive(server), false);
    assert.equal(existsSync(join(stateDir, 'temporal.pid')), false);
    const third = await service(args);
    assert.equal((await api.progress()).state, 'COMMITTED');
    assert.equal(await third.stop('SIGTERM'), 0);
    noCredentials([first, second, third].map((p) => p.stdout() + p.stderr()).join(''));
  });

  test('bad configuration exits 2 before starting anything, naming the problem without credentials', async () => {
    const result = await runCli(['--cluster0', `mongodb://c2c:${SYNC_PASSWORD}@db.example:27017/?readConcernLevel=local`, '--cluster1', pair.uris.cluster1]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cluster0: invalid connection string for cluster0: Invalid URI option, read concern must be majority/);
    noCredentials(result.stderr + result.stdout);
    const missing = await runCli([], { C2C_CLUSTER0: pair.uris.cluster0 });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cluster1 is required/);
    const noTemporal = await runCli(['--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--port', '0', '--state-dir', join(dir, 'unused')], {
      TEMPORAL_CLI: join(dir, 'no-such-temporal'),
    });
    assert.equal(noTemporal.code, 1);
    assert.match(noTemporal.stderr, /TEMPORAL_CLI is set to '.*no-such-temporal', which is not an executable file/);
    noCredentials(noTemporal.stderr + noTemporal.stdout);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage:/);
  });
});
