// Reading command arguments: types as the server checks them, generic arguments, strict commands.
import type { Document } from 'bson';
import { bsonTypeName, isNumeric, isPlainDocument, toNumber } from '../bson/values';
import { commandError, ErrorCodes, unknownField } from '../errors';

/** Generic arguments every command accepts (generic_argument.idl), plus driver-added fields. */
export const GENERIC_ARGUMENTS = new Set([
  '$db',
  '$readPreference',
  '$clusterTime',
  '$audit',
  '$client',
  '$configServerState',
  '$configTime',
  '$topologyTime',
  '$queryOptions',
  'lsid',
  'txnNumber',
  'txnRetryCounter',
  'autocommit',
  'startTransaction',
  'stmtId',
  'stmtIds',
  'readConcern',
  'writeConcern',
  'maxTimeMS',
  'maxTimeMSOpOnly',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'clientOperationKey',
  'mayBypassWriteBlocking',
  'databaseVersion',
  'shardVersion',
  'allowImplicitCollectionCreation',
  'coordinator',
  'usesDefaultMaxTimeMS',
  'versionContext',
  'expectPrefix',
  'help',
  'readOnly',
  'tracking_info',
]);

/** Throws 40415 for the first field of a strict command that is neither known nor generic. */
export function assertKnownFields(cmd: Document, command: string, known: readonly string[]): void {
  const keys = Object.keys(cmd);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    if (!known.includes(k) && !GENERIC_ARGUMENTS.has(k)) throw unknownField(command, k);
  }
}

/** Throws 40415 for a field of a nested strict document (e.g. one `update.updates` entry). */
export function assertKnownNestedFields(doc: Document, path: string, known: readonly string[]): void {
  for (const k of Object.keys(doc)) if (!known.includes(k)) throw unknownField(path, k);
}

function typeError(command: string, field: string, value: unknown, expected: string): Error {
  return commandError(
    ErrorCodes.TypeMismatch,
    `BSON field '${command}.${field}' is the wrong type '${bsonTypeName(value)}', expected type '${expected}'`,
  );
}

export function optionalString(cmd: Document, command: string, field: string): string | undefined {
  const v: unknown = cmd[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw typeError(command, field, v, 'string');
  return v;
}

export function requiredString(cmd: Document, command: string, field: string): string {
  const v = optionalString(cmd, command, field);
  if (v === undefined) throw commandError(ErrorCodes.IDLFailedToParse, `BSON field '${command}.${field}' is missing but a required field`);
  return v;
}

/** The collection name in the command's first field (a string). */
export function collectionName(cmd: Document, command: string): string {
  const v: unknown = cmd[command];
  if (typeof v !== 'string') {
    throw commandError(
      ErrorCodes.InvalidNamespace,
      `collection name has invalid type ${bsonTypeName(v)}`,
    );
  }
  return v;
}

export function optionalNumber(cmd: Document, command: string, field: string): number | undefined {
  const v: unknown = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!isNumeric(v)) throw typeError(command, field, v, 'int');
  return toNumber(v);
}

export function optionalBool(cmd: Document, command: string, field: string): boolean | undefined {
  const v: unknown = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (isNumeric(v)) return toNumber(v) !== 0;
  throw typeError(command, field, v, 'bool');
}

export function optionalDocument(cmd: Document, command: string, field: string): Document | undefined {
  const v: unknown = cmd[field];
  if (v === undefined || v === null) return undefined;
  if (!isPlainDocument(v)) throw typeError(command, field, v, 'object');
  return v;
}

export function optionalArray(cmd: Document, command: string, field: string): unknown[] | undefined {
  const v: unknown = cmd[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw typeError(command, field, v, 'array');
  return v;
}

/** `cursor: {batchSize}` of aggregate/listCollections/listIndexes. */
export function cursorBatchSize(cmd: Document, command: string): number | undefined {
  const cursor = optionalDocument(cmd, command, 'cursor');
  if (!cursor) return undefined;
  const n = optionalNumber(cursor, `${command}.cursor`, 'batchSize');
  if (n !== undefined && n < 0) throw commandError(ErrorCodes.BadValue, `BatchSize value must be non-negative, but received: ${n}`);
  return n;
}
