// The status page in a real headless Chromium, through a whole lifecycle on a real Temporal
// server and simulated clusters: the page shows each state, and a command pressed on the page
// (confirmed in its dialog) takes effect. Also: a phone-sized window, the page's own
// Content-Security-Policy (no violation), and the token prompt when the API has a token.
// Chromium comes from the system (Debian's `chromium` package; .ci/run installs it) or
// CHROMIUM_PATH; without one, these tests say so in one line and do not run.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { allowedHostNames } from '../../src/api/request-guard';
import { createApiServer, type SyncCommands } from '../../src/api/server';
import type { SyncController } from '../../src/client/sync-controller';
import { createSyncMetrics, type SyncStateSource } from '../../src/observability/metrics';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { waitUntil } from '../support/poll';
import { startSyncHarness } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';
import { seed } from '../support/workload';

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'status-page-token-0123456789';

function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((path): path is string => typeof path === 'string' && path !== '' && existsSync(path));
}

const chromium = findChromium();
const skip = chromium ? false : 'no Chromium found (install the chromium package or set CHROMIUM_PATH): the status page browser tests did not run';
if (!chromium) process.stdout.write(`# ${skip}\n`);

let env: TestWorkflowEnvironment;
let pair: ClusterPair;
let browser: Browser;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  if (!chromium) return;
  env = await createTemporalTestEnv();
  pair = await startClusterPair();
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await pair?.reset();
});

after(async () => {
  await browser?.close();
  await pair?.close();
  await env?.teardown();
});

/**
 * The controller as the API sees it, with every call it makes tracked: a call the page started
 * can outlive its request (the browser drops the connection when the page closes), so a test
 * ends only once those calls settled, before its worker and Temporal connection go away.
 */
function trackCalls(sync: SyncController): SyncCommands & SyncStateSource {
  const pending = new Set<Promise<unknown>>();
  const track =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const promise = call.apply(sync, args);
      pending.add(promise);
      void promise.catch(() => undefined).finally(() => pending.delete(promise));
      return promise;
    };
  cleanups.push(async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  });
  return {
    start: track(sync.start),
    pause: track(sync.pause),
    resume: track(sync.resume),
    commit: track(sync.commit),
    reverse: track(sync.reverse),
    clear: track(sync.clear),
    progress: track(sync.progress),
    state: track(sync.state),
  };
}

