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
 * The files that take longest (seconds in a full run) start first, so that the two files running
 * at once end together instead of one long file running alone at the end; the rest follow in
 * alphabetical order.
 */
const LONGEST_FIRST = [
  'test/integration/convergence.test.ts', // ~140
  'test/integration/sync-lifecycle.test.ts', // ~110
  'test/integration/sync-workflow-scale.test.ts', // ~70
  'test/integration/sync-oplog-window.test.ts', // ~60
  'test/integration/sync-many-collections.test.ts', // ~60
  'test/integration/sync-crash.test.ts', // ~60
  'test/integration/sync-workflow.test.ts', // ~55
  'test/integration/apply-iterations.test.ts', // ~50
  'test/e2e/clean-exits.test.ts', // ~105
  'test/e2e/cli.test.ts', // ~90
  'test/e2e/cli-restarts.test.ts', // ~90
];

function longestFirst(files) {
  const rank = (file) => {
    const at = LONGEST_FIRST.indexOf(file.split('\\').join('/'));
    return at < 0 ? LONGEST_FIRST.length : at;
  };
  return [...files].sort((a, b) => rank(a) - rank(b));
}

let failed = false;
for (const suite of suites) {
  if (!allSuites.includes(suite)) {
    console.error(`unknown test suite '${suite}'; expected one of ${allSuites.join(', ')}`);
    process.exit(2);
  }
  const files = longestFirst(findTests(join(root, 'test', suite)));
  if (files.length === 0) continue;
  console.log(`\n# suite ${suite}: ${files.length} file(s)`);
  // Two files at once keep both cores busy (integration and end-to-end files mostly wait on servers).
  const concurrency = 2;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
