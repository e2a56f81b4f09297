// aggregate: collection, view and database-level pipelines; $changeStream is delegated to the
// change-stream module, $collStats/$indexStats are answered here, the rest runs through mingo
// (with a leading $match/$sort/$skip/$limit answered by the engine's own query path).
import type { Document } from 'bson';
import { Long, Int32 } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import type { CollectionInfo, NamespaceInfo } from '../catalog/catalog';
import { catalogReader } from '../catalog/catalog-reader';
import { storageStats } from '../catalog/stats';
import { assertValidNamespace } from '../catalog/names';
import { ArrayCursor } from '../cursors';
import { commandError, ErrorCodes } from '../errors';
import { isPlainDocument, toNumber } from '../bson/values';
import { evaluateLet, runPipeline, stageName, validatePipeline } from '../query/pipeline';
import { outputStage, writeMerge, writeOut } from './aggregate-output';
import { sampleFromRandomCursor, sampleSize, usesRandomCursor } from '../query/sample';
import { CommandError } from '../types';
import { selectRecords, skipLimit } from '../query/execute';
import { parseSort, sortBy, type SortField } from '../query/sort';
import { compileFilter } from '../query/matcher';
import { collationFor, validateCollation } from '../bson/collation';
import { toQueryView } from '../bson/typed-view';
import { openChangeStream } from '../change-stream';
import { cursorBatchSize, optionalArray, optionalDocument } from './args';
import { namespaceDocuments, sourceResolver } from './views';

interface Prefix {
  filter?: Document;
  sort: SortField[];
  skip?: number;
  limit?: number;
  consumed: number;
}

/** The leading $match/$sort/$skip/$limit stages, which the engine runs with exact BSON order. */
function leadingQueryStages(pipeline: Document[]): Prefix {
  const p: Prefix = { sort: [], consumed: 0 };
  let i = 0;
  if (i < pipeline.length && stageName(pipeline[i]) === '$match' && isPlainDocument(pipeline[i].$match)) {
    p.filter = pipeline[i].$match as Document;
    i++;
  }
  if (i < pipeline.length && stageName(pipeline[i]) === '$sort') {
    p.sort = parseSort(pipeline[i].$sort);
    i++;
  }
  if (i < pipeline.length && stageName(pipeline[i]) === '$skip') {
    p.skip = toNumber(pipeline[i].$skip);
    i++;
  }
  if (i < pipeline.length && stageName(pipeline[i]) === '$limit') {
    p.limit = toNumber(pipeline[i].$limit);
    i++;
  }
  p.consumed = i;
  return p;
}

/** A leading $sample on a collection (not a view) that mongod answers with a random cursor. */
function randomCursorApplies(info: NamespaceInfo | undefined, spec: unknown): info is CollectionInfo {
  if (info?.kind !== 'collection' || info.virtualOplog) return false;
  return usesRandomCursor(sampleSize(spec), info.store.count);
}

function collectionInput(info: CollectionInfo, prefix: Prefix, hint: unknown, q: QueryContext): Document[] {
  const records = selectRecords(info, { filter: prefix.filter, sort: prefix.sort, hint, collation: q.collation, variables: q.variables });
  return skipLimit(records, prefix.skip, prefix.limit).map((r) => r.doc);
}

interface QueryContext {
  collation?: Document;
  variables?: Document;
}

function genericInput(docs: Document[], prefix: Prefix, q: QueryContext): Document[] {
  let out = docs;
  if (prefix.filter && Object.keys(prefix.filter).length > 0) {
    const test = compileFilter(prefix.filter, q);
    out = out.filter((d) => test(toQueryView(d)));
  }
  out = sortBy(out, (d) => d, prefix.sort, collationFor(q.collation)?.compare);
  return skipLimit(out, prefix.skip, prefix.limit);
}

