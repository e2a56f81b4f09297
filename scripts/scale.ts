// `npm run scale -- [flags]`: one sync at a chosen scale (N collections x M documents of a
// chosen size, an application writing throughout), measured: copy and apply throughput, the
// worker's peak memory, the workflow's largest payload and history length, the oplog the sync
// needed, and the time to canCommit and COMMITTED. Prints the seed; exits 1 when the sync fails
// or the clusters differ, 2 on bad flags. `npm run scale -- --help` lists the flags.
import { parseScaleArgs, SCALE_USAGE, ScaleUsageError } from '../test/support/scale/options';
import { scaleExitCode, scaleTable } from '../test/support/scale/report';
import { runScale } from '../test/support/scale/run';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SCALE_USAGE);
    return 0;
  }
  let options;
  try {
    options = parseScaleArgs(argv);
  } catch (error) {
    if (error instanceof ScaleUsageError) {
      console.error(`scale: ${error.message}`);
      return 2;
    }
    throw error;
  }
  console.log(`scale: seed ${options.seed}`);
  // Ctrl-C (or a kill) ends the run the normal way: the worker, the clusters and the Temporal
  // server it started are stopped, not left running.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupt.signal.aborted) return;
      console.log(`scale: ${signal}: stopping the sync, the worker and the clusters`);
      interrupt.abort();
    });
  }
  const report = await runScale(options, (line) => console.log(line), { signal: interrupt.signal });
  console.log(`\n${scaleTable(report)}`);
  return scaleExitCode(report);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
