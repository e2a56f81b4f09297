// The c2c-sync command run exactly as a user runs it, in child processes: kill -9 of the service
// with an extra worker carrying on, and the embedded Temporal server across kill -9 and restarts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/temporal/dev-server';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { uniqueTaskQueue } from '../support/temporal';
import { seed } from '../support/workload';
import { noCredentials, useCliFixture } from './cli-fixture';
import { freePort } from './cli-process';
import { ApiCaller } from './http-client';

const f = useCliFixture();

describe('the c2c-sync command across kill -9 and restarts', () => {
  test('kill -9 of the service loses nothing: the extra worker carries on, and a restarted service reports the same sync', async () => {
    await seed(f.pair.admin.cluster0, [{ db: 'big', coll: 'docs', documents: 4000 }]);
    const id = uniqueTaskQueue('kill');
    const port = String(await freePort());
    const args = ['--cluster0', f.pair.uris.cluster0, '--cluster1', f.pair.uris.cluster1, '--port', port, '--id', id, '--task-queue', id, '--temporal-address', f.env.address];
    const slowCopy = { C2C_TUNING: JSON.stringify({ applyIterationMs: 700, copyConcurrency: 2, copyChunkMaxMs: 100, copyBatchSize: 100, partitionTargetBytes: 65536, heartbeatTimeoutMs: 3000 }) };
    const first = await f.service(args, slowCopy);
    await f.service(['worker', ...args.filter((_, i) => args[i - 1] !== '--port' && args[i] !== '--port')], slowCopy);
    const api = new ApiCaller(first.apiUrl!);
    assert.equal((await api.curl('start', '{"source":"cluster0","destination":"cluster1"}')).status, 200);
    await api.waitFor((p) => Number((p.collectionCopy as { estimatedCopiedBytes: number }).estimatedCopiedBytes) > 0);

    assert.equal(await first.stop('SIGKILL'), -1);
    // The worker takes over once the killed process's activities miss their heartbeat and its
    // sticky workflow queue times out (about 10 s).
    const copied = async () => f.pair.admin.cluster1.db('big').collection('docs').countDocuments();
    const atKill = await copied();
    const deadline = Date.now() + 60_000;
    while ((await copied()) === atKill && atKill < 4000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok((await copied()) > atKill || atKill === 4000, 'the remaining worker keeps copying while the service is down');

    await f.service(args, slowCopy);
    await api.waitFor((p) => p.canCommit === true, 120_000);
    assert.equal((await api.curl('commit', '{ }')).status, 200);
    await api.waitFor((p) => p.state === 'COMMITTED', 120_000);
    assert.deepEqual(await compareClusters(f.pair.admin.cluster0, f.pair.admin.cluster1), []);
  });

  test('one command runs everything with an embedded Temporal server and its UI; syncs survive kill -9 and restarts', async () => {
    await seed(f.pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 300 }]);
    const stateDir = join(f.dir, 'state');
    const port = String(await freePort());
    const args = ['--cluster0', f.pair.uris.cluster0, '--cluster1', f.pair.uris.cluster1, '--port', port, '--state-dir', stateDir, '--temporal-port', '0', '--temporal-ui-port', '0'];
    // This one service bundles its workflows at start-up, as by default; the others load the run's bundle.
    const first = await f.service(args, { C2C_WORKFLOW_BUNDLE: '' });
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
    const second = await f.service(args);
    assert.equal((await api.progress()).state, 'RUNNING', 'the sync started before the kill is still there');
    await api.waitFor((p) => p.canCommit === true);
    assert.equal((await api.curl('commit', '{ }')).status, 200);
    await api.waitFor((p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(f.pair.admin.cluster0, f.pair.admin.cluster1), []);

    // A clean stop takes the embedded server down with it; the next start finds the sync COMMITTED.
    const server = Number(readFileSync(join(stateDir, 'temporal.pid'), 'utf8'));
    assert.equal(await second.stop('SIGINT'), 0);
    assert.match(second.stderr(), /SIGINT received, stopping/);
    assert.equal(isAlive(server), false);
    assert.equal(existsSync(join(stateDir, 'temporal.pid')), false);
    const third = await f.service(args);
    assert.equal((await api.progress()).state, 'COMMITTED');
    assert.equal(await third.stop('SIGTERM'), 0);
    noCredentials([first, second, third].map((p) => p.stdout() + p.stderr()).join(''));
  });

});
