// Replays recorded histories against the current workflow code, without a server: a change that
// makes the workflow non-deterministic for histories already in flight fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime, workflowBundle } from '../support/temporal';

const historiesDir = join(__dirname, '..', 'fixtures', 'histories');
const historyFiles = readdirSync(historiesDir).filter((name) => name.endsWith('.json'));

test('there are recorded histories to replay', () => {
  assert.ok(historyFiles.length > 0, `no histories in ${historiesDir}`);
});

for (const file of historyFiles) {
  test(`recorded history ${file} replays deterministically`, async () => {
    installQuietRuntime();
    const history: unknown = JSON.parse(readFileSync(join(historiesDir, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
  });
}
