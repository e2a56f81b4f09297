// Parses and validates a change stream aggregate: the level, the $changeStream options, the start
// point and the stages after $changeStream (opening a change stream), raising the server's
// errors in the server's order (IDL parse, then assertIsLegalSpecification, then the pipeline).
import type { Document } from 'bson';
import { bsonTypeName, isPlainDocument, toNumber, trueValue } from './bson/values';
import { badEnumValue, invalidResumeToken, streamError, unknownSpecField, wrongSpecFieldType } from './change-stream-errors';
import { isTimestamp, timestampValue } from './change-stream-timestamps';
import { decodeResumeToken, encodeTokenData, type EventToken } from './change-stream-token';

export type StreamLevel = 'collection' | 'database' | 'cluster';
export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type FullDocumentBeforeChangeMode = 'off' | 'whenAvailable' | 'required';

export type StartPoint =
  /** no start option: one tick after the last applied optime */
  | { kind: 'now' }
  /** startAtOperationTime or a high-water-mark token: events with clusterTime >= the time */
  | { kind: 'time'; clusterTime: bigint }
  /** resumeAfter/startAfter an event token: events strictly after that event */
  | { kind: 'event'; token: EventToken; data: string; startAfter: boolean };

export interface ServerVersion {
  major: number;
  minor: number;
  patch?: number;
}

export interface ChangeStreamSpec {
  level: StreamLevel;
  db: string;
  /** the watched collection of a collection-level stream */
  coll?: string;
  /** `cursor.ns` of the replies (cursor protocol) */
  cursorNs: string;
  fullDocument: FullDocumentMode;
  fullDocumentBeforeChange: FullDocumentBeforeChangeMode;
  showExpandedEvents: boolean;
  showRawUpdateDescription: boolean;
  start: StartPoint;
  /** the stages after $changeStream, without $changeStreamSplitLargeEvent */
  userStages: Document[];
  splitLargeEvents: boolean;
  version: ServerVersion;
}

const FULL_DOCUMENT_MODES: readonly string[] = ['default', 'updateLookup', 'whenAvailable', 'required'];
const BEFORE_CHANGE_MODES: readonly string[] = ['off', 'whenAvailable', 'required'];
const BOOLEAN_OPTIONS = [
  'showExpandedEvents',
  'allChangesForCluster',
  'showMigrationEvents',
  'showSystemEvents',
  'showRawUpdateDescription',
  'allowToRunOnConfigDB',
  'allowToRunOnSystemNS',
  '$_generateV2ResumeTokens',
];
const KNOWN_OPTIONS = new Set([
  'fullDocument',
  'fullDocumentBeforeChange',
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  ...BOOLEAN_OPTIONS,
]);

/** Stages the server lets follow $changeStream. */
const ALLOWED_STAGES = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact']);
const SPLIT_STAGE = '$changeStreamSplitLargeEvent';
/** Other aggregation stages the server knows, which are refused after $changeStream. */
const OTHER_KNOWN_STAGES = new Set([
  '$bucket', '$bucketAuto', '$collStats', '$count', '$currentOp', '$densify', '$documents', '$facet', '$fill',
  '$geoNear', '$graphLookup', '$group', '$indexStats', '$limit', '$listLocalSessions', '$listSampledQueries',
  '$listSearchIndexes', '$listSessions', '$lookup', '$merge', '$out', '$planCacheStats', '$sample', '$search',
  '$searchMeta', '$setWindowFields', '$shardedDataDistribution', '$skip', '$sort', '$sortByCount', '$unionWith',
  '$unwind', '$vectorSearch', '$queryStats', '$listCatalog', '$changeStream',
]);

export function parseServerVersion(version: string): ServerVersion {
  const [major, minor, patch] = version.split('.').map((part) => Number(part));
  return { major: major || 0, minor: minor || 0, patch: patch || 0 };
}

