// Snowflake-style Int64 _ids (above 2^53, so 256 consecutive ids share one double) through the
// whole engine: updates, deletes and re-inserts during the copy and during change event
// application, with write-concern errors on the destination along the way. After commit the
// destination equals the source byte for byte, and the write-concern errors were failures that
// Temporal retried, never successes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Document, Long, type MongoClient } from 'mongodb';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { startSyncHarness, type SyncHarness, waitForProgress } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';
import { SeededRandom } from '../support/workload';

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
let harness: SyncHarness | undefined;

before(async () => {
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
});

after(async () => {
  await harness?.close();
  await pair?.close();
  await env?.teardown();
});

const DOCUMENTS = 3000;
/** A snowflake-like id: a millisecond timestamp shifted left 22 bits, plus a sequence. */
const BASE = 1_700_000_000_000n << 22n;
const idOf = (n: number): Long => Long.fromBigInt(BASE + BigInt(n));
const WRITE_CONCERN_ERROR = { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } };

interface SnowflakeDoc {
  _id: Long;
  [field: string]: unknown;
}

/** Updates, deletes and re-inserts random snowflake ids until stopped; seeded. */
class SnowflakeWriter {
  readonly stats = { updates: 0, deletes: 0, inserts: 0, errors: [] as string[] };
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: MongoClient,
    private readonly seed: number,
  ) {}

  start(): this {
    const random = new SeededRandom(this.seed);
    const coll = this.client.db('snow').collection<SnowflakeDoc>('flakes');
    this.loop = (async () => {
      for (let step = 0; !this.stopped; step++) {
        // neighbours sharing one double are the interesting targets
        const id = idOf(random.int(DOCUMENTS + 200));
        try {
          const kind = random.int(10);
          if (kind < 6) {
            await coll.updateOne({ _id: id }, { $set: { [`f${random.int(4)}`]: step }, $inc: { version: 1 } } as Document);
            this.stats.updates++;
          } else if (kind < 8) {
            await coll.deleteOne({ _id: id });
            this.stats.deletes++;
          } else {
            await coll.replaceOne({ _id: id }, { _id: id, reinserted: step, version: 0 }, { upsert: true });
            this.stats.inserts++;
          }
        } catch (error) {
          this.stats.errors.push((error as Error).message);
        }
      }
    })();
    return this;
  }

  async stop(): Promise<SnowflakeWriter['stats']> {
    this.stopped = true;
    await this.loop;
    return this.stats;
  }
}

async function failDestinationWrites(commands: string[], times: number): Promise<void> {
  // appName limits the fail point to the engine's clients (c2c-sync), not the test's
  await pair.admin.cluster1.db('admin').command({
    configureFailPoint: 'failCommand',
    mode: { times },
    data: { failCommands: commands, writeConcernError: WRITE_CONCERN_ERROR, appName: 'c2c-sync' },
  });
}

/** The failures Temporal retried, as 'activity: message' (a retried attempt records the failure before it). */
async function retriedFailures(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const activityTypes = new Map<string, string>();
  const failures: string[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityTypes.set(String(event.eventId), scheduled.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started?.lastFailure?.message) failures.push(`${activityTypes.get(String(started.scheduledEventId))}: ${started.lastFailure.message}`);
  }
  return failures;
}

test('snowflake Int64 ids with updates and deletes during the copy and event application end byte-for-byte equal', async () => {
  const seed = Number(process.env.TEST_SEED ?? Date.now() % 100_000);
  console.log(`snowflake workload seed ${seed} (TEST_SEED=${seed} repeats it)`);
  const docs: Document[] = Array.from({ length: DOCUMENTS }, (_v, n) => ({ _id: idOf(n), n, version: 0, payload: 'x'.repeat(64) }));
  const flakes = pair.admin.cluster0.db('snow').collection<Document>('flakes');
  for (let i = 0; i < docs.length; i += 1000) await flakes.insertMany(docs.slice(i, i + 1000));

  harness = await startSyncHarness(env, pair);
  await failDestinationWrites(['insert'], 2);
  await harness.controller.start({ source: 'cluster0', destination: 'cluster1' });
  const writer = new SnowflakeWriter(pair.app.cluster0, seed).start();

  await waitForProgress(harness.controller, (p) => p.info === 'change event application', 180_000);
  // Once the events buffered during the copy are applied and dropped, the next destination
  // updates and deletes are event application's own.
  await waitUntil(
    async () => {
      const state = await harness!.controller.state();
      return state?.buffer?.handedOver === true && state.apply.checkpoint.buffer === undefined;
    },
    { what: 'the buffered events applied and the buffer dropped', timeoutMs: 180_000, intervalMs: 200 },
  );
  await failDestinationWrites(['update', 'delete'], 2);
  // keep writing while events are applied, until a few hundred more are applied
  const eventsApplied = async (): Promise<number> => (await harness!.controller.state())?.apply.eventsApplied ?? 0;
  const appliedAt = await eventsApplied();
  const deadline = Date.now() + 90_000;
  while ((await eventsApplied()) < appliedAt + 300) {
    assert.ok(Date.now() < deadline, `event application did not advance past ${appliedAt + 300}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const stats = await writer.stop();
  assert.deepEqual(stats.errors, []);
  assert.ok(stats.updates > 100 && stats.deletes > 20 && stats.inserts > 20, JSON.stringify(stats));

  await waitForProgress(harness.controller, (p) => p.canCommit === true, 120_000);
  await harness.controller.commit();
  await waitForProgress(harness.controller, (p) => p.state === 'COMMITTED', 120_000);
  assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);

  // The write-concern errors failed the copy's work unit and the event application they hit; both were retried.
  const failures = await retriedFailures(harness.controller.workflowId);
  for (const activity of ['copyWorkUnit', 'applyChangeEvents']) {
    assert.ok(
      failures.includes(`${activity}: waiting for replication timed out`),
      `a write-concern error must fail and retry ${activity}; retried failures: ${JSON.stringify(failures)}`,
    );
  }
});
