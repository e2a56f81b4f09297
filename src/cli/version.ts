// The package version, for --version, the API's OpenAPI document and the logs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// src/cli and dist/cli are both two levels below the package root.
export const VERSION: string = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
