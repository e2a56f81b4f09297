// A small instance of `npm run scale`: many collections, a worker in its own process, an
// application writing throughout. Asserts correctness only (the sync commits, the clusters are
// equal, every collection is there), never timing: the figures are printed for the record.
// SEED=N repeats a run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseScaleArgs } from '../support/scale/options';
import { scaleTable } from '../support/scale/report';
import { runScale } from '../support/scale/run';
import { createTemporalTestEnv } from '../support/temporal';

let env: TestWorkflowEnvironment;

before(async () => {
  env = await createTemporalTestEnv();
});

after(async () => {
  await env?.teardown();
});

test('a sync of 200 collections with writes throughout commits, and the clusters are equal', async () => {
  const seed = process.env.SEED ?? String(Math.floor(Math.random() * 1_000_000));
  const options = parseScaleArgs(['--collections', '200', '--documents', '5', '--doc-bytes', '512', '--databases', '4', '--write-rate', '20', '--seed', seed]);
  console.log(`scale test: SEED=${options.seed}`);
  const report = await runScale(options, (line) => console.log(line), { env });
  console.log(scaleTable(report));
  assert.equal(report.failure, null, `SEED=${options.seed}: ${report.failure}`);
  assert.ok(report.compare, 'the clusters were compared');
  assert.deepEqual(report.compare.differences, [], `SEED=${options.seed}`);
  assert.equal(report.compare.namespaces, 200, 'every collection is on the source and was compared');
  assert.ok(report.writer.inserts + report.writer.updates + report.writer.deletes > 0, 'the application wrote during the sync');
  assert.ok(report.history && report.history.totalEvents > 0, 'the workflow history was read');
});
