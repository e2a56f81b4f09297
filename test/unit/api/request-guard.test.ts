// Who may use the API: the Host check (DNS rebinding), the cross-origin check (CSRF) and the
// token, first as pure decisions, then through the HTTP layer, where a refused request must
// never reach the sync.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import {
  allowedHostNames,
  checkRequest,
  hostNameOf,
  isLoopbackHost,
  type GuardedRequest,
  type RequestGuardOptions,
} from '../../../src/api/request-guard';
import { createApiServer, type SyncCommands } from '../../../src/api/server';
import { idleProgress } from '../../../src/sync/progress';

const TOKEN = 'a-long-secret-token-0123456789';
const LOCAL: RequestGuardOptions = { allowedHosts: new Set(['localhost', '127.0.0.1', '::1']), scheme: 'http' };
const WITH_TOKEN: RequestGuardOptions = { ...LOCAL, token: TOKEN };

const request = (method: string, headers: GuardedRequest['headers']): GuardedRequest => ({ method, headers });

describe('checkRequest', () => {
  test('curl and scripts (no Origin, no Sec-Fetch-*) on a loopback name are served, whatever the body type', () => {
    for (const host of ['localhost:27182', '127.0.0.1:27182', '[::1]:27182', 'LOCALHOST', 'localhost.:27182']) {
      assert.deepEqual(checkRequest(request('POST', { host, 'content-type': 'application/x-www-form-urlencoded' }), LOCAL), { allowed: true }, host);
    }
  });

  test('a Host that is not one of the service names is refused on every method (DNS rebinding)', () => {
    for (const method of ['GET', 'POST', 'HEAD']) {
      for (const host of ['evil.example:27182', 'attacker.test', 'localhost.evil.example', '127.0.0.1.nip.io:27182', '', 'localhost:port']) {
        const verdict = checkRequest(request(method, { host }), LOCAL);
        assert.equal(verdict.allowed, false, `${method} ${host}`);
        assert.equal(!verdict.allowed && verdict.reason, 'host');
      }
    }
    const missing = checkRequest(request('GET', {}), LOCAL);
    assert.ok(!missing.allowed && /missing/.test(missing.description));
  });

  test('a POST a web page of another site sends is refused (CSRF), same-origin and address-bar ones are not', () => {
    const refused: GuardedRequest['headers'][] = [
      { host: 'localhost:27182', origin: 'https://evil.example', 'content-type': 'text/plain' },
      { host: 'localhost:27182', origin: 'null' },
      { host: 'localhost:27182', origin: 'http://localhost:27183' },
      { host: 'localhost:27182', origin: 'https://localhost:27182' },
      { host: 'localhost:27182', 'sec-fetch-site': 'cross-site' },
      { host: 'localhost:27182', 'sec-fetch-site': 'same-site' },
      { host: 'localhost:27182', 'sec-fetch-site': 'cross-site', origin: 'http://localhost:27182' },
    ];
    for (const headers of refused) {
      const verdict = checkRequest(request('POST', headers), LOCAL);
      assert.equal(!verdict.allowed && verdict.reason, 'origin', JSON.stringify(headers));
    }
    const allowed: GuardedRequest['headers'][] = [
      { host: 'localhost:27182', origin: 'http://localhost:27182', 'sec-fetch-site': 'same-origin' },
      { host: 'LocalHost:27182', origin: 'http://localhost:27182' },
      { host: 'localhost:27182', 'sec-fetch-site': 'none' },
    ];
    for (const headers of allowed) assert.deepEqual(checkRequest(request('POST', headers), LOCAL), { allowed: true }, JSON.stringify(headers));
    // reading is left to the browser's same-origin policy: a cross-site GET changes nothing
    assert.deepEqual(checkRequest(request('GET', { host: 'localhost', 'sec-fetch-site': 'cross-site' }), LOCAL), { allowed: true });
  });

  test('with a token, every request needs Authorization: Bearer <token>', () => {
    const host = 'localhost:27182';
    for (const method of ['GET', 'POST']) {
      const none = checkRequest(request(method, { host }), WITH_TOKEN);
      assert.equal(!none.allowed && none.reason, 'token');
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ', `Bearer ${TOKEN} extra`]) {
        const verdict = checkRequest(request(method, { host, authorization }), WITH_TOKEN);
        assert.equal(!verdict.allowed && verdict.reason, 'token', authorization);
        assert.ok(!verdict.allowed && !verdict.description.includes(TOKEN.slice(4)), 'the token is never echoed');
      }
      assert.deepEqual(checkRequest(request(method, { host, authorization: `Bearer ${TOKEN}` }), WITH_TOKEN), { allowed: true });
      assert.deepEqual(checkRequest(request(method, { host, authorization: `bearer   ${TOKEN}` }), WITH_TOKEN), { allowed: true });
    }
  });

  test('the checks run in order: a foreign Host is refused before the token is looked at', () => {
    const verdict = checkRequest(request('POST', { host: 'evil.example', authorization: `Bearer ${TOKEN}` }), WITH_TOKEN);
    assert.equal(!verdict.allowed && verdict.reason, 'host');
  });

  test('allowedHosts null serves any Host (the token still applies)', () => {
    assert.deepEqual(checkRequest(request('GET', { host: 'anything' }), { allowedHosts: null, scheme: 'http' }), { allowed: true });
  });
});

