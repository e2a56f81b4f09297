// The sync workflow at 100,000 collections, on a real Temporal dev server with stub activities
// (the plan pages and work units are formed by the real pure planner): every collection is
// copied once, and no payload in the workflow's histories (start and continue-as-new inputs,
// activity inputs and results, across every run) comes near Temporal's 2 MB limit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SyncController } from '../../src/client/sync-controller';
import { MAX_SYNCED_COLLECTIONS } from '../../src/sync/scale-limits';
import { pollUntil } from '../support/poll';
import { stubActivities } from '../support/stub-activities';
import { createTemporalTestEnv, uniqueTaskQueue, workflowBundle } from '../support/temporal';

/** The bound this test holds the largest payload to (Temporal refuses payloads over 2 MB). */
const PAYLOAD_BOUND_BYTES = 256 * 1024;
const COLLECTIONS = MAX_SYNCED_COLLECTIONS;

let env: TestWorkflowEnvironment;

before(async () => {
  env = await createTemporalTestEnv();
});

after(async () => {
  await env?.teardown();
});

interface PayloadSizes {
  largest: number;
  where: string;
  events: number;
  runs: number;
}

/** Sums each `payloads` list found anywhere in an event (inputs, results, markers, memos). */
function payloadLists(value: unknown, found: number[] = []): number[] {
  if (value === null || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    for (const item of value) payloadLists(item, found);
    return found;
  }
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.payloads)) {
    found.push((record.payloads as { data?: Uint8Array | null }[]).reduce((sum, payload) => sum + (payload.data?.length ?? 0), 0));
  }
  for (const [key, child] of Object.entries(record)) {
    if (key !== 'payloads') payloadLists(child, found);
  }
  return found;
}

async function payloadSizes(workflowId: string): Promise<PayloadSizes> {
  const sizes: PayloadSizes = { largest: 0, where: '', events: 0, runs: 0 };
  let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    sizes.runs += 1;
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    for (const event of history.events ?? []) {
      sizes.events += 1;
      for (const bytes of payloadLists(event)) {
        if (bytes > sizes.largest) {
          const kind = Object.keys(event).find((key) => key.endsWith('EventAttributes') && (event as Record<string, unknown>)[key]) ?? '?';
          sizes.largest = bytes;
          sizes.where = `${kind} (event ${String(event.eventId)} of run ${runId})`;
        }
      }
    }
    const previous: string | null | undefined = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = previous || undefined;
  }
  return sizes;
}

test(`a sync of ${COLLECTIONS} collections keeps every workflow payload under ${PAYLOAD_BOUND_BYTES} bytes`, async () => {
  const stubs = stubActivities({ collections: COLLECTIONS, partitions: 1, applyPauseMs: 10 });
  const taskQueue = uniqueTaskQueue('scale');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: stubs.activities });
  const running = worker.run();
  const controller = new SyncController({ client: env.client, syncId: taskQueue, taskQueue, tuning: { copyConcurrency: 4, stallRetryDelayMs: 100 } });
  try {
    const startedAt = Date.now();
    await controller.start({ source: 'cluster0', destination: 'cluster1' });
    const progress = await pollUntil(
      async () => {
        const p = await controller.progress();
        return p.canCommit === true ? p : undefined;
      },
      { what: 'canCommit', timeoutMs: 20 * 60_000 },
    );
    const seconds = (Date.now() - startedAt) / 1000;
    const state = (await controller.state())!;
    assert.equal(state.copy.collectionsTotal, COLLECTIONS);
    assert.equal(state.copy.collectionsPlanned, COLLECTIONS);
    assert.equal(state.copy.partitionsDone, COLLECTIONS);
    assert.equal(state.copy.copiedDocuments, COLLECTIONS * 10, 'every collection copied once');
    assert.deepEqual(progress.collectionCopy, { estimatedTotalBytes: COLLECTIONS * 100, estimatedCopiedBytes: COLLECTIONS * 100 });
    const units = stubs.callsOf('copyWorkUnit').map((input) => input.unit as number);
    assert.equal(new Set(units).size, units.length, 'no work unit copied twice');
    assert.equal(units.length, state.copy.unitsPlanned);

    const sizes = await payloadSizes(controller.workflowId);
    const stateBytes = JSON.stringify(state).length;
    console.log(
      `[scale] ${COLLECTIONS} collections: canCommit after ${seconds.toFixed(1)} s, ${stubs.callsOf('planCopyPage').length} planCopyPage and ` +
        `${units.length} copyWorkUnit activities, ${sizes.runs} runs, ${sizes.events} history events; largest payload ${sizes.largest} bytes ` +
        `(${sizes.where}); workflow state ${stateBytes} bytes`,
    );
    assert.ok(sizes.largest < PAYLOAD_BOUND_BYTES, `largest payload ${sizes.largest} bytes in ${sizes.where}`);
    assert.ok(stateBytes < PAYLOAD_BOUND_BYTES, `workflow state of ${stateBytes} bytes`);
  } finally {
    await env.client.workflow
      .getHandle(controller.workflowId)
      .terminate('test finished')
      .catch(() => undefined);
    worker.shutdown();
    await running;
  }
});
