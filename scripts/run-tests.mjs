#!/usr/bin/env node
// Runs the test suites with Node's built-in test runner and tsx as the TypeScript loader.
// Usage: node scripts/run-tests.mjs [suite ...]   (suites: unit, mongo-sim, integration, e2e)
// With no suite given, every suite runs, cheapest first.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..');
const allSuites = ['unit', 'mongo-sim', 'integration', 'e2e'];
const suites = process.argv.slice(2).length ? process.argv.slice(2) : allSuites;

function findTests(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

/**
 * The files that take longest (seconds in a full run on a shared, busy machine, 2026-12-07) start
 * first, so that the files running at once end together instead of one long file running alone
 * at the end; the rest follow in alphabetical order.
 */
const LONGEST_FIRST = [
  'test/integration/convergence.test.ts', // ~140 (~320 with 4 at once)
  'test/integration/sync-lifecycle.test.ts', // ~135 (~290)
  'test/integration/sync-many-collections.test.ts', // ~115 (~240)
  'test/integration/sync-workflow.test.ts', // ~80 (~190)
  'test/integration/sync-crash.test.ts', // ~95 (~160)
  'test/integration/sync-workflow-scale.test.ts', // ~75 (~130)
  'test/integration/sync-oplog-window.test.ts', // ~65 (~110)
  'test/integration/apply-iterations.test.ts', // ~75 (~80)
  'test/integration/embedded-verifier.test.ts', // ~20 (~70)
  'test/integration/sync-ddl-replay.test.ts', // ~25 (~65)
  'test/integration/sync-verification-workflow.test.ts', // ~60 (~50)
  'test/integration/scale.test.ts', // ~30 (~50)
  'test/integration/long-apply-heartbeats.test.ts', // ~45 (~45)
  'test/integration/embedded-verifier-crash.test.ts', // ~40 (~40)
  'test/integration/sync-crash-long-activity.test.ts', // ~35 (~45)
  'test/integration/sync-snowflake-ids.test.ts', // ~20 (~50)
  'test/integration/embedded-verifier-destination-crash.test.ts', // ~25 (~50)
  'test/integration/embedded-verifier-destination.test.ts', // ~15 (~45)
  'test/integration/event-buffer.test.ts', // ~25 (~40)
  'test/integration/sync-large-events.test.ts', // ~35 (~40)
  'test/e2e/cli-restarts.test.ts', // ~230
  'test/e2e/cli.test.ts', // ~150
  'test/e2e/clean-exits.test.ts', // ~135
  'test/e2e/http-api.test.ts', // ~85
  'test/e2e/api-guard.test.ts', // ~80
  'test/e2e/cli-verify.test.ts', // ~65
];

function longestFirst(files) {
  const rank = (file) => {
    const at = LONGEST_FIRST.indexOf(file.split('\\').join('/'));
    return at < 0 ? LONGEST_FIRST.length : at;
  };
  return [...files].sort((a, b) => rank(a) - rank(b));
}

/**
 * Files run at once. Unit and simulator files keep a core busy each. Integration and end-to-end
 * files mostly wait (timers, heartbeat and sticky-queue timeouts, child processes starting): the
 * whole integration suite used 515 CPU seconds (user + sys) where two files at once took 630 s on
 * 2 cores, so three at once still leave CPU to spare; four timed out a slow-tuned sync on a
 * machine that other jobs loaded to 20. C2C_TEST_CONCURRENCY=<n> overrides every suite's.
 */
function concurrencyOf(suite) {
  const override = Number(process.env.C2C_TEST_CONCURRENCY);
  if (Number.isInteger(override) && override > 0) return override;
  return suite === 'integration' || suite === 'e2e' ? WAITING_SUITE_CONCURRENCY : 2;
}
const WAITING_SUITE_CONCURRENCY = 3;

let failed = false;
for (const suite of suites) {
  if (!allSuites.includes(suite)) {
    console.error(`unknown test suite '${suite}'; expected one of ${allSuites.join(', ')}`);
    process.exit(2);
  }
  const files = longestFirst(findTests(join(root, 'test', suite)));
  if (files.length === 0) continue;
  console.log(`\n# suite ${suite}: ${files.length} file(s)`);
  const concurrency = concurrencyOf(suite);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
