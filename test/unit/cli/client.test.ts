// The client subcommands against a real HTTP API in this process (its sync scripted), and the
// progress display they draw.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createApiServer, type SyncCommands } from '../../../src/api/server';
import { SyncError } from '../../../src/sync/errors';
import { main } from '../../../src/cli/main';
import { copyPercent, formatBytes, progressBars, progressLine, reached } from '../../../src/cli/progress-display';
import { captureIo } from './capture-io';
import { idleProgress, type Progress } from '../../../src/sync/progress';

/** Progress advances one step per /progress call through `script`, then stays at the last. */
class ScriptedSync implements SyncCommands {
  readonly calls: { command: string; body?: unknown }[] = [];
  script: Progress[] = [idleProgress()];
  refuse: SyncError | undefined;
  private step = 0;

  private async record(command: string, body?: unknown): Promise<void> {
    this.calls.push(body === undefined ? { command } : { command, body });
    const refusal = this.refuse;
    this.refuse = undefined;
    if (refusal) throw refusal;
  }
  start(body: unknown) {
    return this.record('start', body);
  }
  pause() {
    return this.record('pause');
  }
  resume() {
    return this.record('resume');
  }
  commit() {
    return this.record('commit');
  }
  reverse() {
    return this.record('reverse');
  }
  clear() {
    return this.record('clear');
  }
  async progress() {
    const current = this.script[Math.min(this.step, this.script.length - 1)]!;
    this.step++;
    return current;
  }
  reset(script: Progress[]): void {
    this.script = script;
    this.step = 0;
    this.calls.length = 0;
  }
}

const sync = new ScriptedSync();
let app: FastifyInstance;
let port: string;

