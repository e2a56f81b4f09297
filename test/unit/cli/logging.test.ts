// Structured logs: mongosync's fields, credentials removed, long fields truncated, verbosity,
// and the log directory with rotation.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogging, LOG_FILE_NAME, MAX_FIELD_LENGTH, rfc3339 } from '../../../src/logging';

const dir = mkdtempSync(join(tmpdir(), 'c2c-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function memoryLogging(verbosity?: 'WARN' | 'DEBUG') {
  const lines: string[] = [];
  const logging = createLogging({ syncId: 'sync-7', ...(verbosity ? { verbosity } : {}), stream: { write: (line: string) => lines.push(line) } });
  return { logger: logging.logger, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logging', () => {
  test('each line is JSON with level, time, message, pid and mongosyncID', () => {
    const { logger, entries } = memoryLogging();
    logger.child({ componentName: 'HTTP API' }).info({ command: 'pause' }, 'pause accepted');
    const [entry] = entries();
    assert.deepEqual(Object.keys(entry!).sort(), ['command', 'componentName', 'level', 'message', 'mongosyncID', 'pid', 'time']);
    assert.equal(entry!.level, 'info');
    assert.equal(entry!.message, 'pause accepted');
    assert.equal(entry!.mongosyncID, 'sync-7');
    assert.equal(entry!.pid, process.pid);
    assert.equal(entry!.componentName, 'HTTP API');
    assert.match(String(entry!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    assert.ok(Math.abs(Date.parse(String(entry!.time)) - Date.now()) < 5_000);
  });

  test('rfc3339 keeps the instant, in local time with its offset', () => {
    const date = new Date(Date.UTC(2022, 5, 17, 16, 27, 58, 187));
    assert.equal(Date.parse(rfc3339(date)), date.getTime());
  });

  test('credentials never reach the log, in messages, fields or errors', () => {
    const { logger, entries } = memoryLogging();
    const uri = 'mongodb://admin:hunter2@db.example:27017/?authSource=admin&password=topsecret';
    logger.info({ cluster0: uri, nested: { list: [uri] } }, `connecting to ${uri}`);
    logger.error({ error: new Error(`failed: ${uri}`) }, 'boom');
    const text = JSON.stringify(entries());
    assert.doesNotMatch(text, /hunter2|topsecret|admin:/);
    assert.match(text, /mongodb:\/\/<credentials>@db\.example:27017/);
    assert.equal((entries()[1]!.error as { message: string }).message, 'failed: mongodb://<credentials>@db.example:27017/?authSource=admin&password=<redacted>');
  });

  test('credentials never reach the log from an error logged alone, nor from deeply nested fields', () => {
    const { logger, entries } = memoryLogging();
    logger.error(new Error('failed: mongodb://admin:hunter2@db.example:27017'));
    logger.info({ a: { b: { c: { d: { e: { f: { g: { h: { i: { j: 'mongodb://admin:hunter2@db.example' } } } } } } } } } }, 'deep');
    const text = JSON.stringify(entries());
    assert.doesNotMatch(text, /hunter2/);
    assert.equal(entries()[0]!.message, 'failed: mongodb://<credentials>@db.example:27017');
  });

  test('fields longer than 1024 characters are truncated', () => {
    const { logger, entries } = memoryLogging();
    logger.info({ big: 'x'.repeat(5000) }, 'y'.repeat(3000));
    const [entry] = entries();
    assert.equal(String(entry!.big).length, MAX_FIELD_LENGTH + '…(truncated)'.length);
    assert.ok(String(entry!.message).startsWith('y'.repeat(MAX_FIELD_LENGTH)));
    assert.ok(String(entry!.message).endsWith('…(truncated)'));
  });

  test('verbosity drops less severe lines', () => {
    const quiet = memoryLogging('WARN');
    quiet.logger.info('hidden');
    quiet.logger.debug('hidden');
    quiet.logger.warn('shown');
    assert.deepEqual(quiet.entries().map((e) => e.message), ['shown']);
    const loud = memoryLogging('DEBUG');
    loud.logger.debug('shown');
    assert.deepEqual(loud.entries().map((e) => e.level), ['debug']);
  });

  test('with a log directory: c2c-sync.log, the previous file moved aside at start and on rotate()', () => {
    const logDir = join(dir, 'nested', 'logs');
    const first = createLogging({ syncId: 'a', logPath: logDir });
    first.logger.info('first run');
    first.flush();
    assert.match(readFileSync(join(logDir, LOG_FILE_NAME), 'utf8'), /first run/);

    writeFileSync(join(logDir, 'unrelated.txt'), 'keep');
    const second = createLogging({ syncId: 'a', logPath: logDir });
    second.logger.info('second run');
    second.flush();
    const rotated = readdirSync(logDir).filter((name) => /^c2c-sync-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/.test(name));
    assert.equal(rotated.length, 1);
    assert.match(readFileSync(join(logDir, rotated[0]!), 'utf8'), /first run/);
    assert.doesNotMatch(readFileSync(join(logDir, LOG_FILE_NAME), 'utf8'), /first run/);

    second.rotate();
    second.logger.info('after rotate');
    second.flush();
    assert.equal(readFileSync(join(logDir, LOG_FILE_NAME), 'utf8').trim().split('\n').length, 1);
    assert.match(readFileSync(join(logDir, LOG_FILE_NAME), 'utf8'), /after rotate/);
    assert.ok(existsSync(join(logDir, 'unrelated.txt')));
  });
});
