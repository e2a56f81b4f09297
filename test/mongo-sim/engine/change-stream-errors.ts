// The errors a change stream raises, with the server's codes, names, texts and error labels
// (opening a change stream, resume tokens, driver resume rules, errors).
import type { Document } from 'bson';
import { CommandError } from './types';
import { formatDocument } from './bson/format';

const CODE_NAMES: Record<number, string> = {
  2: 'BadValue',
  9: 'FailedToParse',
  14: 'TypeMismatch',
  20: 'IllegalOperation',
  47: 'NoMatchingDocument',
  72: 'InvalidOptions',
  73: 'InvalidNamespace',
  237: 'CursorKilled',
  260: 'InvalidResumeToken',
  280: 'ChangeStreamFatalError',
  286: 'ChangeStreamHistoryLost',
  10334: 'BSONObjectTooLarge',
  40415: 'IDLUnknownField',
};

/** Codes in the server's NonResumableChangeStreamError category. */
const NON_RESUMABLE = new Set([280, 286]);

/** Codes the server labels ResumableChangeStreamError (retriable, RetryChangeStream, 133) when
 *  they fail a change stream aggregate/getMore (error_labels.cpp). */
const RESUMABLE = new Set([6, 7, 89, 91, 133, 189, 234, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

export function changeStreamLabels(code: number): string[] {
  if (NON_RESUMABLE.has(code)) return ['NonResumableChangeStreamError'];
  if (RESUMABLE.has(code)) return ['ResumableChangeStreamError'];
  return [];
}

/** A CommandError with the name the server gives `code` and the change stream labels for it. */
export function streamError(code: number, message: string): CommandError {
  return new CommandError(code, CODE_NAMES[code] ?? `Location${code}`, message, {}, changeStreamLabels(code));
}

export function historyLost(): CommandError {
  return streamError(286, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
}

/** 280 as EnsureResumeTokenPresent raises it: the text names the first event past the token. */
export function resumeTokenNotFound(surpassingEventId: Document): CommandError {
  return streamError(280, `cannot resume stream; the resume token was not found. ${formatDocument(surpassingEventId)}`);
}

export function invalidResumeToken(message: string): CommandError {
  return streamError(260, message);
}

export function unknownSpecField(field: string): CommandError {
  return streamError(40415, `BSON field '$changeStream.${field}' is an unknown field.`);
}

export function wrongSpecFieldType(field: string, actual: string, expected: string): CommandError {
  return streamError(14, `BSON field '$changeStream.${field}' is the wrong type '${actual}', expected type '${expected}'`);
}

export function badEnumValue(field: string, value: string): CommandError {
  return streamError(2, `Enumeration value '${value}' for field '$changeStream.${field}' is not a valid value.`);
}

export function idModifiedByPipeline(expected: Document, found: unknown): CommandError {
  const foundText = found === undefined ? '{}' : formatDocument({ _id: found });
  return streamError(
    280,
    'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. ' +
      'Modifying the _id field of an event makes it impossible to resume the stream from that point. ' +
      'Only transformations that retain the unmodified _id field are allowed. ' +
      `Expected: ${formatDocument({ _id: expected })} but found: ${foundText}`,
  );
}