export function versionAtLeast(v: ServerVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** $changeStreamSplitLargeEvent is new in 7.0 and was backported to 6.0.9 (the stage's manual page). */
function supportsSplitLargeEvent(v: ServerVersion): boolean {
  return versionAtLeast(v, 7, 0) || (v.major === 6 && v.minor === 0 && (v.patch ?? 0) >= 9);
}

interface RawOptions {
  fullDocument: FullDocumentMode;
  fullDocumentBeforeChange: FullDocumentBeforeChangeMode;
  resumeAfter?: Document;
  startAfter?: Document;
  startAtOperationTime?: bigint;
  flags: Record<string, boolean>;
}

function readEnum<T extends string>(options: Document, field: string, allowed: readonly string[], fallback: T): T {
  const value: unknown = options[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw wrongSpecFieldType(field, bsonTypeName(value), 'string');
  if (!allowed.includes(value)) throw badEnumValue(field, value);
  return value as T;
}

function readToken(options: Document, field: string): Document | undefined {
  const value: unknown = options[field];
  if (value === undefined) return undefined;
  if (!isPlainDocument(value)) throw wrongSpecFieldType(field, bsonTypeName(value), 'object');
  return value;
}

/** The IDL parse of the $changeStream document: unknown fields and field types. */
function parseOptions(options: Document): RawOptions {
  for (const field of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(field)) throw unknownSpecField(field);
  }
  const flags: Record<string, boolean> = {};
  for (const field of BOOLEAN_OPTIONS) {
    const value: unknown = options[field];
    if (value === undefined) continue;
    if (typeof value !== 'boolean' && toNumber(value) === undefined) throw wrongSpecFieldType(field, bsonTypeName(value), 'bool');
    flags[field] = trueValue(value);
  }
  const time: unknown = options.startAtOperationTime;
  if (time !== undefined && !isTimestamp(time)) throw wrongSpecFieldType('startAtOperationTime', bsonTypeName(time), 'timestamp');
  return {
    fullDocument: readEnum(options, 'fullDocument', FULL_DOCUMENT_MODES, 'default'),
    fullDocumentBeforeChange: readEnum(options, 'fullDocumentBeforeChange', BEFORE_CHANGE_MODES, 'off'),
    resumeAfter: readToken(options, 'resumeAfter'),
    startAfter: readToken(options, 'startAfter'),
    startAtOperationTime: time === undefined ? undefined : timestampValue(time),
    flags,
  };
}

interface Target {
  level: StreamLevel;
  db: string;
  coll?: string;
  cursorNs: string;
}

function resolveTarget(cmd: Document, db: string, allChangesForCluster: boolean): Target {
  const aggregate: unknown = cmd.aggregate;
  if (typeof aggregate === 'string') {
    const ns = `${db}.${aggregate}`;
    if (allChangesForCluster) throw allChangesForClusterMisuse(ns);
    return { level: 'collection', db, coll: aggregate, cursorNs: ns };
  }
  if (toNumber(aggregate) !== 1) {
    throw streamError(9, `Invalid {aggregate: ${String(aggregate)}}. 'aggregate' field must be a string or the number 1`);
  }
  const cursorNs = `${db}.$cmd.aggregate`;
  if (!allChangesForCluster) return { level: 'database', db, cursorNs };
  if (db !== 'admin') throw allChangesForClusterMisuse(cursorNs);
  return { level: 'cluster', db, cursorNs };
}

function allChangesForClusterMisuse(ns: string): Error {
  return streamError(
    72,
    `A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name; found ${ns}`,
  );
}

/** assertIsLegalSpecification's namespace rules. */
function checkNamespace(target: Target, flags: Record<string, boolean>): void {
  const { db } = target;
  const bannedDb =
    db === 'admin' ? target.level !== 'cluster' : db === 'local' || (db === 'config' && !flags.allowToRunOnConfigDB);
  if (bannedDb) throw streamError(73, `$changeStream may not be opened on the internal ${db} database`);
  if (target.coll?.startsWith('system.') && !flags.allowToRunOnSystemNS) {
    throw streamError(73, `$changeStream may not be opened on the internal ${db}.${target.coll} collection`);
  }
}

function resolveStart(raw: RawOptions, level: StreamLevel): StartPoint {
  if (raw.resumeAfter && raw.startAfter) {
    throw streamError(50865, "Do not specify both 'resumeAfter' and 'startAfter' in a $changeStream stage");
  }
  const tokenDoc = raw.startAfter ?? raw.resumeAfter;
  const token = tokenDoc ? decodeResumeToken(tokenDoc) : undefined;
  if (token && raw.startAtOperationTime !== undefined) {
    throw streamError(40674, 'Only one type of resume option is allowed, but multiple were found');
  }
  if (!token) {
    return raw.startAtOperationTime === undefined ? { kind: 'now' } : { kind: 'time', clusterTime: raw.startAtOperationTime };
  }
  if (token.tokenType === 'highWaterMark') return { kind: 'time', clusterTime: token.clusterTime };
  if (raw.resumeAfter && token.fromInvalidate) {
    throw invalidResumeToken(
      "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification",
    );
  }
  if (level === 'collection' && token.uuid === undefined) {
    throw invalidResumeToken('Attempted to resume a single-collection stream, but the resume token does not include a UUID');
  }
  return { kind: 'event', token, data: encodeTokenData(token), startAfter: raw.startAfter !== undefined };
}

function stageName(stage: unknown): string {
  if (!isPlainDocument(stage) || Object.keys(stage).length !== 1) {
    throw streamError(40323, 'A pipeline stage specification object must contain exactly one field.');
  }
  return Object.keys(stage)[0];
}

/** Parses the stages after $changeStream, then checks their positions like Pipeline::validate. */
function parseUserStages(pipeline: unknown[], version: ServerVersion): { userStages: Document[]; split: boolean } {
  const names: string[] = [];
  for (let i = 1; i < pipeline.length; i++) {
    const name = stageName(pipeline[i]);
    const known = ALLOWED_STAGES.has(name) || OTHER_KNOWN_STAGES.has(name) || (name === SPLIT_STAGE && supportsSplitLargeEvent(version));
    if (!known) throw streamError(40324, `Unrecognized pipeline stage name: '${name}'`);
    if (name === SPLIT_STAGE) {
      const spec: unknown = (pipeline[i] as Document)[name];
      if (!isPlainDocument(spec) || Object.keys(spec).length > 0) {
        throw streamError(7182800, '$changeStreamSplitLargeEvent spec should be an empty object');
      }
    }
    names.push(name);
  }
  const userStages: Document[] = [];
  let split = false;
  names.forEach((name, index) => {
    if (name === '$changeStream') throw streamError(40602, '$changeStream is only valid as the first stage in a pipeline.');
    if (name === SPLIT_STAGE) {
      if (index !== names.length - 1) throw streamError(7182802, `${SPLIT_STAGE} must be the last stage in the pipeline`);
      split = true;
      return;
    }
    if (!ALLOWED_STAGES.has(name)) throw streamError(20, `${name} is not permitted in a $changeStream pipeline`);
    userStages.push(pipeline[index + 1] as Document);
  });
  return { userStages, split };
}

/** Everything the stream needs from `{aggregate, pipeline: [{$changeStream}, ...]}` on `db`. */
export function parseChangeStreamSpec(cmd: Document, db: string, versionString: string): ChangeStreamSpec {
  const version = parseServerVersion(versionString);
  const pipeline: unknown = cmd.pipeline;
  if (!Array.isArray(pipeline) || pipeline.length === 0 || stageName(pipeline[0]) !== '$changeStream') {
    throw streamError(9, 'a change stream pipeline must begin with a $changeStream stage');
  }
  const options: unknown = (pipeline[0] as Document).$changeStream;
  if (!isPlainDocument(options)) throw streamError(50808, '$changeStream stage expects a document as argument');
  const raw = parseOptions(options);
  const target = resolveTarget(cmd, db, raw.flags.allChangesForCluster === true);
  checkNamespace(target, raw.flags);
  const start = resolveStart(raw, target.level);
  const { userStages, split } = parseUserStages(pipeline, version);
  if (start.kind === 'event' && start.token.fragmentNum !== undefined && !split) {
    throw streamError(
      280,
      `To resume from a split event, the $changeStream pipeline must include a ${SPLIT_STAGE} stage`,
    );
  }
  return {
    ...target,
    fullDocument: raw.fullDocument,
    fullDocumentBeforeChange: raw.fullDocumentBeforeChange,
    showExpandedEvents: raw.flags.showExpandedEvents === true,
    showRawUpdateDescription: raw.flags.showRawUpdateDescription === true,
    start,
    userStages,
    splitLargeEvents: split,
    version,
  };
}