describe('host names', () => {
  test('hostNameOf reads Host headers and URL authorities', () => {
    assert.equal(hostNameOf('LocalHost:27182'), 'localhost');
    assert.equal(hostNameOf('[::1]:27182'), '::1');
    assert.equal(hostNameOf('[fe80::1]'), 'fe80::1');
    assert.equal(hostNameOf('example.com.'), 'example.com');
    assert.equal(hostNameOf('[::1]junk'), null);
    assert.equal(hostNameOf('a:b:c'), null);
    assert.equal(hostNameOf(''), null);
  });

  test('isLoopbackHost', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'sync.internal', '128.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
  });

  test('allowedHostNames: loopback names, the listen address, the machine on a wildcard, and the extra names', () => {
    const machine = { hostname: 'Box1', addresses: ['127.0.0.1', '10.1.2.3', 'fe80::1', '::1'] };
    assert.deepEqual([...allowedHostNames('localhost', [], machine)].sort(), ['127.0.0.1', '::1', 'localhost']);
    assert.deepEqual([...allowedHostNames('10.1.2.3', ['sync.example.com'], machine)].sort(), ['10.1.2.3', '127.0.0.1', '::1', 'localhost', 'sync.example.com']);
    assert.deepEqual([...allowedHostNames('0.0.0.0', [], machine)].sort(), ['10.1.2.3', '127.0.0.1', '::1', 'box1', 'fe80::1', 'localhost']);
    assert.ok(allowedHostNames('::', ['proxy.example:443'], machine).has('proxy.example'));
  });
});

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
    this.calls.push('progress');
    return { ...idleProgress(), state: 'RUNNING' as const, canCommit: false };
  }
}

async function guarded(guard: RequestGuardOptions): Promise<{ app: FastifyInstance; sync: CountingSync }> {
  const sync = new CountingSync();
  return { app: await createApiServer({ sync, version: 't', guard }), sync };
}

const START = JSON.stringify({ source: 'cluster0', destination: 'cluster1' });

describe('the API behind the guard', () => {
  test('the probes that used to work are refused and change nothing', async () => {
    const { app, sync } = await guarded(LOCAL);
    const probes = [
      // a cross-origin text/plain POST: a CORS "simple request" that needs no preflight
      { method: 'POST', url: '/api/v1/start', headers: { host: 'localhost:27182', origin: 'https://evil.example', 'content-type': 'text/plain' }, payload: START },
      // a cross-origin HTML form
      { method: 'POST', url: '/api/v1/pause', headers: { host: 'localhost:27182', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'x=1' },
      // DNS rebinding: the attacker's name resolved to 127.0.0.1
      { method: 'GET', url: '/api/v1/progress', headers: { host: 'rebind.evil.example:27182' } },
      { method: 'POST', url: '/api/v1/commit', headers: { host: 'rebind.evil.example:27182' }, payload: '{}' },
    ] as const;
    for (const probe of probes) {
      const response = await app.inject({ ...probe, headers: { ...probe.headers } });
      assert.equal(response.statusCode, 403, probe.url);
      assert.equal(response.json().success, false);
      assert.equal(response.json().error, 'Forbidden');
    }
    assert.deepEqual(sync.calls, [], 'no refused request reached the sync');
    await app.close();
  });

  test('curl --data as mongosync documents it still works', async () => {
    const { app, sync } = await guarded(LOCAL);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/start',
      headers: { host: 'localhost:27182', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'curl/8.5.0' },
      payload: START,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(sync.calls, ['start']);
    await app.close();
  });

  test('with a token: 401 with WWW-Authenticate without it or with another, served with it', async () => {
    const { app, sync } = await guarded(WITH_TOKEN);
    for (const url of ['/api/v1/progress', '/api/v1/openapi.json']) {
      const response = await app.inject({ method: 'GET', url, headers: { host: 'localhost' } });
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['www-authenticate']), /^Bearer/);
      assert.equal(response.json().error, 'Unauthorized');
    }
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/pause', headers: { host: 'localhost', authorization: 'Bearer not-the-token-at-all' }, payload: '{}' });
    assert.equal(wrong.statusCode, 401);
    assert.ok(!wrong.body.includes('not-the-token-at-all'));
    assert.deepEqual(sync.calls, []);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/pause', headers: { host: 'localhost', authorization: `Bearer ${TOKEN}` }, payload: '{}' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(sync.calls, ['pause']);
    await app.close();
  });
});
