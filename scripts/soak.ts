// `npm run soak -- --seeds N`: the randomized convergence run (test/support/convergence) for many
// seeds on one Temporal dev server and one pair of replica sets (simulated, or real ones from
// TEST_CLUSTER0_URI/TEST_CLUSTER1_URI). Prints pass/fail and the divergences of each seed, then
// a summary; exits 1 when any seed failed.
//   npm run soak -- --seeds 20 [--first-seed 1000] [--ops all,-ddl-rename] [--ids ...] [--faults ...]
//   SEED=1234 npm run soak               (one seed again, as printed by a failure)
import { startClusterPair } from '../test/support/cluster-pair';
import { convergenceOptions } from '../test/support/convergence/cli-options';
import { describeConfig } from '../test/support/convergence/config';
import { formatDivergence } from '../test/support/convergence/compare';
import { runConvergence } from '../test/support/convergence/run';
import { createTemporalTestEnv } from '../test/support/temporal';

async function main(): Promise<number> {
  const { seeds, config } = convergenceOptions(process.argv.slice(2), process.env, [1]);
  console.log(`soak: seeds ${seeds.join(', ')}; ${describeConfig(config)}`);
  const env = await createTemporalTestEnv();
  const pair = await startClusterPair();
  const summary: string[] = [];
  try {
    for (const seed of seeds) {
      const result = await runConvergence({ env, pair }, seed, config, (line) => console.log(line));
      const firstFinding = result.problems[0] ?? (result.divergences[0] ? formatDivergence(result.divergences[0]) : '');
      summary.push(`SEED=${seed} ${result.passed ? 'pass' : 'FAIL'} ${Math.round(result.durationMs / 1000)}s${firstFinding ? `  ${firstFinding}` : ''}`);
    }
  } finally {
    await pair.close();
    await env.teardown();
  }
  console.log(`\nsoak summary (${describeConfig(config)}):\n${summary.join('\n')}`);
  return summary.some((line) => / FAIL /.test(line)) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