function collStatsDocument(state: EngineState, db: string, coll: string, spec: unknown): Document {
  if (!isPlainDocument(spec)) throw commandError(ErrorCodes.FailedToParse, '$collStats must take a nested object but found: ' + String(spec));
  const info = state.catalog.get(db, coll);
  if (info?.kind === 'view') {
    throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${db}.${coll} is a view, not a collection`);
  }
  const now = new Date(state.settings.nowMs());
  const out: Document = { ns: `${db}.${coll}`, host: state.settings.hostAndPort, localTime: now };
  if (spec.latencyStats !== undefined) {
    const zero = { latency: Long.fromNumber(0), ops: Long.fromNumber(0) };
    out.latencyStats = { reads: zero, writes: zero, commands: zero, transactions: zero };
  }
  if (spec.storageStats !== undefined) {
    if (!info) {
      throw commandError(
        ErrorCodes.NamespaceNotFound,
        `Unable to retrieve storageStats in $collStats stage :: caused by :: Collection [${db}.${coll}] not found.`,
      );
    }
    const scale = isPlainDocument(spec.storageStats) ? (toNumber(spec.storageStats.scale) ?? 1) : 1;
    if (scale < 1) throw commandError(ErrorCodes.BadValue, 'scale has to be >= 1');
    out.storageStats = storageStats(state, info, Math.floor(scale));
  }
  if (spec.count !== undefined) {
    if (!info) {
      throw commandError(ErrorCodes.NamespaceNotFound, `Unable to retrieve count in $collStats stage :: caused by :: Collection [${db}.${coll}] not found.`);
    }
    const n = info.virtualOplog ? state.oplog.count() : info.store.count;
    out.count = n <= 2147483647 ? new Int32(n) : Long.fromNumber(n);
  }
  if (spec.queryExecStats !== undefined) {
    out.queryExecStats = { collectionScans: { total: Long.fromNumber(0), nonTailable: Long.fromNumber(0) } };
  }
  return out;
}

function indexStatsDocuments(state: EngineState, info: CollectionInfo): Document[] {
  const since = new Date(state.startedAt);
  const specs = [{ v: 2, key: { _id: 1 }, name: '_id_' }, ...info.store.indexes.map((ix) => ix.spec)];
  return specs.map((spec) => ({
    name: spec.name,
    key: spec.key,
    host: state.settings.hostAndPort,
    accesses: { ops: Long.fromNumber(0), since },
    spec,
  }));
}

function databaseLevelInput(state: EngineState, db: string, pipeline: Document[]): { docs: Document[]; rest: Document[] } {
  const first = pipeline.length > 0 ? stageName(pipeline[0]) : undefined;
  if (first === '$documents') return { docs: [], rest: pipeline };
  if (first === '$listLocalSessions') return { docs: state.localSessions.documents(), rest: pipeline.slice(1) };
  if (first === '$currentOp' && db === 'admin') return { docs: [], rest: pipeline.slice(1) };
  throw commandError(
    ErrorCodes.InvalidNamespace,
    `{aggregate: 1} is not valid for '${first ?? ''}'; a collection is required.`,
  );
}

export async function aggregateCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const target: unknown = cmd.aggregate;
  const dbLevel = toNumber(target) === 1;
  if (!dbLevel && typeof target !== 'string') {
    throw commandError(ErrorCodes.FailedToParse, "Invalid command format: the 'aggregate' field must specify a collection name or 1");
  }
  const coll = dbLevel ? '$cmd.aggregate' : (target as string);
  if (!dbLevel) assertValidNamespace(ctx.db, coll);
  const pipeline = optionalArray(cmd, 'aggregate', 'pipeline') as Document[] | undefined;
  if (!pipeline) throw commandError(ErrorCodes.IDLFailedToParse, "BSON field 'aggregate.pipeline' is missing but a required field");
  const explain = cmd.explain !== undefined && cmd.explain !== false;
  if (cmd.cursor === undefined && !explain) {
    throw commandError(ErrorCodes.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  }
  const batchSize = cursorBatchSize(cmd, 'aggregate');
  const ns = `${ctx.db}.${coll}`;
  const first = pipeline.length > 0 ? stageName(pipeline[0]) : undefined;
  if (first === '$changeStream') {
    if (!dbLevel && state.catalog.get(ctx.db, coll)?.kind === 'view') {
      throw commandError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${ns} is a view, not a collection`);
    }
    const cursor = openChangeStream({
      cmd,
      db: ctx.db,
      oplog: state.oplog,
      catalog: catalogReader(state.catalog),
      version: state.version.text,
    });
    return state.cursors.open(cursor, { batchSize, signal: ctx.signal });
  }
  if (pipeline.slice(1).some((stage) => stageName(stage) === '$changeStream')) {
    throw commandError(40602, '$changeStream is only valid as the first stage in a pipeline.');
  }
  const output = outputStage(pipeline, ctx.db);
  if (output && state.transaction) {
    throw new CommandError(263, 'OperationNotSupportedInTransaction', `${output.kind} cannot be used in a transaction`);
  }
  if (output && isPlainDocument(cmd.readConcern) && cmd.readConcern.level === 'linearizable') {
    throw commandError(ErrorCodes.InvalidOptions, `${output.kind} cannot be used with a 'linearizable' read concern level`);
  }
  const stages = output ? pipeline.slice(0, -1) : pipeline;
  validatePipeline(stages);
  const variables = evaluateLet(optionalDocument(cmd, 'aggregate', 'let'));
  const requestedCollation = validateCollation(optionalDocument(cmd, 'aggregate', 'collation'));
  const nsInfo = dbLevel ? undefined : state.catalog.get(ctx.db, coll);
  // the operation's collation, else the collection's (or view's) default; 'simple' overrides it
  const collationSpec = requestedCollation ?? (nsInfo?.options.collation as Document | undefined);
  const collation = collationSpec?.locale === 'simple' ? undefined : collationSpec;
  const resolve = sourceResolver(state, ctx.db);
  let input: Document[];
  let rest: Document[];
  if (dbLevel) {
    ({ docs: input, rest } = databaseLevelInput(state, ctx.db, stages));
  } else if (first === '$collStats') {
    input = [collStatsDocument(state, ctx.db, coll, pipeline[0].$collStats)];
    rest = stages.slice(1);
  } else if (first === '$indexStats') {
    const info = state.catalog.getCollection(ctx.db, coll);
    input = info && !info.virtualOplog ? indexStatsDocuments(state, info) : [];
    rest = stages.slice(1);
  } else if (first === '$sample' && randomCursorApplies(nsInfo, stages[0].$sample)) {
    // the pseudo-random cursor reads only the documents it returns
    const records = nsInfo.store.idIndex.ordered();
    input = sampleFromRandomCursor(records, sampleSize(stages[0].$sample)).map((record) => record.doc);
    rest = stages.slice(1);
  } else {
    const prefix = leadingQueryStages(stages);
    const info = state.catalog.get(ctx.db, coll);
    // the requested spec as given: an explicit 'simple' must override the collection default
    if (info?.kind === 'collection' && !info.virtualOplog) input = collectionInput(info, prefix, cmd.hint, { collation: requestedCollation, variables });
    else input = genericInput(namespaceDocuments(state, ctx.db, coll), prefix, { collation, variables });
    rest = stages.slice(prefix.consumed);
  }
  const docs = runPipeline(input, rest, resolve, variables, collation);
  if (explain) return { explainVersion: '1', stages: pipeline, serverInfo: { host: state.settings.hostAndPort, version: state.version.text } };
  if (output?.kind === '$out') writeOut(state, ctx, output, docs);
  else if (output) await writeMerge(state, ctx, output, docs, collationFor(collation));
  if (output) return state.cursors.open(new ArrayCursor(ns, []), { batchSize, signal: ctx.signal });
  return state.cursors.open(new ArrayCursor(ns, docs), { batchSize, signal: ctx.signal });
}