async function serve(controller: SyncController, token?: string): Promise<string> {
  const sync = trackCalls(controller);
  const app: FastifyInstance = await createApiServer({
    sync,
    version: 'e2e',
    metrics: createSyncMetrics({ source: sync, syncId: 'e2e', processMetrics: false }),
    guard: { allowedHosts: allowedHostNames('localhost', [], { hostname: 'localhost', addresses: [] }), scheme: 'http', ...(token ? { token } : {}) },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  return `http://localhost:${(app.server.address() as { port: number }).port}/`;
}

async function openPage(url: string, viewport = { width: 1100, height: 900 }): Promise<{ page: Page; cspViolations: string[] }> {
  const page = await browser.newPage();
  cleanups.push(() => page.close());
  await page.setViewport(viewport);
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('dialog', (dialog) => void dialog.accept().catch(() => undefined));
  await page.goto(url);
  return { page, cspViolations };
}

/** What the tests read of a button or text area in the page (the project has no DOM types). */
interface Control {
  hidden: boolean;
  disabled: boolean;
  value: string;
}

const text = (page: Page, id: string): Promise<string> => page.$eval(`#${id}`, (element) => element.textContent ?? '');

async function shows(page: Page, id: string, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  await waitUntil(async () => pattern.test(await text(page, id)), { what: `#${id} to show ${pattern}`, timeoutMs, intervalMs: 250 });
}

async function press(page: Page, command: string): Promise<string> {
  const button = `button[data-command="${command}"]`;
  await waitUntil(async () => page.$eval(button, (element) => !(element as unknown as Control).hidden && !(element as unknown as Control).disabled), {
    what: `the ${command} button to be enabled`,
    timeoutMs: 120_000,
    intervalMs: 250,
  });
  await page.click(button);
  await shows(page, 'answer', new RegExp(`POST /api/v1/${command} → HTTP \\d+`), 60_000);
  return text(page, 'answer');
}

describe('the status page in Chromium', { skip }, () => {
  test('a whole lifecycle: each state shows, and the buttons start, pause, resume, commit and reverse the sync', async () => {
    await seed(pair.admin.cluster0, [
      { db: 'shop', coll: 'orders', documents: 3000, indexes: [{ key: { seq: 1 }, unique: true }] },
      { db: 'crm', coll: 'people', documents: 300 },
    ]);
    const h = await startSyncHarness(env, pair, { tuning: { copyConcurrency: 1, copyChunkMaxMs: 200, copyBatchSize: 100 } });
    cleanups.push(() => h.close());
    const { page, cspViolations } = await openPage(await serve(h.controller));

    await shows(page, 'state', /^IDLE$/);
    assert.equal(await page.$eval('button[data-command="start"]', (b) => (b as unknown as Control).hidden), false, 'IDLE offers Start');
    await page.$eval('#start-json', (element) => {
      (element as unknown as Control).value = JSON.stringify({ source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true });
    });
    assert.match(await press(page, 'start'), /HTTP 200\n\{"success":true\}/);
    await shows(page, 'state', /^RUNNING$/);
    await shows(page, 'direction', /cluster0: .* → .*cluster1: /);

    assert.match(await press(page, 'pause'), /HTTP 200/);
    await shows(page, 'state', /^PAUSED$/);
    assert.equal(await page.$eval('button[data-command="commit"]', (b) => (b as unknown as Control).hidden), true, 'PAUSED offers no Commit');
    assert.match(await press(page, 'resume'), /HTTP 200/);
    await shows(page, 'state', /^RUNNING$/);

    await shows(page, 'copy-bytes', /\(100\.0%\)/);
    await shows(page, 'can-commit', /canCommit: yes/);
    await shows(page, 'events-total', /events applied/);
    assert.match(await text(page, 'lag'), /^\d+\.\d s$/);
    // STATUS_PAGE_SCREENSHOT=docs/status-page.png refreshes the README's picture
    await page.screenshot({ path: process.env.STATUS_PAGE_SCREENSHOT ? join(ROOT, process.env.STATUS_PAGE_SCREENSHOT) : join(tmpdir(), 'c2c-status-page.png') });

    assert.match(await press(page, 'commit'), /HTTP 200/);
    await shows(page, 'state', /^COMMITTED$/);
    assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
    assert.match(await press(page, 'reverse'), /HTTP 200/);
    await shows(page, 'state', /^RUNNING$/);
    await shows(page, 'direction', /cluster1: .* → .*cluster0: /);
    assert.deepEqual(cspViolations, [], 'the page runs within its own Content-Security-Policy');
  });

  test('a phone-sized window shows everything without sideways scrolling', async () => {
    const h = await startSyncHarness(env, pair);
    cleanups.push(() => h.close());
    const { page } = await openPage(await serve(h.controller), { width: 375, height: 740 });
    await shows(page, 'state', /^IDLE$/);
    const widths = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
    assert.ok(widths.scroll <= widths.client, JSON.stringify(widths));
  });

  test('with an API token the browser asks for it; the page then works with it', async () => {
    const h = await startSyncHarness(env, pair);
    cleanups.push(() => h.close());
    const url = await serve(h.controller, TOKEN);
    const refused = await fetch(url);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm="c2c-sync"/, 'a browser prompts for the token');

    const page = await browser.newPage();
    cleanups.push(() => page.close());
    await page.authenticate({ username: 'operator', password: TOKEN });
    const served = await page.goto(url);
    assert.equal(served?.status(), 200);
    await shows(page, 'state', /^IDLE$/);
    assert.equal(await text(page, 'connection'), '', 'the page reads /progress with the token');
  });
});
