// `npm run temporal:install` (and `npm install`, through scripts/postinstall.cjs): makes sure a
// Temporal CLI is available and prints where it is. Exits 1 when every route failed.
import { provisionTemporalCli, TemporalCliError } from '../src/temporal/cli-locator';

export async function installTemporalCli(): Promise<number> {
  try {
    const cli = await provisionTemporalCli();
    process.stderr.write(`Temporal CLI ${cli.version} (${cli.source}): ${cli.path}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof TemporalCliError)) throw error;
    process.stderr.write(`temporal:install: ${error.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void installTemporalCli().then((code) => process.exit(code));
}
