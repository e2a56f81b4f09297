// The c2c-sync service as a user runs it (embedded Temporal server and its Web UI), with
// simulated clusters a few milliseconds away (test/support/latency-proxy.ts), checked in a real
// headless Chromium:
// - /progress reports the ping round trips the service measures, and the status page shows them;
// - the Temporal UI's workflow page shows the sync's summary, details and current details, runs
//   the progress query from its Queries tab, and pauses and resumes the sync with an update and a
//   signal sent from its More Actions menu.
// Without Chromium these tests say so in one line and do not run (like status-page.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { startLatencyProxy, type LatencyProxy } from '../support/latency-proxy';
import { waitUntil } from '../support/poll';
import { seed } from '../support/workload';
import { freePort, type ServiceProcess, startServiceProcess } from './cli-process';
import { ApiCaller } from './http-client';

/** One-way delay of the proxies: every ping takes at least twice this. */
const DELAY_MS = 2;
const FAST = JSON.stringify({ applyIterationMs: 700, copyChunkMaxMs: 300, copyBatchSize: 200, partitionTargetBytes: 65536, heartbeatTimeoutMs: 5000 });

function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((path): path is string => typeof path === 'string' && path !== '' && existsSync(path));
}

const chromium = findChromium();
const skip = chromium ? false : 'no Chromium found (install the chromium package or set CHROMIUM_PATH): the Temporal UI browser tests did not run';
if (!chromium) process.stdout.write(`# ${skip}\n`);

let pair: ClusterPair;
let proxies: LatencyProxy[] = [];
let service: ServiceProcess;
let api: ApiCaller;
let browser: Browser;
let dir: string;

