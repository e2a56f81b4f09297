// The HTTP API end to end: every endpoint in every state and every error, over real HTTP (fetch
// and curl as in mongosync's docs), on a real Temporal dev server with simulated clusters.
// Each answer is checked against the published OpenAPI document. Then what the README says
// about driving a sync from the Temporal CLI and from a Temporal Schedule.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/server';
import { SyncController } from '../../src/client/sync-controller';
import { createSyncMetrics } from '../../src/observability/metrics';
import type { Progress } from '../../src/sync/progress';
import { parseStartOptions } from '../../src/sync/start-options';
import { findTemporalCli } from '../../src/temporal/cli-locator';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { pollProgress, pollUntil } from '../support/poll';
import { startSyncHarness, type SyncHarness } from '../support/sync-harness';
import { createTemporalTestEnv, uniqueTaskQueue } from '../support/temporal';
import { seed } from '../support/workload';
import { ApiCaller, assertRefused } from './http-client';

const execFileAsync = promisify(execFile);

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await pair.reset();
});

after(async () => {
  await pair?.close();
  await env?.teardown();
});

async function serve(sync: SyncController, options: { commandTimeoutMs?: number } = {}): Promise<ApiCaller> {
  const app: FastifyInstance = await createApiServer({
    sync,
    version: 'e2e',
    metrics: createSyncMetrics({ source: sync, syncId: 'e2e', processMetrics: false }),
    ...options,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  return new ApiCaller(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
}

async function harness(options: Parameters<typeof startSyncHarness>[2] = {}): Promise<SyncHarness> {
  const h = await startSyncHarness(env, pair, options);
  cleanups.push(() => h.close());
  return h;
}

const COMMANDS = ['pause', 'resume', 'commit', 'reverse'] as const;

describe('HTTP API on a real Temporal server', () => {
  test('a reversible sync through every state: each endpoint answers as mongosync does, refusals change nothing', async () => {
    await seed(pair.admin.cluster0, [
      { db: 'big', coll: 'docs', documents: 3000 },
      { db: 'app', coll: 'items', documents: 50, indexes: [{ key: { seq: 1 }, unique: true }] },
    ]);
    const h = await harness({ tuning: { copyConcurrency: 1, copyChunkMaxMs: 100, copyBatchSize: 100 } });
    const api = await serve(h.controller);

    // IDLE
    const idle = await api.progress();
    assert.equal(idle.state, 'IDLE');
    assert.equal(idle.canCommit, false);
    for (const [key, value] of Object.entries(idle).filter(([k]) => k !== 'state' && k !== 'canCommit')) assert.equal(value, null, key);
    for (const command of COMMANDS) assertRefused(await api.curl(command, '{ }'), 409, 'InvalidState', /IDLE/);
    assertRefused(await api.curl('start', '{"source":"cluster0",'), 400, 'InvalidRequest', /not valid JSON/);
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1","buildIndex":"never"}'), 400, 'InvalidStartRequest', /unknown field 'buildIndex'/);
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1","reversible":true}'), 400, 'InvalidStartRequest', /enableUserWriteBlocking/);
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1","sharding":{"shardingEntries":[]}}'), 400, 'UnsupportedStartOption', /sharding/);
    assertRefused(await api.post('commit', '{"now":true}'), 400, 'InvalidRequest', /unknown field 'now'/);
    assertRefused(await api.call('GET', '/api/v1/commit'), 405, 'MethodNotAllowed', /GET is not allowed on \/api\/v1\/commit/);
    assertRefused(await api.call('POST', '/api/v1/cutover', '{}'), 404, 'NotFound', /\/api\/v1\/cutover/);
    assert.equal((await api.progress()).state, 'IDLE');
    assert.equal(await api.metric('c2c_sync_state{state="IDLE",sync_id="e2e"}'), 1);
    assert.equal(await pair.admin.cluster1.db('big').collection('docs').countDocuments(), 0, 'refused calls copied nothing');

    // IDLE -> RUNNING, with exactly mongosync's documented call (curl --data sends a form content type)
    const started = await api.curl('start', '{"source":"cluster0","destination":"cluster1","reversible":true,"enableUserWriteBlocking":true}');
    assert.deepEqual([started.status, started.body], [200, { success: true }]);
    const running = await api.progress();
    assert.equal(running.state, 'RUNNING');
    assert.equal(running.info, 'collection copy');
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1"}'), 409, 'InvalidState', /already running/);
    assertRefused(await api.curl('resume', '{ }'), 409, 'InvalidState', /RUNNING/);
    assertRefused(await api.curl('reverse', '{ }'), 409, 'InvalidState', /RUNNING/);
    assertRefused(await api.curl('commit', '{ }'), 409, 'CannotCommit', /canCommit is false/);

    // RUNNING -> PAUSED
    assert.deepEqual((await api.curl('pause', '{ }')).body, { success: true });
    const paused = await api.progress();
    assert.equal(paused.state, 'PAUSED');
    assert.equal(paused.lag, null);
    assert.equal(paused.lagTimeSeconds, null);
    for (const command of ['pause', 'commit', 'reverse'] as const) assertRefused(await api.curl(command, '{ }'), 409, 'InvalidState', /PAUSED/);
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1"}'), 409, 'InvalidState', /already running/);
    assert.equal(await api.metric('c2c_sync_state{state="PAUSED",sync_id="e2e"}'), 1);

    // PAUSED -> RUNNING: no body at all is accepted as {}
    const resumed = await api.call('POST', '/api/v1/resume');
    assert.deepEqual([resumed.status, resumed.body], [200, { success: true }]);
    const ready = await api.waitFor((p) => p.canCommit === true);
    assert.equal(ready.info, 'change event application');
    assert.equal(await api.metric('c2c_sync_can_commit{sync_id="e2e"}'), 1);
    assert.ok((await api.metric('c2c_sync_copied_bytes{sync_id="e2e"}')) > 0);

    // RUNNING -> COMMITTING -> COMMITTED: an empty body with a form content type
    const committing = await api.call('POST', '/api/v1/commit', '', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual([committing.status, committing.body], [200, { success: true }]);
    assertRefused(await api.curl('pause', '{ }'), 409, 'InvalidState', /COMMITTING|COMMITTED/);
    assertRefused(await api.curl('commit', '{ }'), 409, 'InvalidState', /COMMITTING|COMMITTED/);
    const committed = await api.waitFor((p) => p.state === 'COMMITTED');
    assert.equal(committed.canWrite, true);
    assert.equal(committed.info, 'commit completed');
    for (const command of ['pause', 'resume', 'commit'] as const) assertRefused(await api.curl(command, '{ }'), 409, 'InvalidState', /COMMITTED/);
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1"}'), 409, 'InvalidState', /already running/);
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);

    // COMMITTED -> REVERSING -> RUNNING the other way, then commit again
    const reversed = await api.curl('reverse', '{ }');
    assert.deepEqual([reversed.status, reversed.body], [200, { success: true }]);
    const back = await api.waitFor((p) => p.state === 'RUNNING');
    assert.match(String(back.directionMapping?.Source), /^cluster1: /);
    await pair.app.cluster1.db('app').collection<{ _id: string; seq: number }>('items').insertOne({ _id: 'after-reverse', seq: 1_000_000 });
    await api.waitFor((p) => p.canCommit === true);
    assert.equal((await api.curl('commit', '{ }')).status, 200);
    await api.waitFor((p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(pair.admin.cluster1, pair.admin.cluster0), []);
    assert.equal(await api.metric('c2c_sync_reversals{sync_id="e2e"}'), 1);
  });

  test('a non-reversible sync refuses /reverse with NotReversible; a destination holding data is PreflightFailed and stays IDLE', async () => {
    await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 20 }]);
    await pair.admin.cluster1.db('leftover').collection('things').insertOne({ x: 1 });
    const h = await harness();
    const api = await serve(h.controller);
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1"}'), 409, 'PreflightFailed', /'leftover'/);
    assert.equal((await api.progress()).state, 'IDLE');

    await pair.admin.cluster1.db('leftover').dropDatabase();
    assert.equal((await api.curl('start', '{"source":"cluster0","destination":"cluster1"}')).status, 200);
    await api.waitFor((p) => p.canCommit === true);
    assert.equal((await api.curl('commit', '{ }')).status, 200);
    await api.waitFor((p) => p.state === 'COMMITTED');
    assertRefused(await api.curl('reverse', '{ }'), 409, 'NotReversible', /reversible/);
    assert.equal((await api.progress()).state, 'COMMITTED');
  });

  test('an unreachable Temporal server is 503 and a sync nobody works on is 504', async () => {
    const deadConnection = await Connection.lazy({
      address: '127.0.0.1:1',
      interceptors: [makeGrpcRetryInterceptor({ ...defaultGrpcRetryOptions(), retryableDecider: () => false })],
    });
    cleanups.push(() => deadConnection.close());
    const unreachable = await serve(new SyncController({ client: new Client({ connection: deadConnection }), syncId: 'nowhere', taskQueue: 'nowhere' }));
    assertRefused(await unreachable.call('GET', '/api/v1/progress'), 503, 'TemporalUnavailable', /cannot be reached, nothing was changed/);
    assertRefused(await unreachable.curl('pause', '{ }'), 503, 'TemporalUnavailable', /cannot be reached/);
    assertRefused(await unreachable.curl('start', '{"source":"cluster0","destination":"cluster1"}'), 503, 'TemporalUnavailable', /cannot be reached/);

    const taskQueue = uniqueTaskQueue('no-worker');
    const orphan = new SyncController({ client: env.client, syncId: taskQueue, taskQueue });
    cleanups.push(() => env.client.workflow.getHandle(orphan.workflowId).terminate('test finished').catch(() => undefined));
    const api = await serve(orphan, { commandTimeoutMs: 2_000 });
    assertRefused(await api.curl('start', '{"source":"cluster0","destination":"cluster1"}'), 504, 'CommandTimeout', /worker/);
  });

});

describe('the same syncs from Temporal’s own tools', () => {
  test('the Temporal CLI drives the same sync: signals pause/resume/commit, queries progress, updates answer like the API', async () => {
    const cli = findTemporalCli();
    assert.ok(cli, 'the Temporal CLI is needed (npm run temporal:install)');
    await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 200 }]);
    const h = await harness();
    const api = await serve(h.controller);
    const temporal = async (...args: string[]): Promise<string> =>
      (await execFileAsync(cli.path, [...args, '--address', env.address, '--namespace', 'default'], { encoding: 'utf8' })).stdout;
    const workflowId = h.controller.workflowId;
    assert.equal((await api.curl('start', '{"source":"cluster0","destination":"cluster1"}')).status, 200);

    await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'pause');
    await api.waitFor((p) => p.state === 'PAUSED', 15_000);
    const queried = JSON.parse(await temporal('workflow', 'query', '--workflow-id', workflowId, '--type', 'progress', '--output', 'json')) as { queryResult: [Record<string, unknown>] };
    assert.equal(queried.queryResult[0].state, 'PAUSED');
    const listed = await temporal('workflow', 'list', '--query', `C2cSyncId = '${h.syncId}' AND C2cSyncState = 'PAUSED'`);
    assert.match(listed, new RegExp(workflowId));

    // An invalid signal is ignored; the equivalent update is refused with the API's error.
    await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'commit');
    assert.equal((await api.progress()).state, 'PAUSED');
    await assert.rejects(temporal('workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', 'commit'), /cannot commit in state PAUSED/);

    await temporal('workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', 'resume');
    await api.waitFor((p) => p.canCommit === true);
    await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'commit');
    await api.waitFor((p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  });

  test('a Temporal Schedule starts a sync with syncWorkflow; temporal workflow query/signal drive it to COMMITTED', async () => {
    const cli = findTemporalCli();
    assert.ok(cli, 'the Temporal CLI is needed (npm run temporal:install)');
    await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 100 }]);
    const h = await harness();
    const temporal = async (...args: string[]): Promise<string> =>
      (await execFileAsync(cli.path, [...args, '--address', env.address, '--namespace', 'default'], { encoding: 'utf8' })).stdout;
    const syncId = `scheduled-${h.syncId}`;
    const scheduleId = `nightly-${h.syncId}`;
    // The input the README documents: the sync id and the complete normalised /start options.
    const input = { syncId, options: (parseStartOptions({ source: 'cluster0', destination: 'cluster1' }) as { ok: true; options: unknown }).options };
    assert.deepEqual(input.options, {
      source: 'cluster0',
      destination: 'cluster1',
      reversible: false,
      writeBlocking: 'none',
      includeNamespaces: [],
      excludeNamespaces: [],
      buildIndexes: 'afterDataCopy',
      verificationEnabled: true,
      detectRandomId: true,
      skipDiskSpaceCheck: false,
    });
    await temporal('schedule', 'create', '--schedule-id', scheduleId, '--workflow-id', `c2c-sync-${syncId}`, '--type', 'syncWorkflow',
      '--task-queue', h.taskQueue, '--cron', '0 2 * * *', '--input', JSON.stringify(input));
    cleanups.push(() => temporal('schedule', 'delete', '--schedule-id', scheduleId).catch(() => undefined));
    await temporal('schedule', 'trigger', '--schedule-id', scheduleId);

    // Scheduled runs get the schedule time appended to their workflow id: find it by search attribute.
    const workflowId = await pollUntil(
      async () => {
        const listed = JSON.parse(await temporal('workflow', 'list', '--query', `C2cSyncId = '${syncId}'`, '--output', 'json')) as { execution: { workflowId: string } }[] | null;
        return listed?.[0]?.execution.workflowId;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the scheduled sync' },
    );
    assert.ok(workflowId, 'the scheduled sync was not found');
    assert.match(workflowId, new RegExp(`^c2c-sync-${syncId}-\\d{4}-\\d\\d-\\d\\dT`));
    cleanups.push(() => env.client.workflow.getHandle(workflowId).terminate('test finished').catch(() => undefined));

    const progress = async (): Promise<Progress> =>
      (JSON.parse(await temporal('workflow', 'query', '--workflow-id', workflowId, '--type', 'progress', '--output', 'json')) as { queryResult: [Progress] }).queryResult[0];
    const waitFor = (done: (p: Progress) => boolean): Promise<Progress> => pollProgress(progress, done, 90_000);
    await waitFor((p) => p.canCommit === true);
    await temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'commit');
    await waitFor((p) => p.state === 'COMMITTED');
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
  });
});
