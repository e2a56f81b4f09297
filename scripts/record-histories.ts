// Records workflow histories from real runs on a dev server into test/fixtures/histories/, for
// the replay test that catches non-deterministic workflow changes. Re-record on purpose only,
// when a workflow change is meant to be incompatible (with a patch) or the workflow is new:
//   npx tsx scripts/record-histories.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { recordingScenarios } from '../test/support/recording-scenarios';
import { createTemporalTestEnv } from '../test/support/temporal';

async function main(): Promise<void> {
  const outDir = join(__dirname, '..', 'test', 'fixtures', 'histories');
  mkdirSync(outDir, { recursive: true });
  const env = await createTemporalTestEnv();
  try {
    for (const scenario of recordingScenarios) {
      const handle = await scenario.run(env);
      const history = await handle.fetchHistory();
      const file = join(outDir, `${scenario.name}.json`);
      writeFileSync(file, historyToJSON(history) + '\n');
      console.log(`recorded ${scenario.name}: ${history.events?.length ?? 0} events -> ${file}`);
    }
  } finally {
    await env.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
