// `npm run mongo-sim -- --port 27100 --replSet rs0 [--auth --user NAME:PASSWORD ...]`: runs the
// simulator until SIGTERM/SIGINT and prints its connection string (never with credentials).
import { startMongoSim, type MongoSim } from './index';
import { CliUsageError, parseCliArgs, type CliOptions } from './server/cli-args';

function fail(message: string, code: number): never {
  process.stderr.write(`mongo-sim: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CliUsageError) fail(error.message, 2);
    throw error;
  }
  // Signal handlers come first so a signal that arrives during startup still closes cleanly.
  const state: { sim?: MongoSim; stopRequested: boolean } = { stopRequested: false };
  const shutdown = () => {
    if (state.stopRequested) return;
    state.stopRequested = true;
    if (!state.sim) return;
    state.sim.stop().then(
      () => process.exit(0),
      (error: unknown) => fail(`error while stopping: ${String(error)}`, 1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  state.sim = await startMongoSim(options);
  process.stdout.write(`${state.sim.uri}\n`);
  if (state.stopRequested) {
    state.stopRequested = false;
    shutdown();
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
