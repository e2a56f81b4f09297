// Commit with write blocking: from the /commit request to COMMITTED with canWrite, for c2c-sync
// and for a hand-written commit around the raw change-stream applier of bench/apply-support.ts,
// measured in the same run on the same two simulated clusters.
//
// Both start from an applier that is caught up after a burst of writes (size / 30 updates,
// 1,000 for 30,000), with light writes (about 20/s) still going until the source is blocked.
//   - raw: block user writes on the source (setUserWriteBlockMode), take the source's time as
//     the commit point, wait until the applier's stream is past it, unblock the destination.
//   - c2c-sync (enableUserWriteBlocking, production tuning), twice: without the embedded
//     verifier, and with it (the default sync configuration: the commit also drains the
//     verifier's destination events, rechecks what changed, and compares the catalogs): the
//     controller's commit (what POST /commit calls), then /progress polled every 5 ms until
//     state COMMITTED with canWrite true.
// Each is measured `rounds` times (a new sync each time for c2c-sync); prints every time and the
// medians, and for the verifier-on commits the median time of each activity the commit ran
// (offset from the /commit request and duration, from the workflow history).
//   npx tsx bench/commit-time.ts [size=30000] [rounds=3] [--timeline[=events]]
// --timeline prints every verifier-on commit's activities; --timeline=events every history event
// from the commit on (offset, type, activity).
import { performance } from 'node:perf_hooks';
import type { MongoClient } from 'mongodb';
import { startClusterPair, type ClusterPair } from '../test/support/cluster-pair';
import { createTemporalTestEnv } from '../test/support/temporal';
import { type BenchDocument, percentile, profiled, RawApplier, seedDocuments, sourceTime, startApplyingSync, whenTrue } from './apply-support';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const showTimeline = process.argv.includes('--timeline') || process.argv.includes('--timeline=events');
const showEvents = process.argv.includes('--timeline=events');
const size = Number(positional[0] ?? 30_000);
const rounds = Number(positional[1] ?? 3);
const DOCUMENTS = 1000;
const burst = Math.max(100, Math.floor(size / 30));

async function setBlock(client: MongoClient, blocked: boolean): Promise<void> {
  await client.db('admin').command({ setUserWriteBlockMode: 1, global: blocked });
}

/** Light writes on the app user's client until the source blocks them. */
function lightWrites(pair: ClusterPair): { stop(): Promise<void> } {
  const docs = pair.app.cluster0.db('bench').collection<BenchDocument>('docs');
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      try {
        await docs.updateOne({ _id: n % DOCUMENTS }, { $inc: { v: 1 } });
      } catch {
        return; // blocked
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function writeBurst(source: MongoClient): Promise<void> {
  await source
    .db('bench')
    .collection<BenchDocument>('docs')
    .bulkWrite(
      Array.from({ length: burst }, (_, k) => ({ updateOne: { filter: { _id: k % DOCUMENTS }, update: { $inc: { v: 1 } } } })),
      { ordered: false },
    );
}

async function rawCommit(pair: ClusterPair): Promise<number> {
  const source = pair.admin.cluster0;
  const destination = pair.admin.cluster1;
  await seedDocuments(destination, 'bench', 'docs', DOCUMENTS);
  const raw = new RawApplier(source, destination).start(await sourceTime(source));
  await setBlock(destination, true);
  await writeBurst(source);
  const caughtUp = await sourceTime(source);
  await whenTrue(async () => raw.appliedThrough !== null && raw.appliedThrough.greaterThanOrEqual(caughtUp));
  const writes = lightWrites(pair);
  const started = performance.now();
  await setBlock(source, true);
  const commitPoint = await sourceTime(source);
  await whenTrue(async () => raw.appliedThrough !== null && raw.appliedThrough.greaterThanOrEqual(commitPoint));
  await setBlock(destination, false);
  const took = (performance.now() - started) / 1000;
  await writes.stop();
  await raw.stop();
  await setBlock(source, false);
  await destination.db('bench').dropDatabase();
  return took;
}

/** One activity the commit ran: offset from the commit request's acceptance, and duration (ms). */
interface CommitStep {
  name: string;
  at: number;
  ms: number;
}

/** The activities (and local activities) scheduled from the commit on, from the workflow history. */
async function commitSteps(harness: Awaited<ReturnType<typeof startApplyingSync>>, env: Awaited<ReturnType<typeof createTemporalTestEnv>>): Promise<CommitStep[]> {
  type Event = {
    eventId?: { toString(): string } | null;
    eventTime?: { seconds?: { toString(): string } | null; nanos?: number | null } | null;
    workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string | null } | null } | null } | null;
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
    activityTaskCompletedEventAttributes?: { scheduledEventId?: { toString(): string } | null } | null;
    activityTaskCanceledEventAttributes?: { scheduledEventId?: { toString(): string } | null } | null;
  };
  const history = await env.client.workflow.getHandle(harness.controller.workflowId).fetchHistory();
  const ms = (event: Event): number => Number(event.eventTime?.seconds?.toString() ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
  let commitAt: number | undefined;
  const scheduled = new Map<string, { name: string; at: number }>();
  const steps: CommitStep[] = [];
  const names = new Map<string, string>();
  for (const event of (history.events ?? []) as Event[]) {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) names.set(event.eventId!.toString(), name);
    if (event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'commit') commitAt = ms(event);
    if (commitAt === undefined) continue;
    if (showEvents) {
      const type = Object.entries(event).find(([key, value]) => key.endsWith('EventAttributes') && value)?.[0].replace('EventAttributes', '') ?? '?';
      const of = Object.values(event).find((value) => value && typeof value === 'object' && 'scheduledEventId' in value) as { scheduledEventId?: { toString(): string } } | undefined;
      console.log(`      ${(ms(event) - commitAt).toFixed(0).padStart(6)} ms  ${type}  ${name ?? names.get(of?.scheduledEventId?.toString() ?? '') ?? ''}`);
    }
    if (name) scheduled.set(event.eventId!.toString(), { name, at: ms(event) });
    const ended =
      event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() ?? event.activityTaskCanceledEventAttributes?.scheduledEventId?.toString();
    const start = ended ? scheduled.get(ended) : undefined;
    if (start) steps.push({ name: start.name, at: start.at - commitAt, ms: ms(event) - start.at });
  }
  return steps;
}