before(async () => {
  app = await createApiServer({ sync, version: 'test' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = String((app.server.address() as { port: number }).port);
});
after(() => app.close());

const run = async (argv: string[], tty = false) => {
  const capture = captureIo({}, tty);
  const code = await main([...argv, '--port', port, '--host', '127.0.0.1'], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
};

/** A progress object with these fields, the others as in IDLE. */
const progressOf = (fields: Partial<Progress>): Progress => ({ ...idleProgress(), ...fields });

const RUNNING = progressOf({
  state: 'RUNNING',
  canCommit: false,
  canWrite: false,
  info: 'collection copy',
  ceaStage: null,
  lagTimeSeconds: 4,
  totalEventsApplied: 10,
  collectionCopy: { estimatedTotalBytes: 4096, estimatedCopiedBytes: 1024 },
  directionMapping: { Source: 'cluster0: a:1', Destination: 'cluster1: b:2' },
});
const CAN_COMMIT: Progress = { ...RUNNING, info: 'change event application', ceaStage: 'steady state', canCommit: true, collectionCopy: { estimatedTotalBytes: 4096, estimatedCopiedBytes: 4096 } };
const COMMITTED: Progress = { ...CAN_COMMIT, state: 'COMMITTED', info: 'commit completed', canCommit: false, canWrite: true, lagTimeSeconds: 0 };

describe('client subcommands', () => {
  test('start sends the body built from its flags and prints the answer', async () => {
    sync.reset([]);
    const result = await run(['start', '--source', 'cluster0', '--destination', 'cluster1', '--reversible', 'true', '--enable-user-write-blocking', 'true']);
    assert.deepEqual(result, { code: 0, stdout: '{"success":true}\n', stderr: '' });
    assert.deepEqual(sync.calls, [{ command: 'start', body: { source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true } }]);
  });

  test('a refused start prints the error envelope and exits 1; nothing reaches the sync', async () => {
    sync.reset([]);
    const result = await run(['start', '--source', 'cluster0']);
    assert.equal(result.code, 1);
    assert.deepEqual(JSON.parse(result.stdout), { success: false, error: 'InvalidStartRequest', errorDescription: "field 'destination' is required" });
    assert.deepEqual(sync.calls, []);
  });

  for (const command of ['pause', 'resume', 'commit', 'reverse']) {
    test(`${command} posts {} and exits 0, or prints the refusal and exits 1`, async () => {
      sync.reset([]);
      assert.deepEqual(await run([command]), { code: 0, stdout: '{"success":true}\n', stderr: '' });
      sync.refuse = new SyncError('InvalidState', `cannot ${command} in state IDLE`);
      const refused = await run([command]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, `{"success":false,"error":"InvalidState","errorDescription":"cannot ${command} in state IDLE"}\n`);
      assert.deepEqual(sync.calls, [{ command }, { command }]);
    });
  }

  test('progress prints the API’s answer as it is', async () => {
    sync.reset([RUNNING]);
    const result = await run(['progress']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `${JSON.stringify({ progress: RUNNING, success: true })}\n`);
  });

  test('progress --until waits quietly and prints the progress that reached it', async () => {
    sync.reset([RUNNING, RUNNING, CAN_COMMIT]);
    const result = await run(['progress', '--until', 'canCommit', '--interval', '0.05']);
    assert.equal(result.code, 0);
    assert.deepEqual(JSON.parse(result.stdout), { progress: CAN_COMMIT, success: true });
  });

  test('progress --watch prints one plain line per poll when stdout is not a terminal', async () => {
    sync.reset([RUNNING, CAN_COMMIT, COMMITTED]);
    const result = await run(['progress', '--watch', '--until', 'COMMITTED', '--interval', '0.05']);
    assert.equal(result.code, 0);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+ state=RUNNING info="collection copy" copied=1024\/4096B\(25%\) lag=4s events=10 canCommit=false canWrite=false$/);
    assert.match(lines[2]!, /state=COMMITTED .* canWrite=true$/);
    assert.doesNotMatch(result.stdout, /\x1b/);
  });

  test('progress --watch redraws bars in place on a terminal', async () => {
    sync.reset([RUNNING, COMMITTED]);
    const result = await run(['progress', '--watch', '--until', 'COMMITTED', '--interval', '0.05'], true);
    assert.equal(result.code, 0);
    assert.ok(result.stdout.startsWith('\x1b[?25l'), 'hides the cursor');
    assert.ok(result.stdout.endsWith('\x1b[?25h'), 'shows the cursor again');
    assert.match(result.stdout, /\x1b\[5F\x1b\[J/, 'moves up over the previous drawing');
    assert.match(result.stdout, /copy {4}\[█+░+\] {2}25% {2}1\.0 KiB of 4\.0 KiB/);
    assert.match(result.stdout, /COMMITTED {2}commit completed/);
  });

  test('progress --until gives up after --timeout with exit 1', async () => {
    sync.reset([RUNNING]);
    const result = await run(['progress', '--until', 'COMMITTED', '--interval', '0.05', '--timeout', '0.3']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gave up after 0\.3 s waiting for COMMITTED/);
  });

  test('progress --until stops with exit 1 when the sync is FAILED, naming the error', async () => {
    sync.reset([RUNNING, { ...RUNNING, state: 'FAILED', error: 'ChangeStreamHistoryLost', errorDescription: 'the oplog rolled over' }]);
    const result = await run(['progress', '--until', 'COMMITTED', '--interval', '0.05', '--timeout', '30']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /FAILED while waiting for COMMITTED: ChangeStreamHistoryLost: the oplog rolled over/);
    sync.reset([{ ...RUNNING, state: 'FAILED', error: 'X', errorDescription: 'y' }]);
    assert.equal((await run(['progress', '--until', 'FAILED', '--interval', '0.05'])).code, 0);
  });

  test('bad --until, --interval and --timeout values are usage errors', async () => {
    assert.equal((await run(['progress', '--until', 'DONE'])).code, 2);
    assert.equal((await run(['progress', '--watch', '--interval', '0'])).code, 2);
    assert.match((await run(['progress', '--until', 'IDLE', '--timeout', 'soon'])).stderr, /--timeout must be a positive number of seconds/);
  });
});

describe('progress display', () => {
  test('formatBytes uses binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  });

  test('copyPercent is unknown before the copy and whole percent during it', () => {
    assert.equal(copyPercent(progressOf({ collectionCopy: null })), null);
    assert.equal(copyPercent(progressOf({ collectionCopy: { estimatedTotalBytes: 1, estimatedCopiedBytes: 0 } })), null);
    assert.equal(copyPercent(progressOf({ collectionCopy: { estimatedTotalBytes: 3, estimatedCopiedBytes: 2 } })), 66);
    assert.equal(copyPercent(progressOf({ collectionCopy: { estimatedTotalBytes: 3, estimatedCopiedBytes: 5 } })), 100);
  });

  test('an IDLE progress renders without numbers', () => {
    const idle = progressOf({ state: 'IDLE', canCommit: false, canWrite: null, collectionCopy: null, lagTimeSeconds: null, totalEventsApplied: null });
    assert.equal(progressLine(idle, new Date(0)), '1970-01-01T00:00:00.000Z state=IDLE copied=- lag=- events=- canCommit=false canWrite=null');
    const bars = progressBars(idle, 80, 'c2c-sync');
    assert.deepEqual(bars.slice(0, 1), ['c2c-sync  IDLE']);
    assert.match(bars[1]!, /^copy {4}\[░+\] {4}-$/);
  });

  test('bars fit the terminal width and show warnings', () => {
    const progress: Progress = { ...RUNNING, warnings: ['mongosync is blocking user writes on the source cluster'] };
    for (const columns of [40, 80, 200]) {
      for (const line of progressBars(progress, columns, 'c2c-sync http://localhost:27182')) assert.ok(line.length <= columns, `${columns}: ${line}`);
    }
    assert.ok(progressBars(progress, 200, 't').some((line) => line.startsWith('warning mongosync is blocking')));
    assert.ok(progressBars(progress, 200, 't').includes('        cluster0: a:1 → cluster1: b:2'));
  });

  test('a FAILED progress shows its error in the line and the bars', () => {
    const failed: Progress = { ...RUNNING, state: 'FAILED', error: 'InternalError', errorDescription: 'boom "here"' };
    assert.match(progressLine(failed, new Date(0)), /state=FAILED .* error=InternalError errorDescription="boom \\"here\\""$/);
    assert.ok(progressBars(failed, 200, 't').includes('error   InternalError: boom "here"'));
  });

  test('reached matches a state name or a true flag', () => {
    assert.equal(reached(COMMITTED, 'COMMITTED'), true);
    assert.equal(reached(COMMITTED, 'canWrite'), true);
    assert.equal(reached(COMMITTED, 'canCommit'), false);
    assert.equal(reached(RUNNING, 'COMMITTED'), false);
  });
});
