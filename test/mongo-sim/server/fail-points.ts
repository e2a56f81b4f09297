// The `failCommand` fail point (configureFailPoint), shared by every connection of a server.
import type { Document } from 'bson';
import { CommandError } from '../engine/types';
import { isDocument, isTruthy, numberValue } from './bson-values';

export interface FailCommandData {
  failCommands: string[];
  errorCode?: number;
  errorLabels?: string[];
  closeConnection: boolean;
  blockConnection: boolean;
  blockTimeMS: number;
  writeConcernError?: Document;
  appName?: string;
  failInternalCommands: boolean;
  /** the data document as given, returned by getParameter-like inspection */
  raw: Document;
}

type Mode = { kind: 'off' } | { kind: 'alwaysOn' } | { kind: 'times'; remaining: number } | { kind: 'skip'; toSkip: number };

export const FAIL_COMMAND = 'failCommand';
/** getMore fails with `data.errorCode` once its cursor is checked out (so labels see the cursor) */
export const FAIL_GET_MORE_AFTER_CURSOR_CHECKOUT = 'failGetMoreAfterCursorCheckout';

/** Fail points other than failCommand: a mode and the data document as given. */
/**
 * each document write of a retryable write: closes the connection (unless `closeConnection:
 * false`) and, with `failBeforeCommitExceptionCode`, fails that write before it commits
 */
export const ON_PRIMARY_TRANSACTIONAL_WRITE = 'onPrimaryTransactionalWrite';

const OTHER_FAIL_POINTS = new Set([FAIL_GET_MORE_AFTER_CURSOR_CHECKOUT, ON_PRIMARY_TRANSACTIONAL_WRITE]);

interface NamedFailPoint {
  mode: Mode;
  data: Document;
  timesEntered: number;
}

function shouldFire(fp: NamedFailPoint): boolean {
  if (fp.mode.kind === 'off') return false;
  if (fp.mode.kind === 'skip' && fp.mode.toSkip > 0) {
    fp.mode.toSkip--;
    return false;
  }
  if (fp.mode.kind === 'times') {
    fp.mode.remaining--;
    if (fp.mode.remaining <= 0) fp.mode = { kind: 'off' };
  }
  fp.timesEntered++;
  return true;
}

function badValue(message: string): CommandError {
  return new CommandError(2, 'BadValue', message);
}

function parseMode(mode: unknown): Mode {
  if (mode === 'off') return { kind: 'off' };
  if (mode === 'alwaysOn') return { kind: 'alwaysOn' };
  if (isDocument(mode)) {
    const times = numberValue(mode.times);
    if (times !== undefined && Object.keys(mode).length === 1) {
      if (!Number.isInteger(times) || times < 0) throw badValue("'times' option to 'mode' must be positive");
      return times === 0 ? { kind: 'off' } : { kind: 'times', remaining: times };
    }
    const skip = numberValue(mode.skip);
    if (skip !== undefined && Object.keys(mode).length === 1) {
      if (!Number.isInteger(skip) || skip < 0) throw badValue("'skip' option to 'mode' must be positive");
      return { kind: 'skip', toSkip: skip };
    }
  }
  throw badValue(`unrecognized mode object: ${JSON.stringify(mode)}`);
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw badValue(`'${field}' must be an array of strings`);
  }
  return value as string[];
}

function parseData(data: unknown): FailCommandData {
  if (!isDocument(data)) throw badValue("failCommand fail point requires a 'data' object");
  const errorCode = data.errorCode === undefined ? undefined : numberValue(data.errorCode);
  if (data.errorCode !== undefined && (errorCode === undefined || !Number.isInteger(errorCode))) {
    throw badValue("'errorCode' must be an integer");
  }
  if (data.writeConcernError !== undefined && !isDocument(data.writeConcernError)) {
    throw badValue("'writeConcernError' must be an object");
  }
  if (data.appName !== undefined && typeof data.appName !== 'string') throw badValue("'appName' must be a string");
  return {
    failCommands: stringArray(data.failCommands, 'failCommands'),
    errorCode,
    errorLabels: data.errorLabels === undefined ? undefined : stringArray(data.errorLabels, 'errorLabels'),
    closeConnection: isTruthy(data.closeConnection),
    blockConnection: isTruthy(data.blockConnection),
    blockTimeMS: numberValue(data.blockTimeMS) ?? 0,
    writeConcernError: data.writeConcernError as Document | undefined,
    appName: data.appName as string | undefined,
    failInternalCommands: isTruthy(data.failInternalCommands),
    raw: data,
  };
}

export class FailPoints {
  private mode: Mode = { kind: 'off' };
  private data: FailCommandData | undefined;
  private timesEntered = 0;
  private readonly others = new Map<string, NamedFailPoint>();

  /** Applies a configureFailPoint request; returns the activation count before it. */
  configure(name: unknown, mode: unknown, data: unknown): number {
    if (typeof name === 'string' && OTHER_FAIL_POINTS.has(name)) return this.configureOther(name, mode, data);
    if (name !== FAIL_COMMAND) {
      throw new CommandError(2, 'BadValue', `${String(name)} not found`);
    }
    const parsedMode = parseMode(mode);
    this.data = parsedMode.kind === 'off' ? undefined : parseData(data);
    this.mode = parsedMode;
    return this.timesEntered;
  }

  private configureOther(name: string, mode: unknown, data: unknown): number {
    const parsedMode = parseMode(mode);
    if (data !== undefined && data !== null && !isDocument(data)) throw badValue(`'data' of ${name} must be an object`);
    const before = this.others.get(name)?.timesEntered ?? 0;
    this.others.set(name, { mode: parsedMode, data: isDocument(data) ? data : {}, timesEntered: before });
    return before;
  }

  /** The data document of a fail point other than failCommand when it fires now (counted), else undefined. */
  fire(name: string): Document | undefined {
    const fp = this.others.get(name);
    return fp && shouldFire(fp) ? fp.data : undefined;
  }

  /**
   * The data of the fail point when it fires for this command, counting the activation;
   * undefined when it does not fire.
   */
  evaluate(commandName: string, appName: string | undefined): FailCommandData | undefined {
    const data = this.data;
    if (!data || this.mode.kind === 'off') return undefined;
    if (!data.failCommands.includes(commandName)) return undefined;
    if (data.appName !== undefined && data.appName !== appName) return undefined;
    if (this.mode.kind === 'skip' && this.mode.toSkip > 0) {
      this.mode.toSkip--;
      return undefined;
    }
    if (this.mode.kind === 'times') {
      this.mode.remaining--;
      if (this.mode.remaining <= 0) this.mode = { kind: 'off' };
    }
    this.timesEntered++;
    return data;
  }
}
