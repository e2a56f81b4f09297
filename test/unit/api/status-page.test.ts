// The status page document itself: its script compiles, the Content-Security-Policy pins the
// exact script and style it carries, it never loads anything from elsewhere, and the server
// serves it with those headers (through the guard like every route).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { createApiServer, type SyncCommands } from '../../../src/api/server';
import { STATUS_PAGE_HEADERS, STATUS_PAGE_HTML } from '../../../src/api/status-page';
import { idleProgress } from '../../../src/sync/progress';

const inline = (tag: string): string => {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(STATUS_PAGE_HTML);
  assert.ok(match, tag);
  return match[1]!;
};
const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

test('the page script is valid JavaScript and the CSP pins its script and style', () => {
  const script = inline('script');
  assert.doesNotThrow(() => new Script(script), 'the script compiles');
  const csp = STATUS_PAGE_HEADERS['content-security-policy']!;
  assert.ok(csp.includes(`script-src ${hash(script)}`), csp);
  assert.ok(csp.includes(`style-src ${hash(inline('style'))}`), csp);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(STATUS_PAGE_HTML, /\b(src|href)=["']?(https?:)?\/\//, 'nothing is loaded from elsewhere');
  assert.doesNotMatch(inline('script'), /innerHTML|insertAdjacentHTML|document\.write/, 'data is shown as text only');
});

test('GET / serves the page with its headers; it reads only the public API', async () => {
  const idle = async (): Promise<void> => undefined;
  const sync: SyncCommands = { start: idle, pause: idle, resume: idle, commit: idle, reverse: idle, clear: idle, progress: async () => idleProgress() };
  const app = await createApiServer({ sync, version: 't', guard: { allowedHosts: new Set(['localhost']), scheme: 'http' } });
  const response = await app.inject({ method: 'GET', url: '/', headers: { host: 'localhost:27182' } });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.equal(response.headers['content-security-policy'], STATUS_PAGE_HEADERS['content-security-policy']);
  const fetched = [...inline('script').matchAll(/fetch\('([^']+)'/g)].map((match) => match[1]);
  // progress and metrics, and 'api/v1/' + command for the buttons
  assert.deepEqual([...new Set(fetched)].sort(), ['api/v1/', 'api/v1/progress', 'metrics']);
  assert.match(inline('script'), /fetch\('api\/v1\/' \+ command, \{ method: 'POST'/, 'commands go to the public endpoints');
  await app.close();
});
