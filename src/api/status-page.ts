// The status page served at GET /: one self-contained HTML document (no build step, no
// third-party code) that reads only the public API (/api/v1/progress and /metrics) every two
// seconds and shows the migration: state and direction, the copy as a bar with an estimate of
// the time left, lag over time (SVG), events applied per second, index builds, verification,
// warnings and errors, and the commands the current state allows, each confirmed first and
// answered with the API's reply. Its script and style are pinned by hash in the
// Content-Security-Policy, and no other site may frame it (its buttons cannot be clickjacked).
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; --bar: #0969da; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 12px; max-width: 980px; margin-inline: auto; }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 6px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.state { font-weight: 700; padding: 2px 10px; border-radius: 999px; border: 2px solid currentColor; }
.state.RUNNING, .state.COMMITTED { color: var(--ok); }
.state.PAUSED, .state.COMMITTING, .state.REVERSING { color: var(--warn); }
.state.FAILED { color: var(--bad); }
.state.IDLE { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; margin-top: 12px; }
section { border: 1px solid #d0d7de80; border-radius: 8px; padding: 10px 12px; min-width: 0; }
.bar { height: 14px; background: #d0d7de80; border-radius: 7px; overflow: hidden; }
.bar > div { height: 100%; background: var(--bar); width: 0; transition: width .5s; }
.figure { font-size: 22px; font-weight: 600; }
.muted { color: var(--muted); }
ul { margin: 0; padding-left: 18px; overflow-wrap: anywhere; }
p { overflow-wrap: anywhere; }
.warnings li { color: var(--warn); }
.error { color: var(--bad); font-weight: 600; overflow-wrap: anywhere; }
svg { width: 100%; height: 120px; display: block; }
svg polyline { fill: none; stroke: var(--bar); stroke-width: 2; vector-effect: non-scaling-stroke; }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #8c959f; cursor: pointer; }
button:disabled { opacity: .5; cursor: not-allowed; }
textarea { width: 100%; font: 13px ui-monospace, monospace; min-height: 4em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; margin: 8px 0 0; }
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const COMMANDS = { IDLE: ['start'], RUNNING: ['pause', 'commit'], PAUSED: ['resume'], COMMITTED: ['reverse'], FAILED: ['clear'] };
const CONFIRM = {
  start: 'Start a sync with this body?',
  pause: 'Pause the sync?',
  resume: 'Resume the sync?',
  commit: 'Commit: block writes on the source (if write blocking is on), drain, and open the destination?',
  reverse: 'Reverse the sync: the destination becomes the source?',
  clear: 'Clear the failed sync (release its write blocks and end it)?',
};
const samples = [];
let last = null;
let busy = false;

function human(bytes) {
  if (!(bytes >= 0)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i++; }
  return bytes.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
}
function duration(seconds) {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) return '–';
  seconds = Math.round(seconds);
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return h > 0 ? h + 'h ' + m + 'm' : m > 0 ? m + 'm ' + s + 's' : s + 's';
}
function metric(text, name) {
  const line = text.split('\\n').find((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}
function fields(value, indent = '') {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  return Object.entries(value).map(([key, inner]) =>
    inner !== null && typeof inner === 'object' ? indent + key + ':\\n' + fields(inner, indent + '  ') : indent + key + ': ' + inner).join('\\n');
}
function setList(id, items, empty) {
  const list = $(id);
  list.replaceChildren(...(items.length ? items : [empty]).map((text) => { const li = document.createElement('li'); li.textContent = text; return li; }));
}
function rate(key) {
  const recent = samples.filter((s) => s[key] !== null && s.at >= Date.now() - 60000);
  if (recent.length < 2) return null;
  const first = recent[0], lastSample = recent[recent.length - 1];
  const seconds = (lastSample.at - first.at) / 1000;
  return seconds > 0 ? (lastSample[key] - first[key]) / seconds : null;
}
function drawLag() {
  const points = samples.filter((s) => s.lag !== null);
  const svg = $('lag-chart');
  const line = svg.querySelector('polyline');
  if (points.length < 2) { line.setAttribute('points', ''); $('lag-max').textContent = ''; return; }
  const t0 = points[0].at, t1 = points[points.length - 1].at;
  const max = Math.max(1, ...points.map((p) => p.lag));
  line.setAttribute('points', points.map((p) => ((p.at - t0) / Math.max(1, t1 - t0)) * 100 + ',' + (40 - (p.lag / max) * 38)).join(' '));
  $('lag-max').textContent = 'peak ' + max.toFixed(1) + ' s over the last ' + duration((t1 - t0) / 1000);
}
function render(progress, metricsText) {
  last = progress;
  const state = progress.state;
  const badge = $('state');
  badge.textContent = state;
  badge.className = 'state ' + state;
  const direction = progress.directionMapping;
  $('direction').textContent = direction ? direction.Source + '  →  ' + direction.Destination : 'no sync running';
  $('info').textContent = progress.info || '';
  const copy = progress.collectionCopy;
  const documents = metricsText ? metric(metricsText, 'c2c_sync_copied_documents') : null;
  samples.push({ at: Date.now(), lag: typeof progress.lagTimeSeconds === 'number' ? progress.lagTimeSeconds : null,
    events: typeof progress.totalEventsApplied === 'number' ? progress.totalEventsApplied : null,
    copied: copy ? copy.estimatedCopiedBytes : null });
  while (samples.length > 600) samples.shift();
  if (copy) {
    const fraction = copy.estimatedTotalBytes > 0 ? Math.min(1, copy.estimatedCopiedBytes / copy.estimatedTotalBytes) : 0;
    $('copy-bar').style.width = (fraction * 100).toFixed(1) + '%';
    $('copy-bytes').textContent = human(copy.estimatedCopiedBytes) + ' of ' + human(copy.estimatedTotalBytes) + ' (' + (fraction * 100).toFixed(1) + '%)';
    const speed = rate('copied');
    const left = fraction >= 1 ? 0 : speed && speed > 0 ? (copy.estimatedTotalBytes - copy.estimatedCopiedBytes) / speed : null;
    $('copy-eta').textContent = fraction >= 1 ? 'copy done' : left === null ? 'time left: estimating…' : 'time left: about ' + duration(left);
  } else {
    $('copy-bar').style.width = '0';
    $('copy-bytes').textContent = 'not started';
    $('copy-eta').textContent = '';
  }
  $('copy-docs').textContent = documents === null ? '' : documents.toLocaleString() + ' documents';
  $('lag').textContent = typeof progress.lagTimeSeconds === 'number' ? progress.lagTimeSeconds.toFixed(1) + ' s' : '–';
  drawLag();
  const catchup = progress.estimatedSecondsToCEACatchup;
  $('cea').textContent = [progress.ceaStage || '', typeof catchup === 'number' ? 'caught up in about ' + duration(catchup) : ''].filter(Boolean).join(' · ');
  $('pings').textContent = ['source', 'destination']
    .filter((role) => progress[role] && typeof progress[role].pingLatencyMs === 'number')
    .map((role) => 'ping ' + role + ' ' + (progress[role].pingLatencyMs < 0 ? 'failed' : progress[role].pingLatencyMs + ' ms'))
    .join(' · ');
  const eventsRate = rate('events');
  $('events-rate').textContent = eventsRate === null ? '–' : Math.max(0, eventsRate).toFixed(0) + ' /s';
  $('events-total').textContent = typeof progress.totalEventsApplied === 'number' ? progress.totalEventsApplied.toLocaleString() + ' events applied' : '';
  $('can-commit').textContent = progress.canCommit ? 'canCommit: yes' : 'canCommit: no';
  $('can-write').textContent = progress.canWrite ? 'canWrite: yes' : 'canWrite: no';
  $('indexes').textContent = fields(progress.indexBuilding) || 'none running';
  $('verification').textContent = fields(progress.verification) || 'off';
  const problems = [];
  if (state === 'FAILED') problems.push((progress.error || 'failed') + ': ' + (progress.errorDescription || ''));
  $('error').textContent = problems.join('\\n');
  setList('warnings', Array.isArray(progress.warnings) ? progress.warnings : [], 'none');
  $('oplog').textContent = progress.estimatedOplogTimeRemaining ? 'oplog time remaining: ' + progress.estimatedOplogTimeRemaining : '';
  const allowed = COMMANDS[state] || [];
  for (const button of document.querySelectorAll('button[data-command]')) {
    const command = button.dataset.command;
    button.hidden = !allowed.includes(command);
    button.disabled = busy || (command === 'commit' && !progress.canCommit);
  }
  $('start-body').hidden = state !== 'IDLE';
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}
async function refresh() {
  try {
    const [progressResponse, metricsResponse] = await Promise.all([fetch('api/v1/progress', { cache: 'no-store' }), fetch('metrics', { cache: 'no-store' })]);
    const envelope = await progressResponse.json();
    if (!envelope.success) throw new Error(envelope.error + ': ' + envelope.errorDescription);
    render(envelope.progress, metricsResponse.ok ? await metricsResponse.text() : null);
    $('connection').textContent = '';
  } catch (error) {
    $('connection').textContent = 'cannot read /api/v1/progress: ' + error.message;
  }
}
async function run(command) {
  if (!confirm(CONFIRM[command])) return;
  busy = true;
  if (last) render(last, null);
  $('answer').textContent = 'POST /api/v1/' + command + ' …';
  try {
    const body = command === 'start' ? $('start-json').value : '{}';
    const response = await fetch('api/v1/' + command, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    $('answer').textContent = 'POST /api/v1/' + command + ' → HTTP ' + response.status + '\\n' + (await response.text());
  } catch (error) {
    $('answer').textContent = 'POST /api/v1/' + command + ' failed: ' + error.message;
  } finally {
    busy = false;
    await refresh();
  }
}
for (const button of document.querySelectorAll('button[data-command]')) button.addEventListener('click', () => void run(button.dataset.command));
void refresh();
setInterval(refresh, 2000);
`;

const BODY = `
<header>
  <h1>c2c-sync</h1>
  <span id="state" class="state IDLE">…</span>
  <span id="direction" class="muted"></span>
</header>
<p><span id="info"></span> <span id="updated" class="muted"></span> <span id="connection" class="error"></span></p>
<div class="grid">
  <section aria-labelledby="copy-title">
    <h2 id="copy-title">Collection copy</h2>
    <div class="bar" role="progressbar"><div id="copy-bar"></div></div>
    <p><span id="copy-bytes"></span><br><span id="copy-docs" class="muted"></span><br><span id="copy-eta" class="muted"></span></p>
  </section>
  <section aria-labelledby="lag-title">
    <h2 id="lag-title">Lag</h2>
    <div class="figure" id="lag">–</div>
    <svg id="lag-chart" viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label="lag over time"><polyline points=""></polyline></svg>
    <span id="lag-max" class="muted"></span>
    <p><span id="cea" class="muted"></span><br><span id="pings" class="muted"></span></p>
  </section>
  <section aria-labelledby="events-title">
    <h2 id="events-title">Change events</h2>
    <div class="figure" id="events-rate">–</div>
    <p><span id="events-total" class="muted"></span><br><span id="can-commit"></span> · <span id="can-write"></span><br><span id="oplog" class="muted"></span></p>
  </section>
  <section aria-labelledby="indexes-title">
    <h2 id="indexes-title">Index builds</h2>
    <pre id="indexes" class="muted"></pre>
    <h2>Verification</h2>
    <pre id="verification" class="muted"></pre>
  </section>
  <section aria-labelledby="warnings-title">
    <h2 id="warnings-title">Warnings and errors</h2>
    <p id="error" class="error"></p>
    <ul id="warnings" class="warnings"></ul>
  </section>
  <section aria-labelledby="commands-title">
    <h2 id="commands-title">Commands</h2>
    <div id="start-body" hidden><textarea id="start-json" aria-label="/start body">{"source": "cluster0", "destination": "cluster1"}</textarea></div>
    <div class="buttons">
      <button data-command="start" hidden>Start</button>
      <button data-command="pause" hidden>Pause</button>
      <button data-command="resume" hidden>Resume</button>
      <button data-command="commit" hidden>Commit</button>
      <button data-command="reverse" hidden>Reverse</button>
      <button data-command="clear" hidden>Clear</button>
    </div>
    <pre id="answer" aria-live="polite"></pre>
  </section>
</div>
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>c2c-sync</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

/** Headers of the page: its own script and style only, same-origin requests, never framed. */
export const STATUS_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};
