// The fail points drivers test with (configureFailPoint), shared by every connection of a server:
// `failCommand`; `onPrimaryTransactionalWrite` (at each document write of a retryable write: closes
// the connection after the command, or fails that write before it commits with
// `failBeforeCommitExceptionCode`); and
// `failGetMoreAfterCursorCheckout` (a getMore fails with `errorCode` after taking its cursor).
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

/** onPrimaryTransactionalWrite's data: closeConnection defaults to true, as in mongod. */
export interface TransactionalWriteData {
  closeConnection: boolean;
  failBeforeCommitExceptionCode?: number;
}

export interface GetMoreFailureData {
  errorCode: number;
}

export const ON_PRIMARY_TRANSACTIONAL_WRITE = 'onPrimaryTransactionalWrite';
export const FAIL_GET_MORE_AFTER_CURSOR_CHECKOUT = 'failGetMoreAfterCursorCheckout';

function parseTransactionalWriteData(data: unknown): TransactionalWriteData {
  const d = isDocument(data) ? data : {};
  const code = d.failBeforeCommitExceptionCode === undefined ? undefined : numberValue(d.failBeforeCommitExceptionCode);
  if (d.failBeforeCommitExceptionCode !== undefined && (code === undefined || !Number.isInteger(code))) {
    throw badValue("'failBeforeCommitExceptionCode' must be an integer");
  }
  return { closeConnection: d.closeConnection === undefined ? true : isTruthy(d.closeConnection), failBeforeCommitExceptionCode: code };
}

function parseGetMoreFailureData(data: unknown): GetMoreFailureData {
  const code = isDocument(data) ? numberValue(data.errorCode) : undefined;
  if (code === undefined || !Number.isInteger(code)) throw badValue("failGetMoreAfterCursorCheckout requires an integer 'errorCode'");
  return { errorCode: code };
}

/** One fail point's mode and data, with the activation count configureFailPoint reports. */
class FailPoint<T> {
  private mode: Mode = { kind: 'off' };
  private data: T | undefined;
  private timesEntered = 0;

  constructor(private readonly parse: (data: unknown) => T) {}

  configure(mode: unknown, data: unknown): number {
    const parsedMode = parseMode(mode);
    this.data = parsedMode.kind === 'off' ? undefined : this.parse(data);
    this.mode = parsedMode;
    return this.timesEntered;
  }

  /** The data when the fail point fires now (counting the activation), else undefined. */
  fire(applies: (data: T) => boolean = () => true): T | undefined {
    const data = this.data;
    if (data === undefined || this.mode.kind === 'off' || !applies(data)) return undefined;
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

export class FailPoints {
  private readonly failCommand = new FailPoint(parseData);
  private readonly transactionalWrite = new FailPoint(parseTransactionalWriteData);
  private readonly getMoreAfterCheckout = new FailPoint(parseGetMoreFailureData);

  /** Applies a configureFailPoint request; returns the activation count before it. */
  configure(name: unknown, mode: unknown, data: unknown): number {
    if (name === FAIL_COMMAND) return this.failCommand.configure(mode, data);
    if (name === ON_PRIMARY_TRANSACTIONAL_WRITE) return this.transactionalWrite.configure(mode, data);
    if (name === FAIL_GET_MORE_AFTER_CURSOR_CHECKOUT) return this.getMoreAfterCheckout.configure(mode, data);
    throw new CommandError(2, 'BadValue', `${String(name)} not found`);
  }

  /**
   * The data of failCommand when it fires for this command, counting the activation;
   * undefined when it does not fire.
   */
  evaluate(commandName: string, appName: string | undefined): FailCommandData | undefined {
    return this.failCommand.fire((data) => data.failCommands.includes(commandName) && (data.appName === undefined || data.appName === appName));
  }

  /** onPrimaryTransactionalWrite, evaluated at each document write of a retryable write. */
  evaluateTransactionalWrite(): TransactionalWriteData | undefined {
    return this.transactionalWrite.fire();
  }

  /** failGetMoreAfterCursorCheckout, evaluated for each getMore of an existing cursor. */
  evaluateGetMore(): GetMoreFailureData | undefined {
    return this.getMoreAfterCheckout.fire();
  }
}