async function syncCommit(
  env: Awaited<ReturnType<typeof createTemporalTestEnv>>,
  pair: ClusterPair,
  verification: boolean,
): Promise<{ seconds: number; steps: CommitStep[] }> {
  const harness = await startApplyingSync(env, pair, { enableUserWriteBlocking: true, verification: { enabled: verification } });
  try {
    await writeBurst(pair.admin.cluster0);
    const marker = await sourceTime(pair.admin.cluster0);
    await whenTrue(async () => {
      const state = await harness.controller.state();
      const applied = state?.apply.appliedThrough;
      return applied !== null && applied !== undefined && (applied.t > marker.t || (applied.t === marker.t && applied.i >= marker.i));
    });
    // the verifier may hold canCommit back until it has caught up with the burst
    await whenTrue(async () => (await harness.controller.progress()).canCommit === true);
    const writes = lightWrites(pair);
    const started = performance.now();
    await harness.controller.commit();
    await whenTrue(async () => {
      const progress = await harness.controller.progress();
      return progress.state === 'COMMITTED' && progress.canWrite === true;
    });
    const took = (performance.now() - started) / 1000;
    await writes.stop();
    return { seconds: took, steps: await commitSteps(harness, env) };
  } finally {
    await harness.close();
    await pair.reset();
    await seedDocuments(pair.admin.cluster0, 'bench', 'docs', DOCUMENTS);
  }
}

/** Per activity of the verifier-on commits: median offset and duration over the rounds. */
function stepMedians(rounds: CommitStep[][]): string[] {
  const byName = new Map<string, CommitStep[]>();
  for (const steps of rounds) for (const step of steps) byName.set(step.name, [...(byName.get(step.name) ?? []), step]);
  return [...byName]
    .map(([name, steps]) => ({ name, at: percentile(steps.map((s) => s.at), 50), ms: percentile(steps.map((s) => s.ms), 50), count: steps.length / rounds.length }))
    .sort((a, b) => a.at - b.at)
    .map(({ name, at, ms, count }) => `    at +${at.toFixed(0).padStart(5)} ms  ${ms.toFixed(0).padStart(5)} ms  ${name}${count > 1 ? ` (${count.toFixed(1)} calls per commit)` : ''}`);
}

async function main(): Promise<void> {
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  try {
    await seedDocuments(pair.admin.cluster0, 'bench', 'docs', DOCUMENTS);
    const rawTimes: number[] = [];
    const syncTimes: number[] = [];
    const verifiedTimes: number[] = [];
    const verifiedSteps: CommitStep[][] = [];
    for (let round = 0; round < rounds; round++) {
      rawTimes.push(await profiled(`commit-raw-${round}`, () => rawCommit(pair)));
      syncTimes.push((await profiled(`commit-c2c-sync-${round}`, () => syncCommit(env, pair, false))).seconds);
      const verified = await profiled(`commit-c2c-sync-verifier-${round}`, () => syncCommit(env, pair, true));
      verifiedTimes.push(verified.seconds);
      verifiedSteps.push(verified.steps);
      if (showTimeline) {
        console.log(`  verifier-on commit, round ${round + 1}: ${verified.seconds.toFixed(2)} s`);
        for (const step of verified.steps) console.log(`    at +${step.at.toFixed(0).padStart(5)} ms  ${step.ms.toFixed(0).padStart(5)} ms  ${step.name}`);
      }
    }
    const line = (what: string, times: number[]): string =>
      `${what.padEnd(44)} median ${percentile(times, 50).toFixed(2)} s  (${times.map((t) => t.toFixed(2)).join(', ')} s)`;
    console.log(`commit after a burst of ${burst} updates, light writes until the source is blocked, ${rounds} rounds`);
    console.log(line('raw: block, drain, unblock', rawTimes));
    console.log(line('c2c-sync, verifier off: /commit to canWrite', syncTimes));
    console.log(line('c2c-sync, verifier on: /commit to canWrite', verifiedTimes));
    console.log('  the verifier-on commit, per activity (median offset from the commit, median duration):');
    for (const row of stepMedians(verifiedSteps)) console.log(row);
    console.log(
      `c2c-sync median ${percentile(syncTimes, 50).toFixed(2)} s verifier off, ${percentile(verifiedTimes, 50).toFixed(2)} s verifier on (target <= 1.5 s)`,
    );
  } finally {
    await pair.close();
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
