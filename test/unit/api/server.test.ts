// The HTTP layer on its own (fastify inject): body parsing whatever the Content-Type, zod
// validation, mongosync envelopes, status codes, and that refused requests never reach the sync.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ServiceError } from '@temporalio/client';
import { createApiServer, type SyncCommands } from '../../../src/api/server';
import { buildOpenApiDocument } from '../../../src/api/openapi';
import { SyncError } from '../../../src/sync/errors';
import { idleProgress, type Progress } from '../../../src/sync/progress';

type Call = { command: string; body?: unknown };

/** Records calls; each command answers with the next queued outcome (default: success). */
class RecordingSync implements SyncCommands {
  readonly calls: Call[] = [];
  private readonly outcomes: (() => Promise<void>)[] = [];
  progressValue: Progress = idleProgress();

  failNextWith(error: unknown): void {
    this.outcomes.push(() => Promise.reject(error));
  }

  hangNext(): void {
    this.outcomes.push(() => new Promise<void>(() => {}));
  }

  private run(call: Call): Promise<void> {
    this.calls.push(call);
    return this.outcomes.shift()?.() ?? Promise.resolve();
  }

  start(body: unknown) {
    return this.run({ command: 'start', body });
  }
  pause() {
    return this.run({ command: 'pause' });
  }
  resume() {
    return this.run({ command: 'resume' });
  }
  commit() {
    return this.run({ command: 'commit' });
  }
  reverse() {
    return this.run({ command: 'reverse' });
  }
  clear() {
    return this.run({ command: 'clear' });
  }
  async progress() {
    await this.run({ command: 'progress' });
    return this.progressValue;
  }
}

async function server(options: { commandTimeoutMs?: number; bodyLimit?: number } = {}): Promise<{ app: FastifyInstance; sync: RecordingSync }> {
  const sync = new RecordingSync();
  const app = await createApiServer({ sync, version: '9.9.9', ...options });
  return { app, sync };
}

async function call(app: FastifyInstance, options: InjectOptions) {
  const response = await app.inject(options);
  return { status: response.statusCode, body: response.json<Record<string, unknown>>(), headers: response.headers };
}

const VALID_START = { source: 'cluster0', destination: 'cluster1' };

