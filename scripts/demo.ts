// `npm run demo`: two simulated MongoDB replica sets with sample data, the whole c2c-sync
// service (embedded Temporal server + worker + HTTP API), and a scripted migration through the
// HTTP API: start, concurrent writes, commit, reverse. It then leaves the API and the Temporal
// UI up to explore until Ctrl-C. A dev script: it uses the test simulator and workload.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { callApi } from '../src/cli/api-client';
import { ignoreClosedOutput } from '../src/cli/main';
import { countProgress, progressBars, progressLine } from '../src/cli/progress-display';
import { startService, type RunningService } from '../src/cli/service';
import { DEFAULT_PORT, DEFAULT_TASK_QUEUE, resolveServiceConfig } from '../src/config';
import { redactCredentials } from '../src/mongo/redact';
import { provisionTemporalCli } from '../src/temporal/cli-locator';
import { stepProgress } from '../src/temporal/install-progress';
import { workflowIdFor } from '../src/workflows/messages';
import { startMongoSim, type MongoSim } from '../test/mongo-sim';
import { compareClusters } from '../test/support/compare-clusters';
import { ConcurrentWriter, seed } from '../test/support/workload';
import type { Progress } from '../src/sync/progress';

const SYNC_USER = { user: 'c2c', password: 'demo-secret' };
const say = (text = ''): void => void process.stdout.write(`${text}\n`);
const step = (text: string): void => say(process.stdout.isTTY ? `\n\x1b[1m▶ ${text}\x1b[0m` : `\n▶ ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function withUser(uri: string): string {
  const url = new URL(uri);
  url.username = SYNC_USER.user;
  url.password = SYNC_USER.password;
  url.searchParams.set('authSource', 'admin');
  return url.toString();
}

class Demo {
  private drawn = 0;

  constructor(private readonly api: string) {}

  async command(name: string, body: unknown = {}): Promise<void> {
    const data = JSON.stringify(body);
    say(`$ curl ${this.api}/api/v1/${name} -XPOST --data '${data === '{}' ? '{ }' : data}'`);
    const answer = await callApi({ baseUrl: this.api }, 'POST', `/api/v1/${name}`, body);
    say(answer.text);
    this.drawn = 0;
    if (answer.body.success !== true) throw new Error(`${name} was refused`);
  }

  /** Shows progress (bars on a terminal, lines otherwise) until `done` holds. */
  async watch(done: (progress: Progress) => boolean, timeoutMs = 180_000): Promise<Progress> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await callApi({ baseUrl: this.api }, 'GET', '/api/v1/progress');
      const progress = answer.body.progress as Progress;
      if (process.stdout.isTTY) {
        const lines = progressBars(progress, process.stdout.columns || 80, '  progress');
        process.stdout.write(`${this.drawn ? `\x1b[${this.drawn}F` : ''}\x1b[J${lines.join('\n')}\n`);
        this.drawn = lines.length;
      } else {
        say(`  ${progressLine(progress, new Date())}`);
      }
      if (done(progress)) return progress;
      if (Date.now() > deadline) throw new Error(`gave up waiting; progress: ${JSON.stringify(progress)}`);
      await sleep(500);
    }
  }
}

async function main(): Promise<void> {
  // the embedded Temporal server needs the CLI: `npm install` provisioned it, or this does now
  const temporalCli = await provisionTemporalCli({ output: process.stdout });
  const workDir = mkdtempSync(join(tmpdir(), 'c2c-sync-demo-'));
  const sims: MongoSim[] = [];
  const clients: MongoClient[] = [];
  let service: RunningService | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      say('\nstopping the demo…');
      await service?.stop();
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(sims.map((sim) => sim.stop()));
      rmSync(workDir, { recursive: true, force: true });
    })());
  ignoreClosedOutput();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void shutdown().then(() => process.exit(signal === 'SIGINT' ? 0 : 1)));
  }

  try {
    step('Starting two simulated MongoDB replica sets (cluster0 and cluster1)');
    for (let i = 0; i < 2; i++) sims.push(await startMongoSim({ auth: true, users: [SYNC_USER], periodicNoopIntervalMs: 1000 }));
    const uris = sims.map((sim) => withUser(sim.uri));
    uris.forEach((uri, i) => say(`  cluster${i}: ${redactCredentials(uri)}`));
    const [source, destination] = uris.map((uri) => new MongoClient(uri));
    clients.push(source!, destination!);

    step('Loading sample data into cluster0: shop.orders (20,000 documents, 3 indexes) and crm.people (3,000)');
    const sample = [
      { db: 'shop', coll: 'orders', documents: 20_000, indexes: [{ key: { seq: 1 }, name: 'seq_unique', unique: true }, { key: { name: 1, seq: -1 } }, { key: { tags: 1 } }] },
      { db: 'crm', coll: 'people', documents: 3_000 },
    ];
    const total = sample.reduce((sum, spec) => sum + spec.documents, 0);
    const terminal = process.stdout.isTTY === true;
    // a bar redrawn in place on a terminal; a plain line every 3 s through a pipe
    const loading = stepProgress(process.stdout, '  loading', Date.now, 3_000);
    loading.update(countProgress(0, total, 'documents', terminal));
    await seed(source!, sample, undefined, (inserted) => loading.update(countProgress(inserted, total, 'documents', terminal)));
    loading.done(`${total.toLocaleString('en-US')} documents loaded`);

    step('Starting c2c-sync: embedded Temporal server + worker + HTTP API');
    const port = (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : 0;
    const config = resolveServiceConfig({
      flags: { cluster0: uris[0], cluster1: uris[1], port: String(port), 'state-dir': join(workDir, 'state'), logPath: join(workDir, 'logs'), 'temporal-port': '0', 'temporal-ui-port': (await portIsFree(8233)) ? '8233' : '0' },
      env: { C2C_TUNING: JSON.stringify({ applyIterationMs: 1000, copyChunkMaxMs: 1000, partitionTargetBytes: 512 * 1024, copyConcurrency: 4 }) },
    });
    service = await startService(config, 'service', { stdout: process.stdout, stderr: process.stdout, env: process.env });
    const api = service.apiUrl!;
    const demo = new Demo(api);
    say(`  logs: ${join(workDir, 'logs', 'c2c-sync.log')}`);

    step('POST /api/v1/start: a reversible sync with write blocking, cluster0 → cluster1');
    await demo.command('start', { source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true });

    step('An application keeps writing to cluster0 while the collections are copied');
    const writer = new ConcurrentWriter(source!, 'shop', ['orders'], { firstId: 100_000, maxId: 20_000, seed: 42, pauseMs: 5 }).start();
    await demo.watch((p) => p.info === 'change event application');
    await sleep(3000);
    const stats = await writer.stop();
    say(`  the application made ${stats.inserts} inserts, ${stats.updates} updates, ${stats.replaces} replaces and ${stats.deletes} deletes`);

    step('Waiting for canCommit (copy done, events applied, lag small)');
    await demo.watch((p) => p.canCommit === true);

    step('POST /api/v1/commit: block writes on the source, drain, open the destination');
    await demo.command('commit');
    await demo.watch((p) => p.state === 'COMMITTED');
    const differences = await compareClusters(source!, destination!);
    say(differences.length === 0 ? '  ✓ cluster1 now holds exactly what cluster0 holds' : `  ✗ differences: ${differences.join('; ')}`);

    step('POST /api/v1/reverse: cluster1 becomes the source; its new writes flow back to cluster0');
    await demo.command('reverse');
    await demo.watch((p) => p.state === 'RUNNING');
    await destination!.db('crm').collection<{ _id: string; note: string }>('people').insertOne({ _id: 'written-after-reverse', note: 'hello from cluster1' });
    await demo.watch((p) => p.canCommit === true);

    const workflowId = workflowIdFor(config.id);
    step('The sync is RUNNING again (cluster1 → cluster0) and waits for you. Explore:');
    say(`  HTTP API      ${api}/api/v1/progress   (OpenAPI: ${api}/api/v1/openapi.json)`);
    say(`  Metrics       ${api}/metrics`);
    say(`  Temporal UI   ${service.uiUrl}/${workflowId}`);
    say(`  commit:       curl ${api}/api/v1/commit -XPOST --data '{ }'`);
    say(`  or:           npx c2c-sync commit --port ${new URL(api).port}`);
    say(`  or:           ${temporalCli.path} workflow signal --address ${service.temporalAddress} --workflow-id ${workflowId} --name commit`);
    say(`  watch:        npx c2c-sync progress --watch --port ${new URL(api).port}`);
    say(`  task queue ${DEFAULT_TASK_QUEUE}; everything stops with Ctrl-C.`);
    const code = await service.done;
    await shutdown();
    process.exit(code);
  } catch (error) {
    process.stderr.write(`demo failed: ${redactCredentials((error as Error).message)}\n`);
    await shutdown();
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${redactCredentials((error as Error).message)}\n`);
  process.exit(1);
});
