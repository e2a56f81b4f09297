// Structured JSON logs in mongosync's shape: one JSON document per line with `level`
// (lowercase), `time` (RFC 3339 with offset), `message`, `pid`, `mongosyncID` and, per
// component, `componentName`. Credentials are removed and long strings truncated before writing.
// With a log directory, the active file is c2c-sync.log; an existing one is renamed to
// c2c-sync-<time>.log at start-up and on rotate() (SIGUSR1 in the service), like mongosync.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';
import { DefaultLogger, type LogLevel as SdkLogLevel, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { redactCredentials } from './mongo/redact';
import { DEFAULT_VERBOSITY, type Verbosity } from './verbosity';

export { DEFAULT_VERBOSITY, VERBOSITIES, type Verbosity } from './verbosity';
export const LOG_FILE_NAME = 'c2c-sync.log';
/** mongosync truncates any logged field longer than this (1.7+). */
export const MAX_FIELD_LENGTH = 1024;

const PINO_LEVELS: Record<Verbosity, pino.Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  PANIC: 'fatal',
};

export interface LoggingOptions {
  /** the mongosync id carried by every line */
  syncId: string;
  verbosity?: Verbosity;
  /** a directory; logs go to stdout without it */
  logPath?: string;
  /** write here instead (tests) */
  stream?: DestinationStream;
}

export interface Logging {
  logger: Logger;
  /** renames the active log file and reopens a fresh one; no-op when logging to stdout */
  rotate(): void;
  /** writes everything buffered */
  flush(): void;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** RFC 3339 local time with offset, milliseconds: 2024-06-17T16:27:58.187+02:00. */
export function rfc3339(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

function cleanString(value: string): string {
  const redacted = redactCredentials(value);
  return redacted.length > MAX_FIELD_LENGTH ? `${redacted.slice(0, MAX_FIELD_LENGTH)}…(truncated)` : redacted;
}

/** Credentials removed and long strings truncated, at any depth. */
export function sanitizeLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return cleanString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[nested too deep to log]';
  if (value instanceof Error) {
    return { type: value.name, message: cleanString(value.message), ...(value.stack ? { stack: cleanString(value.stack) } : {}) };
  }
  if (Array.isArray(value)) return value.map((item) => sanitizeLogValue(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, sanitizeLogValue(item, depth + 1)]));
}

function rotatedName(now: Date): string {
  const stamp = now.toISOString().replace(/:/g, '-').replace('Z', '');
  return `c2c-sync-${stamp}.log`;
}

function moveAside(directory: string): void {
  const active = join(directory, LOG_FILE_NAME);
  if (existsSync(active)) renameSync(active, join(directory, rotatedName(new Date())));
}

export function createLogging(options: LoggingOptions): Logging {
  let file: ReturnType<typeof pino.destination> | undefined;
  let stream: DestinationStream;
  if (options.stream) {
    stream = options.stream;
  } else if (options.logPath) {
    mkdirSync(options.logPath, { recursive: true });
    moveAside(options.logPath);
    file = pino.destination({ dest: join(options.logPath, LOG_FILE_NAME), sync: true });
    stream = file;
  } else {
    stream = pino.destination({ dest: 1, sync: true });
  }
  const logger = pino(
    {
      level: PINO_LEVELS[options.verbosity ?? DEFAULT_VERBOSITY],
      messageKey: 'message',
      base: { pid: process.pid, mongosyncID: options.syncId },
      timestamp: () => `,"time":"${rfc3339(new Date())}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => sanitizeLogValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // logger.error(error) takes the error's message as the line's message: give it cleaned
          const withMessage = args.length === 1 && args[0] instanceof Error ? [args[0], args[0].message] : args;
          method.apply(this, withMessage.map((arg) => (typeof arg === 'string' ? cleanString(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
  return {
    logger,
    rotate() {
      if (!file || !options.logPath) return;
      moveAside(options.logPath);
      file.reopen();
    },
    flush() {
      file?.flushSync();
    },
  };
}

const SDK_LEVELS: Record<Verbosity, SdkLogLevel> = {
  TRACE: 'TRACE',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARN',
  ERROR: 'ERROR',
  FATAL: 'ERROR',
  PANIC: 'ERROR',
};

/**
 * Installs the Temporal runtime with the SDK's logs (and its core's, at WARN and above) sent to
 * `logger`, and without the SDK's own signal handlers (the service shuts down in order itself).
 * The SDK allows this once per process, before any connection or worker; returns false when it
 * was too late.
 */
export function installTemporalRuntime(logger: Logger, verbosity: Verbosity = DEFAULT_VERBOSITY): boolean {
  const sdkLogger = logger.child({ componentName: 'Temporal SDK' });
  try {
    Runtime.install({
      logger: new DefaultLogger(SDK_LEVELS[verbosity], (entry) => {
        const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
        sdkLogger[level]({ ...entry.meta }, entry.message);
      }),
      shutdownSignals: [],
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'WARN' }), forward: {} } },
    });
    return true;
  } catch {
    return false;
  }
}
