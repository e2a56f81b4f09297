#!/usr/bin/env node
// The c2c-sync command. Runs the compiled CLI from dist/ (npm run build); in a checkout without
// dist/, or with C2C_SYNC_FROM_SOURCE=1, runs the TypeScript sources through tsx.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const fromSource = process.env.C2C_SYNC_FROM_SOURCE === '1' || !existsSync(compiled);

if (fromSource) {
  require('tsx/cjs/api').register();
  require(join(root, 'src', 'cli', 'main.ts')).run();
} else {
  require(compiled).run();
}
