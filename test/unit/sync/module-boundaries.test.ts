// src/sync is pure logic. The files workflow code imports must stay inside Temporal's
// deterministic sandbox: they may import only each other and zod, and must not read clocks,
// randomness or timers. The activity-side files may also use the driver's BSON helpers, but
// no I/O. The shared vocabulary imports nothing. Above src/sync, src/mongo (the driver helpers)
// sits below the workflow and the activities: it may import only itself, src/sync and packages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SRC_DIR = join(__dirname, '..', '..', '..', 'src');
const SYNC_DIR = join(SRC_DIR, 'sync');
const MONGO_DIR = join(SRC_DIR, 'mongo');

const WORKFLOW_SAFE = [
  'cea-catchup',
  'copy-plan',
  'scale-limits',
  'errors',
  'namespace-filter',
  'namespace-names',
  'partition-plan',
  'pcre-regex',
  'progress',
  'start-options',
  'state',
  'verification',
  'vocabulary',
];
const ACTIVITY_SIDE = [
  'apply-batching',
  'change-stream-filter',
  'ddl-replay',
  'document-size',
  'event-translation',
  'id-sampling',
  'index-plan',
  'index-relaxation',
  'key-identity',
  'oplog-window',
  'oversize-write',
  'split-events',
];

function source(name: string): string {
  return readFileSync(join(SYNC_DIR, `${name}.ts`), 'utf8');
}

function imports(text: string): { specifier: string; typeOnly: boolean }[] {
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
    out.push({ specifier: match[2], typeOnly: Boolean(match[1]) });
  }
  return out;
}

const NON_DETERMINISTIC = /\b(Date\.now|new Date\(|Math\.random|setTimeout|setInterval|process\.|require\()/;

describe('src/sync module boundaries', () => {
  it('every file is classified', () => {
    const files = readdirSync(SYNC_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
    assert.deepEqual(files, [...WORKFLOW_SAFE, ...ACTIVITY_SIDE].sort());
  });

  it('workflow-safe files import only workflow-safe files and zod, and use no clock, randomness or timers', () => {
    for (const name of WORKFLOW_SAFE) {
      const text = source(name);
      for (const { specifier } of imports(text)) {
        const allowed = specifier === 'zod' || (specifier.startsWith('./') && WORKFLOW_SAFE.includes(specifier.slice(2)));
        assert.ok(allowed, `${name}.ts imports '${specifier}'`);
      }
      assert.doesNotMatch(text, NON_DETERMINISTIC, `${name}.ts`);
    }
  });

  it('activity-side files do no I/O: only the driver (for BSON), zod and sibling files', () => {
    for (const name of ACTIVITY_SIDE) {
      const text = source(name);
      for (const { specifier } of imports(text)) {
        const allowed = specifier === 'mongodb' || specifier === 'zod' || specifier.startsWith('./');
        assert.ok(allowed, `${name}.ts imports '${specifier}'`);
      }
      assert.doesNotMatch(text, /\bMongoClient\b|\.(collection|db|bulkWrite|find|findOne|aggregate|command|watch)\(/, `${name}.ts does driver I/O`);
      assert.doesNotMatch(text, NON_DETERMINISTIC, `${name}.ts`);
    }
  });
});

describe('layering above src/sync', () => {
  it('the shared vocabulary imports nothing', () => {
    assert.deepEqual(imports(source('vocabulary')), []);
  });

  it('src/mongo imports only src/mongo, src/sync and packages (never the workflow, activities, API or CLI)', () => {
    const files = readdirSync(MONGO_DIR).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 0);
    for (const file of files) {
      for (const { specifier } of imports(readFileSync(join(MONGO_DIR, file), 'utf8'))) {
        const allowed = !specifier.startsWith('.') || specifier.startsWith('./') || specifier.startsWith('../sync/');
        assert.ok(allowed, `src/mongo/${file} imports '${specifier}'`);
      }
    }
  });
});