before(async () => {
  if (!chromium) return;
  pair = await startClusterPair();
  await seed(pair.admin.cluster0, [{ db: 'app', coll: 'items', documents: 300 }]);
  proxies = [await startLatencyProxy(pair.uris.cluster0, DELAY_MS), await startLatencyProxy(pair.uris.cluster1, DELAY_MS)];
  dir = mkdtempSync(join(tmpdir(), 'c2c-temporal-ui-'));
  const port = String(await freePort());
  service = await startServiceProcess(
    ['--cluster0', proxies[0]!.uri, '--cluster1', proxies[1]!.uri, '--port', port, '--state-dir', join(dir, 'state'), '--temporal-port', '0', '--temporal-ui-port', '0'],
    { C2C_TUNING: FAST },
  );
  api = new ApiCaller(service.apiUrl!);
  assert.deepEqual((await api.curl('start', '{"source":"cluster0","destination":"cluster1"}')).body, { success: true });
  await api.waitFor((p) => p.canCommit === true, 120_000);
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
  if (service) assert.equal(await service.stop('SIGINT'), 0);
  for (const proxy of proxies) await proxy.close();
  await pair?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  return page;
}

/** The text of the page and of its frames (the UI renders summary and details as Markdown in sandboxed frames). */
async function bodyText(page: Page): Promise<string> {
  const texts = await Promise.all(
    page.frames().map(async (frame) => {
      try {
        return (await frame.evaluate('document.body ? document.body.innerText : ""')) as string;
      } catch {
        return '';
      }
    }),
  );
  return texts.join('\n');
}

async function pageShows(page: Page, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<void> {
  let text = '';
  try {
    await waitUntil(async () => pattern.test((text = await bodyText(page))), { what: `the page to show ${what}`, timeoutMs, intervalMs: 250 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${page.url()} shows:\n${text.slice(0, 4000)}`);
  }
}

/** Clicks the first element matching `selector` whose text matches `text` (the project has no DOM types). */
async function clickElement(page: Page, selector: string, text: RegExp | null, what: string): Promise<void> {
  const script = `(() => {
    const pattern = ${text ? text.toString() : 'null'};
    const element = [...document.querySelectorAll(${JSON.stringify(selector)})]
      .find((e) => e.getClientRects().length > 0 && (!pattern || pattern.test(e.innerText || e.textContent || '')));
    if (!element) return false;
    element.click();
    return true;
  })()`;
  await waitUntil(async () => (await page.evaluate(script)) === true, { what: `to click ${what}`, timeoutMs: 30_000, intervalMs: 250 });
}

/** More Actions → `menuItem` → the message named `name` → the modal's confirm button. */
async function sendFromActions(page: Page, kind: 'signal' | 'update', name: string): Promise<void> {
  await clickElement(page, 'button', /More Actions/, 'More Actions');
  await clickElement(page, `[data-testid="${kind}-button"]`, null, `the ${kind} menu item`);
  const modal = `#${kind}-confirmation-modal`;
  await clickElement(page, `${modal} [data-testid="${kind}-select-button"]`, null, `the ${kind} name select`);
  await clickElement(page, `${modal} [role="option"]`, new RegExp(`^\\s*${name}\\b`), `the ${name} ${kind}`);
  await clickElement(page, `${modal} [data-testid="confirm-modal-button"]`, null, `the ${kind} confirm button`);
}

describe('a running sync seen from the Temporal UI and the status page', { skip }, () => {
  test('/progress reports the ping round trips to both clusters, and the status page shows them', async () => {
    const progress = await api.waitFor(
      (p) => typeof (p.source as { pingLatencyMs?: unknown } | undefined)?.pingLatencyMs === 'number' && typeof (p.destination as { pingLatencyMs?: unknown } | undefined)?.pingLatencyMs === 'number',
      60_000,
    );
    for (const role of ['source', 'destination'] as const) {
      const ping = (progress[role] as { pingLatencyMs: number }).pingLatencyMs;
      assert.ok(Number.isInteger(ping) && ping >= 2 * DELAY_MS, `${role}.pingLatencyMs ${ping}: at least the proxy's round trip`);
    }
    assert.equal(progress.ceaStage, 'steady state');
    const metrics = await (await fetch(`${service.apiUrl}/metrics`)).text();
    assert.match(metrics, /^c2c_sync_ping_latency_seconds\{cluster="cluster0",sync_id="default"\} 0\.\d+$/m);
    assert.match(metrics, /^c2c_sync_ping_failed\{cluster="cluster1",sync_id="default"\} 0$/m);

    const page = await newPage();
    await page.goto(`${service.apiUrl}/`);
    await pageShows(page, /ping source \d+ ms · ping destination \d+ ms/, 'the pings');
    await pageShows(page, /steady state/, 'the CEA stage');
    await page.close();
  });

  test("the workflow page shows the sync's summary and details, runs the progress query, and pauses and resumes it with an update and a signal", async () => {
    const page = await newPage();
    await page.goto(`${service.uiUrl}/c2c-sync-default`, { waitUntil: 'domcontentloaded' });
    await waitUntil(async () => /\/workflows\/c2c-sync-default\/[0-9a-f-]+\/history$/.test(page.url()), { what: 'the UI to open the running run', timeoutMs: 60_000, intervalMs: 250 });
    const run = page.url().replace(/\/history$/, '');

    await page.goto(`${run}/user-metadata`, { waitUntil: 'domcontentloaded' });
    await pageShows(page, /c2c-sync default: cluster0 → cluster1/, 'the summary');
    await pageShows(page, /source cluster0 · destination cluster1\s+reversible: false · write blocking: none/, 'the static details');
    await pageShows(page, /RUNNING · phase applying · cluster0 → cluster1/, 'the current details');
    await pageShows(page, /events applied: \d+ · lag: \d+ s/, 'lag and events in the current details');

    await page.goto(`${run}/query`, { waitUntil: 'domcontentloaded' });
    await pageShows(page, /Query Type/, 'the Queries tab');
    await clickElement(page, '[data-testid="query-select-button"]', null, 'the query type select');
    await clickElement(page, '[role="option"]', /^\s*progress\b/, 'the progress query');
    await clickElement(page, 'button', /^\s*Run Query\s*$/, 'Run Query');
    await pageShows(page, /"state": "RUNNING"[\s\S]*"info": "change event application"[\s\S]*"ceaStage": "steady state"/, 'the progress query result');

    await sendFromActions(page, 'update', 'pause');
    await api.waitFor((p) => p.state === 'PAUSED', 60_000);
    await page.goto(`${run}/user-metadata`, { waitUntil: 'domcontentloaded' });
    await pageShows(page, /PAUSED · phase applying/, 'PAUSED in the current details');

    await sendFromActions(page, 'signal', 'resume');
    await api.waitFor((p) => p.state === 'RUNNING', 60_000);
    await page.close();
  });
});
