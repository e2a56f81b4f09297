#!/usr/bin/env node
// `npm run bench`: runs every benchmark in turn. Each prints its figures as ratios against a
// baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const benches = [
  ['MongoDB simulator (insertMany / find through the driver)', 'test/mongo-sim/bench.ts'],
  ['sync copy throughput', 'bench/copy-throughput.ts'],
  ['verify throughput', 'bench/verify-throughput.ts'],
  ['change stream serving cost (source simulator)', 'bench/change-stream-serving.ts'],
  ['change event application throughput', 'bench/apply-throughput.ts'],
  ['end-to-end lag under steady writes', 'bench/apply-lag.ts'],
  ['commit with write blocking', 'bench/commit-time.ts'],
];
let failed = false;
for (const [title, file] of benches) {
  console.log(`\n## ${title} (${file})`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
