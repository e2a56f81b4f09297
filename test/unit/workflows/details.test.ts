// What the Temporal UI shows of a sync: static summary and details at start, current details
// on every run. A run that continued as new has no static details (the SDK's continueAsNew
// cannot carry them), so the current details must name the options too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detailsMarkdown, startDetails } from '../../../src/workflows/details';
import { DEFAULT_TUNING, initialState } from '../../../src/sync/state';
import { parseStartOptionsOrThrow } from '../../../src/sync/start-options';

const options = parseStartOptionsOrThrow({
  source: 'cluster0',
  destination: 'cluster1',
  includeNamespaces: [{ database: 'shop' }],
});

test('the static details name the direction and the options', () => {
  const details = startDetails(options);
  assert.match(details, /^\*\*source\*\* cluster0 · \*\*destination\*\* cluster1\n\nreversible: false · write blocking: \w+ · buildIndexes: \w+\n\nfilter: include \[.*"shop".*\] exclude \[\]$/);
});

test('the current details show state, copy and lag, and repeat the options for runs that continued as new', () => {
  const s = initialState('default', options, DEFAULT_TUNING);
  s.phase = 'applying';
  s.copy.copiedBytes = 500;
  s.copy.estimatedTotalBytes = 500;
  s.copy.copiedDocuments = 7;
  s.copy.done = true;
  const lines = detailsMarkdown(s).split('\n\n');
  assert.equal(lines[0], '**RUNNING** · phase applying · cluster0 → cluster1');
  assert.equal(lines[1], 'copy: 500 / 500 bytes, 7 documents (done)');
  assert.match(lines[2]!, /^events applied: 0 · lag: \d+ s · applied through -$/);
  assert.deepEqual(lines.slice(-2), startDetails(options).split('\n\n').slice(1), 'the options, as in the static details');
});
