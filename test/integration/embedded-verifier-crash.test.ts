// SIGKILL of the worker process while the embedded verifier compares a collection: another worker
// resumes the comparison from the unit's durable checkpoint on the destination (not from the
// unit's start), the document counts neither lose nor double-count, and the sync commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncController } from '../../src/client/sync-controller';
import { C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import { compareClusters } from '../support/compare-clusters';
import { pollUntil } from '../support/poll';
import { TEST_TUNING, waitForProgress } from '../support/sync-harness';
import { uniqueTaskQueue } from '../support/temporal';
import { killWorker, useWorkerProcesses } from '../support/worker-process';
import { seed } from '../support/workload';

const fixture = useWorkerProcesses();

interface UnitResult {
  resumedFrom: { partition: number; after: string | null };
}

test('SIGKILL of the worker during verification resumes from the checkpoints on the destination', async () => {
  const documents = 6000;
  // One collection in one partition: one work unit, compared in small batches by one activity.
  await seed(fixture.pair.admin.cluster0, [{ db: 'big', coll: 'items', documents }]);
  const taskQueue = uniqueTaskQueue('verify-crash');
  const controller = new SyncController({
    client: fixture.env.client,
    syncId: taskQueue,
    taskQueue,
    tuning: {
      ...TEST_TUNING,
      partitionTargetBytes: 64 * 1024 * 1024,
      verifyConcurrency: 1,
      // tiny batches: the unit takes several seconds to compare, so that checkpoints (written once
      // a second) are stored part-way through it (with 20, 6000 documents took under a second)
      verifyBatchSize: 3,
      verifyChunkMaxMs: 60_000,
      heartbeatTimeoutMs: 3000,
    },
  });
  let current = await fixture.worker(taskQueue);
  await controller.start({ source: 'cluster0', destination: 'cluster1' });

  // Kill once the unit's durable checkpoint is part-way through the collection.
  const checkpoints = fixture.pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: number; resume: { after: string | null }; sourceDocuments: number; done: boolean }>('checkpoints');
  const before = await pollUntil(
    async () => {
      const checkpoint = await checkpoints.findOne({ _id: 0 });
      return checkpoint && checkpoint.resume.after !== null && !checkpoint.done && checkpoint.sourceDocuments >= 200 ? checkpoint : undefined;
    },
    { what: 'a verification checkpoint part-way through the unit', timeoutMs: 180_000, intervalMs: 20 },
  );
  await killWorker(current);
  current = await fixture.worker(taskQueue);

  const ready = await waitForProgress(controller, (p) => p.canCommit === true, 180_000);
  const verification = ready.verification as { source: { hashedDocumentCount: number; phase: string } };
  assert.equal(verification.source.phase, 'stream hashing');
  assert.equal(verification.source.hashedDocumentCount, documents, 'every document counted once');

  // The call that finished the unit started from the checkpoint, not from the unit's start.
  const history = await fixture.env.client.workflow.getHandle(controller.workflowId).fetchHistory();
  const results = (history.events ?? [])
    .filter((event) => event.activityTaskCompletedEventAttributes)
    .map((event) => event.activityTaskCompletedEventAttributes!.result?.payloads?.[0]?.data)
    .filter((data): data is Uint8Array => data instanceof Uint8Array)
    .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as Partial<UnitResult>)
    .filter((result): result is UnitResult => result.resumedFrom !== undefined);
  assert.ok(results.length > 0, 'a verifyWorkUnit result is in the history');
  const resumed = results.find((result) => result.resumedFrom.after !== null);
  assert.ok(resumed, `a call resumed after a checkpoint (checkpoint before the kill: ${JSON.stringify(before.resume)}): ${JSON.stringify(results)}`);

  await controller.commit();
  await waitForProgress(controller, (p) => p.state === 'COMMITTED', 120_000);
  assert.deepEqual(await compareClusters(fixture.pair.admin.cluster0, fixture.pair.admin.cluster1), []);
  await fixture.env.client.workflow.getHandle(controller.workflowId).terminate('test finished');
});
