// src/sync/verify is the verifier's pure logic: it imports only its siblings, the pure files of
// src/sync and the driver's BSON helpers, and does no I/O and reads no clock.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '..', '..', '..', '..', 'src', 'sync', 'verify');

it('src/sync/verify files import only siblings and the driver, and do no I/O', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, `found ${files.join(', ')}`);
  for (const file of files) {
    const text = readFileSync(join(DIR, file), 'utf8');
    for (const match of text.matchAll(/^(?:import|export)\s+(?:type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
      assert.ok(/^(\.\/|\.\.\/[^./]+$)/.test(match[1]!) || match[1] === 'mongodb', `${file} imports '${match[1]}'`);
    }
    assert.doesNotMatch(text, /\bMongoClient\b|\.(collection|db|find|aggregate|command|watch)\(|Date\.now|Math\.random|setTimeout|process\./, file);
  }
});
