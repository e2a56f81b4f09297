// Every endpoint's body fuzzed as an attacker would (test/support/api-fuzz.ts), against the
// fastify app with a recording stub of the sync: each invalid body gets a 4xx with the error
// envelope, never a 5xx, never reaches the sync, and no response shows a credential. Valid
// /start bodies from the same generator do reach it, so the fuzz cannot pass by refusing all.
// fast-check prints the seed and counterexample of a failure; rerun with it to reproduce.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { createApiServer, type SyncCommands } from '../../../src/api/server';
import { errorEnvelopeSchema } from '../../../src/api/schemas';
import { forgetRememberedCredentials, rememberCredentialsOf } from '../../../src/mongo/redact';
import { COMMANDS, FUZZ_SECRET, FUZZ_SECRET_URI, type FuzzBody, invalidCommandBody, invalidStartBody, validStartBody } from '../../support/api-fuzz';
import { idleProgress } from '../../../src/sync/progress';

class CountingSync implements SyncCommands {
  calls: string[] = [];
  async start() {
    this.calls.push('start');
  }
  async pause() {
    this.calls.push('pause');
  }
  async resume() {
    this.calls.push('resume');
  }
  async commit() {
    this.calls.push('commit');
  }
  async reverse() {
    this.calls.push('reverse');
  }
  async clear() {
    this.calls.push('clear');
  }
  async progress() {
    return idleProgress();
  }
}

let app: FastifyInstance;
const sync = new CountingSync();
const CONTENT_TYPES = [undefined, 'application/json', 'application/x-www-form-urlencoded', 'text/plain; charset=utf-8', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', '*/*;;'];

before(async () => {
  // as in the service: the clusters' credentials are known, and must never be echoed
  rememberCredentialsOf(FUZZ_SECRET_URI);
  app = await createApiServer({ sync, version: 'fuzz' });
});
after(async () => {
  await app.close();
  forgetRememberedCredentials();
});

async function assertRefused(url: string, body: FuzzBody, contentType: string | undefined): Promise<void> {
  sync.calls = [];
  const response = await app.inject({ method: 'POST', url, payload: body.payload, ...(contentType ? { headers: { 'content-type': contentType } } : {}) });
  const context = `${url} with ${body.why} (${contentType ?? 'no content type'}): ${response.statusCode} ${response.body.slice(0, 300)}`;
  assert.ok(response.statusCode >= 400 && response.statusCode < 500, context);
  const envelope = errorEnvelopeSchema.safeParse(response.json());
  assert.ok(envelope.success, `not the error envelope: ${context}`);
  assert.ok(envelope.data.errorDescription.length > 0 && envelope.data.errorDescription.length < 2000, `description empty or huge: ${context}`);
  assert.deepEqual(sync.calls, [], `the sync was called: ${context}`);
  assert.ok(!response.body.includes(FUZZ_SECRET) && !response.body.includes(encodeURIComponent(FUZZ_SECRET)), `a credential was echoed: ${context}`);
}

describe('fuzzed request bodies', () => {
  test('/start: every invalid body is a 4xx envelope and starts nothing', async () => {
    await fc.assert(
      fc.asyncProperty(invalidStartBody, fc.constantFrom(...CONTENT_TYPES), (body, contentType) => assertRefused('/api/v1/start', body, contentType)),
      { numRuns: 500 },
    );
  });

  test('/pause, /resume, /commit, /reverse: every body but {} is a 4xx envelope and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), invalidCommandBody, fc.constantFrom(...CONTENT_TYPES), (command, body, contentType) =>
        assertRefused(`/api/v1/${command}`, body, contentType),
      ),
      { numRuns: 400 },
    );
  });

  test('valid /start bodies from the same generator reach the sync exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(validStartBody, async (body) => {
        sync.calls = [];
        const response = await app.inject({ method: 'POST', url: '/api/v1/start', payload: JSON.stringify(body) });
        assert.equal(response.statusCode, 200, `${JSON.stringify(body)}: ${response.body}`);
        assert.deepEqual(sync.calls, ['start']);
      }),
      { numRuns: 200 },
    );
  });
});
