// A copy that outlasts the source's oplog window many times over (issue 11): the source keeps a
// 2 MB oplog, a writer churns it so that it wraps again and again during a deliberately slow
// copy, and the sync still reaches canCommit, commits, and leaves the clusters equal. Without the
// event buffer the start point leaves the oplog during the copy and the sync fails with
// ChangeStreamHistoryLost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document, MongoClient } from 'mongodb';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { startSyncHarness, waitForProgress, type SyncHarness } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';
import { SeededRandom } from '../support/workload';

const OPLOG_MB = 2;
// Enough documents that the slow copy lasts about ten oplog windows: the assertion below wants five
// of the widest, and the widest grows when a loaded machine slows the churn.
const ITEMS = 20_000;

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
let harness: SyncHarness | undefined;

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair({ oplogSizeMB: OPLOG_MB });
});

after(async () => {
  await harness?.close();
  await pair?.close();
  await env?.teardown();
});

interface OplogSpan {
  oldest: Date;
  newest: Date;
}

async function oplogSpan(client: MongoClient): Promise<OplogSpan> {
  const oplog = client.db('local').collection<{ wall: Date }>('oplog.rs');
  const [oldest] = await oplog.find({}, { sort: { $natural: 1 }, limit: 1, projection: { wall: 1 } }).toArray();
  const [newest] = await oplog.find({}, { sort: { $natural: -1 }, limit: 1, projection: { wall: 1 } }).toArray();
  return { oldest: oldest!.wall, newest: newest!.wall };
}

/** Updates, inserts and deletes on the source until stopped: 16 KB payloads churn the oplog. */
class Churn {
  private stopped = false;
  private running: Promise<void> | undefined;
  operations = 0;

  constructor(private readonly client: MongoClient) {}

  start(): this {
    const random = new SeededRandom(11);
    const churn = this.client.db('app').collection<{ _id: number } & Document>('churn');
    const items = this.client.db('app').collection<{ _id: number } & Document>('items');
    let nextId = ITEMS;
    this.running = (async () => {
      while (!this.stopped) {
        const pick = random.next();
        const id = Math.floor(random.next() * ITEMS);
        if (pick < 0.7) await churn.updateOne({ _id: Math.floor(random.next() * 20) }, { $set: { pad: String(this.operations % 10).repeat(16_000), at: this.operations } }, { upsert: true });
        else if (pick < 0.85) await items.updateOne({ _id: id }, { $inc: { n: 1 }, $set: { touched: this.operations } });
        else if (pick < 0.93) await items.insertOne({ _id: nextId++, n: 0, pad: 'i'.repeat(500) });
        else await items.deleteOne({ _id: id });
        this.operations += 1;
        await new Promise((resolve) => setTimeout(resolve, 4));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

test('a sync whose copy lasts many oplog windows reaches canCommit, commits, and the clusters are equal', { timeout: 900_000 }, async () => {
  const items = pair.admin.cluster0.db('app').collection<{ _id: number } & Document>('items');
  for (let first = 0; first < ITEMS; first += 500) {
    await items.insertMany(Array.from({ length: 500 }, (_, k) => ({ _id: first + k, n: 0, pad: 'p'.repeat(1000) })));
  }
  harness = await startSyncHarness(env, pair, {
    // A slow copy: one partition at a time, small batches and chunks.
    tuning: { copyConcurrency: 1, copyBatchSize: 10, copyChunkMaxMs: 100, partitionTargetBytes: 256 * 1024, bufferIterationMs: 1_500 },
  });
  const churn = new Churn(pair.app.cluster0).start();
  const startedAt = Date.now();
  await harness.controller.start({ source: 'cluster0', destination: 'cluster1' });

  // Until the copy is done: the oplog window, sampled once the start point has left the oplog.
  const windowsMs: number[] = [];
  let copyDoneAt: number | undefined;
  let startLeftOplogAt: number | undefined;
  let oplogRemainingDuringCopy: string | undefined;
  while (copyDoneAt === undefined) {
    const progress = await harness.controller.progress();
    assert.notEqual(progress.state, 'FAILED', `the sync failed: ${String(progress.error)}: ${String(progress.errorDescription)}`);
    const span = await oplogSpan(pair.admin.cluster0);
    if (startLeftOplogAt === undefined && span.oldest.getTime() > startedAt) startLeftOplogAt = Date.now();
    // the window once the churn alone fills the oplog (the seeding's entries are gone)
    if (startLeftOplogAt !== undefined) windowsMs.push(span.newest.getTime() - span.oldest.getTime());
    if (progress.info === 'collection copy' && typeof progress.estimatedOplogTimeRemaining === 'string') {
      oplogRemainingDuringCopy = progress.estimatedOplogTimeRemaining;
    }
    if (progress.info === 'change event application') copyDoneAt = Date.now();
    else await new Promise((resolve) => setTimeout(resolve, 250));
    assert.ok(Date.now() - startedAt < 600_000, 'the copy did not finish within 10 minutes');
  }
  const copyMs = copyDoneAt - startedAt;
  assert.ok(windowsMs.length > 0, 'the start point left the oplog while the copy ran');
  const sorted = [...windowsMs].sort((a, b) => a - b);
  const medianWindowMs = sorted[Math.floor(sorted.length / 2)]!;
  const maxWindowMs = sorted[sorted.length - 1]!;

  const ready = await waitForProgress(harness.controller, (p) => p.canCommit === true || p.state === 'FAILED', 300_000);
  assert.equal(ready.state, 'RUNNING', `the sync failed: ${String(ready.error)}: ${String(ready.errorDescription)}`);
  await churn.stop();
  await harness.controller.commit();
  const committed = await waitForProgress(harness.controller, (p) => p.state === 'COMMITTED' || p.state === 'FAILED', 300_000);
  assert.equal(committed.state, 'COMMITTED', `the commit failed: ${String(committed.error)}: ${String(committed.errorDescription)}`);
  const state = await harness.controller.state();

  console.log(
    `copy ${(copyMs / 1000).toFixed(1)} s; source oplog window (${OPLOG_MB} MB) median ${(medianWindowMs / 1000).toFixed(1)} s, ` +
      `max ${(maxWindowMs / 1000).toFixed(1)} s: the copy lasted ${(copyMs / medianWindowMs).toFixed(1)} median windows ` +
      `(${(copyMs / maxWindowMs).toFixed(1)} of the widest); the start point left the oplog ` +
      `${((startLeftOplogAt! - startedAt) / 1000).toFixed(1)} s after the start; ` +
      `${churn.operations} writes; ${state?.buffer?.checkpoint.nextSeq ?? '?'} events buffered in ${state?.buffer?.iterations ?? '?'} iterations; ` +
      `estimatedOplogTimeRemaining during the copy: ${oplogRemainingDuringCopy ?? 'never reported'}`,
  );
  assert.ok(copyMs >= 5 * maxWindowMs, `the copy (${copyMs} ms) lasted at least 5 of the widest oplog windows (${maxWindowMs} ms)`);
  assert.ok(state?.buffer?.handedOver, 'the applier took the buffer over');
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
});
