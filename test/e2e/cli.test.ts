// The c2c-sync command run exactly as a user runs it, in child processes: the service with an
// external Temporal server, an extra worker, the client subcommands, and bad configuration.
// (kill -9, restarts and the embedded Temporal server are in cli-restarts.test.ts: two files, so
// that the test runner runs them side by side.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareClusters } from '../support/compare-clusters';
import { uniqueTaskQueue } from '../support/temporal';
import { seed } from '../support/workload';
import { noCredentials, SYNC_PASSWORD, useCliFixture } from './cli-fixture';
import { freePort, refused, runCli, succeeded } from './cli-process';

const f = useCliFixture();

describe('the c2c-sync command', () => {
  test('service on an external Temporal server, configured by file, environment and flags, driven by the client subcommands', async () => {
    await seed(f.pair.admin.cluster0, [
      { db: 'shop', coll: 'orders', documents: 800, indexes: [{ key: { seq: 1 }, unique: true }] },
      { db: 'crm', coll: 'people', documents: 200 },
    ]);
    const id = uniqueTaskQueue('cli');
    const config = join(f.dir, 'c2c-sync.yaml');
    writeFileSync(config, `# mongosync-style keys\ncluster0: "${f.pair.uris.cluster0}"\ncluster1: "${f.pair.uris.cluster1}"\nid: ${id}\nport: 1\nacceptDisclaimer: true\n`);
    const port = String(await freePort());
    const api = ['--port', port];
    const svc = await f.service(['--config', config, '--task-queue', id, '--temporal-address', f.env.address], { C2C_PORT: port, C2C_VERBOSITY: 'info' });
    assert.equal(svc.apiUrl, `http://localhost:${port}`, 'C2C_PORT overrides the file; the banner says where the API listens');
    const ready = svc.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.message === 'c2c-sync is ready');
    assert.ok(ready, svc.stdout());
    assert.equal(ready.mongosyncID, id);
    assert.equal(ready.level, 'info');
    assert.match(svc.stdout(), /'acceptDisclaimer' has no effect in c2c-sync/);

    const worker = await f.service(['worker', '--config', config, '--task-queue', id, '--temporal-address', f.env.address]);
    assert.match(worker.stderr(), /worker is running/);
    const pollers = await f.env.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: id }, taskQueueType: 2 });
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
    assert.deepEqual(await compareClusters(f.pair.admin.cluster0, f.pair.admin.cluster1), []);

    assert.equal(succeeded(await runCli(['reverse', ...api])).success, true);
    await f.pair.app.cluster1.db('crm').collection<{ _id: string }>('people').insertOne({ _id: 'after-reverse' });
    succeeded(await runCli(['progress', ...api, '--until', 'canCommit', '--timeout', '120']));
    assert.equal(succeeded(await runCli(['commit', ...api])).success, true);
    succeeded(await runCli(['progress', ...api, '--until', 'COMMITTED', '--timeout', '120']));
    assert.deepEqual(await compareClusters(f.pair.admin.cluster1, f.pair.admin.cluster0), []);

    const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`^c2c_sync_state\\{state="COMMITTED",sync_id="${id}"\\} 1$`, 'm'));

    assert.equal(await worker.stop('SIGTERM'), 0);
    assert.equal(await svc.stop('SIGINT'), 0);
    assert.match(svc.stderr(), /SIGINT received, stopping/);
    noCredentials(svc.stdout() + svc.stderr() + worker.stdout() + worker.stderr());
  });

  test('bad configuration exits 2 before starting anything, naming the problem without credentials', async () => {
    const result = await runCli(['--cluster0', `mongodb://c2c:${SYNC_PASSWORD}@db.example:27017/?readConcernLevel=local`, '--cluster1', f.pair.uris.cluster1]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cluster0: invalid connection string for cluster0: Invalid URI option, read concern must be majority/);
    noCredentials(result.stderr + result.stdout);
    const missing = await runCli([], { C2C_CLUSTER0: f.pair.uris.cluster0 });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cluster1 is required/);
    const noTemporal = await runCli(['--cluster0', f.pair.uris.cluster0, '--cluster1', f.pair.uris.cluster1, '--port', '0', '--state-dir', join(f.dir, 'unused')], {
      TEMPORAL_CLI: join(f.dir, 'no-such-temporal'),
    });
    assert.equal(noTemporal.code, 1);
    assert.match(noTemporal.stderr, /TEMPORAL_CLI is set to '.*no-such-temporal', which is not an executable file/);
    noCredentials(noTemporal.stderr + noTemporal.stdout);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage:/);
  });
});
