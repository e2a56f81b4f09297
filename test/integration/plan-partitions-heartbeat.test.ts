// planPartitions heartbeats while the source is slow to answer (its collStats, its $sample, its
// walk of the _id index), walks the _id index when a $sample would read the whole collection,
// and a retried walk resumes after the last _id key its heartbeat recorded.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Document } from 'mongodb';
import { encodeId } from '../../src/activities/copy-partition';
import type { IdWalkPosition } from '../../src/activities/id-boundaries';
import { planPartitions, type PlanPartitionsInput, type PlanPartitionsResult } from '../../src/activities/plan-partitions';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

beforeEach(async () => {
  await pair.admin.cluster0.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  // Few, large documents: ten samples per partition would be far above 5% of them.
  const payload = 'x'.repeat(20_000);
  await pair.admin.cluster0.db('plan').collection('large').insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i, payload })) as Document[]);
  await pair.admin.cluster0.db('plan').collection('small').insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: i, payload: 'y'.repeat(1000) })) as Document[]);
});

const LARGE: PlanPartitionsInput = { source: 'cluster0', db: 'plan', coll: 'large', targetPartitionBytes: 256 * 1024, maxPartitions: 20 };
const SMALL: PlanPartitionsInput = { source: 'cluster0', db: 'plan', coll: 'small', targetPartitionBytes: 64 * 1024, maxPartitions: 8 };
const HEARTBEAT_TIMEOUT_MS = 1000;
const BLOCK_MS = 2500;

/** The next two of `commands` the source receives take BLOCK_MS each before they run. */
async function slowDown(commands: string[]): Promise<void> {
  await pair.admin.cluster0.db('admin').command({
    configureFailPoint: 'failCommand',
    mode: { times: 2 },
    data: { failCommands: commands, blockConnection: true, blockTimeMS: BLOCK_MS },
  });
}

async function runTimed(env: MockActivityEnvironment, input: PlanPartitionsInput): Promise<{ plan: PlanPartitionsResult; longestGap: number }> {
  const beats: number[] = [];
  env.on('heartbeat', () => beats.push(Date.now()));
  const start = Date.now();
  const plan = (await env.run(planPartitions, clusters, input)) as PlanPartitionsResult;
  const times = [start, ...beats, Date.now()];
  assert.ok(times[times.length - 1]! - start >= 2 * BLOCK_MS, 'the source was slowed down');
  return { plan, longestGap: Math.max(...times.slice(1).map((time, i) => time - times[i]!)) };
}

const maxima = (plan: PlanPartitionsResult): (string | null)[] => plan.ranges.map((range) => range.max);

test('a collection of few large documents is split by a walk of its _id index, heartbeating while the source is slow', async () => {
  await slowDown(['aggregate', 'find']);
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const { plan, longestGap } = await runTimed(env, LARGE);
  assert.ok(longestGap < HEARTBEAT_TIMEOUT_MS, `no gap between heartbeats reaches the heartbeat timeout (longest: ${longestGap} ms)`);
  // 300 documents in 20 partitions: every 15th _id is a boundary
  assert.deepEqual(maxima(plan), [...Array.from({ length: 19 }, (_, k) => encodeId(15 * (k + 1) - 1)), null]);
  assert.equal(plan.documents, 300);
});

test('a collection of many small documents is split from a $sample, heartbeating while the source is slow', async () => {
  await slowDown(['aggregate']);
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const { plan, longestGap } = await runTimed(env, SMALL);
  assert.ok(longestGap < HEARTBEAT_TIMEOUT_MS, `no gap between heartbeats reaches the heartbeat timeout (longest: ${longestGap} ms)`);
  assert.equal(plan.ranges.length, 8);
});

test('a retried walk of the _id index resumes after the key its heartbeat recorded', async () => {
  // The earlier attempt read 101 keys and found two boundaries (planted ones, unlike any a
  // walk from the start would find).
  const heartbeat: IdWalkPosition = { after: encodeId(100), keys: 101, boundaries: [encodeId(3), encodeId(40)] };
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: heartbeat, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
  const plan = (await env.run(planPartitions, clusters, LARGE)) as PlanPartitionsResult;
  // from key 102 on, every 15th key: keys 105, 120, ..., 300 (the _id one less)
  const rest = Array.from({ length: 14 }, (_, k) => encodeId(105 + 15 * k - 1));
  assert.deepEqual(maxima(plan), [encodeId(3), encodeId(40), ...rest, null]);
});
