// The client subcommands: start, progress, pause, resume, commit, reverse. Each calls the HTTP
// API and prints its JSON answer; the exit code says whether it succeeded.
import type { ConfigInput, FlagValues } from '../config';
import { type ApiTarget, ApiUnreachableError, callApi, resolveApiTarget } from './api-client';
import { type ClientCommand, UsageError } from './commands';
import { progressBars, progressLine, reached, UNTIL_VALUES } from './progress-display';
import { buildStartBody } from './start-body';
import type { Progress } from '../sync/progress';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seconds(flags: FlagValues, name: string, fallback: number | undefined): number | undefined {
  const raw = flags[name];
  if (typeof raw !== 'string') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number of seconds (got '${raw}')`);
  return value;
}

export async function runClientCommand(command: ClientCommand, flags: FlagValues, io: CliIo): Promise<number> {
  const input: ConfigInput = { flags, env: io.env };
  const target = resolveApiTarget(input);
  if (command === 'progress' && (flags.watch === true || typeof flags.until === 'string')) {
    return watchProgress(target, flags, io);
  }
  const response =
    command === 'progress'
      ? await callApi(target, 'GET', '/api/v1/progress')
      : await callApi(target, 'POST', `/api/v1/${command}`, command === 'start' ? buildStartBody(flags) : {});
  io.stdout.write(`${response.text}\n`);
  return response.body.success === true ? 0 : 1;
}

async function watchProgress(target: ApiTarget, flags: FlagValues, io: CliIo): Promise<number> {
  const intervalMs = seconds(flags, 'interval', 1)! * 1000;
  const timeoutSeconds = seconds(flags, 'timeout', undefined);
  const until = typeof flags.until === 'string' ? flags.until : undefined;
  if (until !== undefined && !UNTIL_VALUES.includes(until)) {
    throw new UsageError(`--until must be one of ${UNTIL_VALUES.join(', ')} (got '${until}')`);
  }
  const draw = flags.watch === true;
  const tty = draw && io.stdout.isTTY === true;
  const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
  let drawnLines = 0;
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  if (tty) io.stdout.write('\x1b[?25l');
  const redraw = (lines: string[]): void => {
    const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : '';
    io.stdout.write(`${up}\x1b[J${lines.join('\n')}\n`);
    drawnLines = lines.length;
  };
  try {
    for (;;) {
      let progress: Progress | undefined;
      try {
        const response = await callApi(target, 'GET', '/api/v1/progress', undefined, 30_000);
        if (response.body.success === true) {
          progress = response.body.progress as Progress;
          if (tty) redraw(progressBars(progress, io.stdout.columns || 80, `c2c-sync ${target.baseUrl}`));
          else if (draw) io.stdout.write(`${progressLine(progress, new Date())}\n`);
          if (until !== undefined && reached(progress, until)) {
            if (!draw) io.stdout.write(`${response.text}\n`);
            return 0;
          }
          if (until !== undefined && progress.state === 'FAILED') {
            io.stderr.write(`c2c-sync: the sync FAILED while waiting for ${until}: ${String(progress.error)}: ${String(progress.errorDescription)}\n`);
            return 1;
          }
        } else if (tty) {
          redraw([`c2c-sync ${target.baseUrl}`, `error ${String(response.body.error)}: ${String(response.body.errorDescription)}`]);
        } else {
          io.stderr.write(`${response.text}\n`);
        }
      } catch (error) {
        if (!(error instanceof ApiUnreachableError)) throw error;
        if (tty) redraw([`c2c-sync ${target.baseUrl}`, error.message]);
        else io.stderr.write(`${error.message}\n`);
      }
      if (Date.now() >= deadline) {
        io.stderr.write(`c2c-sync: gave up after ${timeoutSeconds} s${until ? ` waiting for ${until}` : ''}\n`);
        return 1;
      }
      const wakeAt = Math.min(Date.now() + intervalMs, deadline);
      while (!interrupted && Date.now() < wakeAt) await sleep(Math.min(100, wakeAt - Date.now()));
      if (interrupted) return until === undefined ? 0 : 130;
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    if (tty) io.stdout.write('\x1b[?25h');
  }
}
