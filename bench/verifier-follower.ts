// What the embedded verifier's follower of the destination's change stream costs for the
// applier's own writes (src/activities/verify-destination-events.ts): the applier writes N
// updates to the destination and records each document in the changed set, as it does while the
// verifier runs, and notes it in the worker's memory of the set (changed-set-memory.ts); the
// follower then reads those N events and, finding each _id in that memory, inserts nothing
// (with `--no-memory`, the applier runs in another worker: the follower inserts each _id once
// per batch, a duplicate left as it is). Measured in the same run on the same simulated
// destination: (1) a plain cluster-wide `watch()` reading the N events to the end, (2) the
// follower's drain (its $match and $project, batching, the changed-set inserts, its position
// writes). Prints events/s of each.
//   npx tsx bench/verifier-follower.ts [events=20000] [--no-memory]
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Document, Timestamp } from 'mongodb';
import { changeIdentity, recordedChangesFor } from '../src/activities/changed-set-memory';
import { claimStore, recordChanged } from '../src/activities/verifier-store';
import { beginDestinationEvents, followDestinationEvents, type FollowDestinationEventsResult } from '../src/activities/verify-destination-events';
import { createClusterClients } from '../src/mongo/cluster-clients';
import { DEFAULT_TUNING } from '../src/sync/state';
import { startClusterPair } from '../test/support/cluster-pair';
import { seedDocuments } from './apply-support';

const events = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 20_000);
const shareMemory = !process.argv.includes('--no-memory');

async function main(): Promise<void> {
  const pair = await startClusterPair();
  const clusters = createClusterClients(pair.uris);
  try {
    const destination = pair.admin.cluster1;
    const documents = Math.min(5000, events);
    await seedDocuments(destination, 'bench', 'docs', documents);
    await claimStore(destination, 'follower-bench');
    await new MockActivityEnvironment().run(beginDestinationEvents, clusters, { destination: 'cluster1' as const, syncId: 'follower-bench' });
    const start = (await destination.db('admin').command({ ping: 1 })).operationTime as Timestamp;

    // The applier's writes, each document recorded in the changed set as the applier records it.
    const docs = destination.db('bench').collection<{ _id: number } & Document>('docs');
    const memory = await recordedChangesFor(destination);
    const ns = { db: 'bench', coll: 'docs' };
    for (let done = 0; done < events; done += 1000) {
      const ids = Array.from({ length: Math.min(1000, events - done) }, (_, k) => (done + k) % documents);
      await docs.bulkWrite(ids.map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { v: 1 } } } })), { ordered: false });
      await recordChanged(destination, ns, ids);
      if (shareMemory) memory.add(ids.map((id) => changeIdentity(ns, id)));
    }
    const end = (await destination.db('admin').command({ ping: 1 })).operationTime as Timestamp;

    let started = performance.now();
    const stream = destination.watch([], { startAtOperationTime: start, batchSize: DEFAULT_TUNING.verifyBatchSize, maxAwaitTimeMS: 200 });
    let plain = 0;
    for (;;) {
      const event = await stream.tryNext();
      if (event && (event as Document).ns?.db === 'bench') plain += 1;
      const token = stream.resumeToken as { _data: string } | null;
      if (!event && token && Number.parseInt(token._data.slice(2, 10), 16) >= end.t && plain >= events) break;
    }
    await stream.close();
    const plainSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    const result = (await new MockActivityEnvironment().run(followDestinationEvents, clusters, {
      source: 'cluster0' as const,
      destination: 'cluster1' as const,
      includeNamespaces: [],
      excludeNamespaces: [],
      maxDurationMs: 0,
      batchSize: DEFAULT_TUNING.verifyBatchSize,
      syncId: 'follower-bench',
      drain: true,
    })) as FollowDestinationEventsResult;
    const followerSeconds = (performance.now() - started) / 1000;

    console.log(
      `events: ${events} updates of ${documents} ~300-byte documents, every one already in the changed set` +
        (shareMemory ? ' and in the worker memory of it' : ' (not in the follower worker memory of it)'),
    );
    console.log(`plain watch()        ${(plain / plainSeconds).toFixed(0).padStart(7)} events/s (${plainSeconds.toFixed(2)} s)`);
    console.log(
      `follower drain       ${(result.documentEvents / followerSeconds).toFixed(0).padStart(7)} events/s (${followerSeconds.toFixed(2)} s; ` +
        `${result.documentEvents} document events; batches of up to ${DEFAULT_TUNING.verifyBatchSize})`,
    );
    console.log(`the follower takes ${(plain / plainSeconds / (result.documentEvents / followerSeconds)).toFixed(2)}x the time per event of a plain watch()`);
  } finally {
    await clusters.close();
    await pair.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