describe('POST /api/v1/{pause,resume,commit,reverse,clear}', () => {
  for (const command of ['pause', 'resume', 'commit', 'reverse', 'clear']) {
    test(`${command}: accepts {} whatever the content type, an empty body and no body`, async () => {
      const { app, sync } = await server();
      const url = `/api/v1/${command}`;
      const variants: InjectOptions[] = [
        { method: 'POST', url, payload: '{ }', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        { method: 'POST', url, payload: '{ }' },
        { method: 'POST', url, payload: '{}', headers: { 'content-type': 'application/json' } },
        { method: 'POST', url, payload: '{}', headers: { 'content-type': 'text/plain; charset=utf-8' } },
        { method: 'POST', url, payload: '  \n' },
        { method: 'POST', url },
      ];
      for (const variant of variants) {
        const response = await call(app, variant);
        assert.equal(response.status, 200, JSON.stringify(variant));
        assert.deepEqual(response.body, { success: true });
        assert.match(String(response.headers['content-type']), /^application\/json/);
      }
      assert.deepEqual(sync.calls, variants.map(() => ({ command })));
    });
  }

  test('unknown fields, non-objects and malformed JSON are 400 InvalidRequest and never reach the sync', async () => {
    const { app, sync } = await server();
    const cases: [string, RegExp][] = [
      ['{"force":true}', /unknown field 'force'.*\/commit takes no parameters/],
      ['{"a":1,"b":2}', /unknown fields 'a', 'b'/],
      ['[]', /must be a JSON object/],
      ['null', /must be a JSON object/],
      ['"commit"', /must be a JSON object/],
      ['{ ', /not valid JSON/],
      ["{'single':'quotes'}", /not valid JSON/],
    ];
    for (const [payload, pattern] of cases) {
      const response = await call(app, { method: 'POST', url: '/api/v1/commit', payload, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(response.status, 400, payload);
      assert.equal(response.body.success, false);
      assert.equal(response.body.error, 'InvalidRequest');
      assert.match(String(response.body.errorDescription), pattern);
      assert.deepEqual(Object.keys(response.body), ['success', 'error', 'errorDescription']);
    }
    assert.deepEqual(sync.calls, []);
  });

  test('state errors from the sync are 409 with their mongosync-style name', async () => {
    const { app, sync } = await server();
    const cases: [string, SyncError][] = [
      ['pause', new SyncError('InvalidState', 'cannot pause in state PAUSED; pause needs RUNNING')],
      ['commit', new SyncError('CannotCommit', 'cannot commit yet (canCommit is false): copy')],
      ['reverse', new SyncError('NotReversible', 'cannot reverse: not reversible')],
    ];
    for (const [command, error] of cases) {
      sync.failNextWith(error);
      const response = await call(app, { method: 'POST', url: `/api/v1/${command}`, payload: '{}' });
      assert.equal(response.status, 409);
      assert.deepEqual(response.body, { success: false, error: error.error, errorDescription: error.errorDescription });
    }
  });
});

describe('POST /api/v1/start', () => {
  test('a valid body is passed to the sync as parsed JSON, whatever the content type', async () => {
    const { app, sync } = await server();
    const body = { ...VALID_START, reversible: true, enableUserWriteBlocking: true };
    const response = await call(app, { method: 'POST', url: '/api/v1/start', payload: JSON.stringify(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { success: true });
    assert.deepEqual(sync.calls, [{ command: 'start', body }]);
  });

  test('invalid bodies are 400 with the offending field named, and start nothing', async () => {
    const { app, sync } = await server();
    const cases: [string | undefined, string, RegExp][] = [
      [undefined, 'InvalidStartRequest', /must be a JSON object/],
      ['', 'InvalidStartRequest', /must be a JSON object/],
      ['{"source":"cluster0"', 'InvalidRequest', /not valid JSON/],
      ['{"source":"cluster0","destination":"cluster1","bogus":1}', 'InvalidStartRequest', /unknown field 'bogus'/],
      ['{"source":"cluster0","destination":"cluster1","reversible":"yes"}', 'InvalidStartRequest', /field 'reversible' must be true or false/],
      ['{"source":"cluster0"}', 'InvalidStartRequest', /field 'destination' is required/],
      ['{"source":"cluster0","destination":"cluster0"}', 'InvalidStartRequest', /different clusters/],
      ['{"source":"cluster0","destination":"cluster1","sharding":{}}', 'UnsupportedStartOption', /sharding/],
    ];
    for (const [payload, error, pattern] of cases) {
      const response = await call(app, { method: 'POST', url: '/api/v1/start', ...(payload === undefined ? {} : { payload }) });
      assert.equal(response.status, 400, String(payload));
      assert.equal(response.body.error, error, String(payload));
      assert.match(String(response.body.errorDescription), pattern);
    }
    assert.deepEqual(sync.calls, []);
  });

  test('preflight and already-running errors are 409', async () => {
    const { app, sync } = await server();
    sync.failNextWith(new SyncError('PreflightFailed', "the destination holds data: database 'x'"));
    let response = await call(app, { method: 'POST', url: '/api/v1/start', payload: JSON.stringify(VALID_START) });
    assert.equal(response.status, 409);
    assert.equal(response.body.error, 'PreflightFailed');
    sync.failNextWith(new SyncError('InvalidState', 'already running'));
    response = await call(app, { method: 'POST', url: '/api/v1/start', payload: JSON.stringify(VALID_START) });
    assert.equal(response.status, 409);
    assert.equal(response.body.error, 'InvalidState');
  });
});

describe('GET /api/v1/progress', () => {
  test('wraps the progress object in mongosync’s envelope', async () => {
    const { app, sync } = await server();
    sync.progressValue = { ...idleProgress(), state: 'RUNNING', canCommit: true };
    const response = await app.inject({ method: 'GET', url: '/api/v1/progress' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, `{"progress":${JSON.stringify(sync.progressValue)},"success":true}`);
  });
});

describe('failures', () => {
  test('an unreachable Temporal server is 503 TemporalUnavailable', async () => {
    const { app, sync } = await server();
    const grpcError = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
    sync.failNextWith(new ServiceError('Failed to describe workflow', { cause: grpcError }));
    const response = await call(app, { method: 'GET', url: '/api/v1/progress' });
    assert.equal(response.status, 503);
    assert.equal(response.body.error, 'TemporalUnavailable');
    assert.match(String(response.body.errorDescription), /nothing was changed/);
  });

  test('unexpected errors are 500 InternalError, with credentials removed', async () => {
    const { app, sync } = await server();
    sync.failNextWith(new Error('could not reach mongodb://admin:hunter2@db.example:27017/?password=x'));
    const response = await call(app, { method: 'POST', url: '/api/v1/pause', payload: '{}' });
    assert.equal(response.status, 500);
    assert.equal(response.body.error, 'InternalError');
    assert.doesNotMatch(String(response.body.errorDescription), /hunter2|admin:/);
    assert.match(String(response.body.errorDescription), /<credentials>@db\.example/);
  });

  test('a workflow that does not answer in time is 504 CommandTimeout', async () => {
    const { app, sync } = await server({ commandTimeoutMs: 50 });
    sync.hangNext();
    const response = await call(app, { method: 'POST', url: '/api/v1/commit', payload: '{}' });
    assert.equal(response.status, 504);
    assert.equal(response.body.error, 'CommandTimeout');
    assert.match(String(response.body.errorDescription), /worker/);
  });

  test('a body over the limit is 413 PayloadTooLarge', async () => {
    const { app, sync } = await server({ bodyLimit: 64 });
    const response = await call(app, { method: 'POST', url: '/api/v1/start', payload: JSON.stringify({ ...VALID_START, pad: 'x'.repeat(100) }) });
    assert.equal(response.status, 413);
    assert.equal(response.body.error, 'PayloadTooLarge');
    assert.deepEqual(sync.calls, []);
  });

  test('unknown routes are 404 and wrong methods 405 with an Allow header, in the same envelope', async () => {
    const { app, sync } = await server();
    let response = await call(app, { method: 'POST', url: '/api/v1/stop', payload: '{}' });
    assert.equal(response.status, 404);
    assert.equal(response.body.error, 'NotFound');
    assert.match(String(response.body.errorDescription), /POST \/api\/v1\/stop/);
    response = await call(app, { method: 'GET', url: '/api/v1/start' });
    assert.equal(response.status, 405);
    assert.equal(response.body.error, 'MethodNotAllowed');
    assert.equal(response.headers.allow, 'POST');
    response = await call(app, { method: 'POST', url: '/api/v1/progress?x=1', payload: '{}' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.allow, 'GET, HEAD');
    assert.deepEqual(sync.calls, []);
  });
});

describe('GET /api/v1/openapi.json', () => {
  test('serves the generated document', async () => {
    const { app } = await server();
    const response = await call(app, { method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, JSON.parse(JSON.stringify(buildOpenApiDocument('9.9.9'))));
  });
});
