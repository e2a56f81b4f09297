#!/usr/bin/env node
// npm's postinstall step of this package: provisions the Temporal CLI the embedded server and
// the tests need (see src/temporal/cli-locator.ts for the routes). It never fails `npm install`:
// when no route works it says once what to install, and the service tries again when it starts.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

function loadInstaller() {
  const compiled = join(root, 'dist', 'temporal', 'cli-locator.js');
  if (existsSync(compiled)) return require(compiled);
  require('tsx/cjs/api').register();
  return require(join(root, 'src', 'temporal', 'cli-locator.ts'));
}

async function main() {
  if (process.env.C2C_SKIP_TEMPORAL_INSTALL === '1') return;
  let installer;
  try {
    installer = loadInstaller();
  } catch (error) {
    process.stderr.write(`c2c-sync: the Temporal CLI was not provisioned (${error.message}); run \`npm run temporal:install\` later\n`);
    return;
  }
  try {
    const cli = await installer.provisionTemporalCli();
    process.stderr.write(`c2c-sync: Temporal CLI ${cli.version} (${cli.source}): ${cli.path}\n`);
  } catch (error) {
    process.stderr.write(`c2c-sync: ${error.message}\n`);
  }
}

main().catch((error) => process.stderr.write(`c2c-sync: the Temporal CLI was not provisioned: ${error && error.message}\n`));
