// `npm run temporal:install`: makes sure a Temporal CLI is available and prints where it is.
import { ensureTemporalCli, TemporalCliError } from '../src/temporal/cli-locator';

try {
  const cli = ensureTemporalCli((line) => console.error(line));
  console.log(`Temporal CLI ${cli.version} (${cli.source}): ${cli.path}`);
} catch (error) {
  if (error instanceof TemporalCliError) {
    console.error(`temporal:install: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
