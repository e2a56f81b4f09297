// find: over collections, views (through their pipeline) and local.oplog.rs.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import { ArrayCursor } from '../cursors';
import { compileProjection } from '../query/projection';
import { planRecords, resolveHint, skipLimit } from '../query/execute';
import { planIdPredicate } from '../query/id-plan';
import { EMPTY_ARRAY_KEY, indexValues } from '../storage/index-keys';
import type { CollectionInfo } from '../catalog/catalog';
import type { Projector } from '../query/projection';
import { RecordCursor } from '../query/record-cursor';
import type { ServerCursor } from '../internal';
import { parseSort } from '../query/sort';
import { validateCollation } from '../bson/collation';
import { evaluateLet } from '../query/pipeline';
import { commandError, ErrorCodes } from '../errors';
import { assertValidNamespace } from '../catalog/names';
import { collectionName, optionalBool, optionalDocument, optionalNumber } from './args';
import { findOnDocuments, findOnView, viewCatalogDocuments } from './views';
import { findOnOplog } from './oplog-read';

export interface ParsedFind {
  filter?: Document;
  projection?: Document;
  sort?: Document;
  skip?: number;
  limit?: number;
  batchSize?: number;
  singleBatch: boolean;
  hint?: unknown;
  min?: Document;
  max?: Document;
  collation?: Document;
  variables?: Document;
  returnKey: boolean;
}

export function parseFind(cmd: Document): ParsedFind {
  const skip = optionalNumber(cmd, 'find', 'skip');
  if (skip !== undefined && skip < 0) throw commandError(ErrorCodes.BadValue, `Skip value must be non-negative, but received: ${skip}`);
  const limit = optionalNumber(cmd, 'find', 'limit');
  const batchSize = optionalNumber(cmd, 'find', 'batchSize');
  if (batchSize !== undefined && batchSize < 0) {
    throw commandError(ErrorCodes.BadValue, `BatchSize value must be non-negative, but received: ${batchSize}`);
  }
  let singleBatch = optionalBool(cmd, 'find', 'singleBatch') ?? false;
  let effectiveLimit = limit;
  let effectiveBatch = batchSize;
  if (limit !== undefined && limit < 0) {
    // legacy negative limit: one batch of |limit| documents
    singleBatch = true;
    effectiveLimit = -limit;
    effectiveBatch = -limit;
  }
  return {
    filter: optionalDocument(cmd, 'find', 'filter'),
    projection: optionalDocument(cmd, 'find', 'projection'),
    sort: optionalDocument(cmd, 'find', 'sort'),
    skip,
    limit: effectiveLimit === 0 ? undefined : effectiveLimit,
    batchSize: effectiveBatch,
    singleBatch,
    hint: cmd.hint,
    min: optionalDocument(cmd, 'find', 'min'),
    max: optionalDocument(cmd, 'find', 'max'),
    collation: validateCollation(optionalDocument(cmd, 'find', 'collation')),
    variables: evaluateLet(optionalDocument(cmd, 'find', 'let')),
    returnKey: optionalBool(cmd, 'find', 'returnKey') ?? false,
  };
}

/**
 * returnKey: each result becomes the key of the index that answered the query ({} after a
 * collection scan). The simulator's plans use the _id index for _id conditions and _id sorts,
 * and a hinted index otherwise.
 */
function indexKeyProjector(info: CollectionInfo, p: ParsedFind): Projector {
  const hinted = resolveHint(info, p.hint);
  const sort = parseSort(p.sort);
  let pattern: Document | undefined;
  if (hinted !== undefined) pattern = '$natural' in hinted ? undefined : hinted;
  else if ((sort.length === 1 && sort[0].path === '_id') || planIdPredicate(p.filter)) pattern = { _id: 1 };
  const fields = pattern ? Object.keys(pattern) : [];
  return (doc) => {
    const out: Document = {};
    for (const f of fields) {
      const [v] = indexValues(doc, f).values;
      out[f] = v === EMPTY_ARRAY_KEY ? undefined : v;
    }
    return out;
  };
}

/** The first batch size: limit caps it, the server default is 101. */
function firstBatchSize(p: ParsedFind): number | undefined {
  if (p.batchSize !== undefined && p.limit !== undefined) return Math.min(p.batchSize, p.limit);
  return p.batchSize ?? (p.limit !== undefined ? Math.min(p.limit, 101) : undefined);
}

export async function findCommand(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  const coll = collectionName(cmd, 'find');
  assertValidNamespace(ctx.db, coll);
  const p = parseFind(cmd);
  const ns = `${ctx.db}.${coll}`;
  const info = state.catalog.get(ctx.db, coll);
  let docs: Document[];
  const open = (cursor: ServerCursor): Promise<Document> =>
    state.cursors.open(cursor, { batchSize: firstBatchSize(p), singleBatch: p.singleBatch, signal: ctx.signal });
  if (info?.kind === 'view') {
    docs = findOnView(state, info, p);
  } else if (info?.virtualOplog) {
    docs = findOnOplog(state, p);
  } else if (!info) {
    docs = coll === 'system.views' ? findOnDocuments(viewCatalogDocuments(state, ctx.db), p) : [];
  } else {
    const plan = planRecords(info, {
      filter: p.filter,
      sort: parseSort(p.sort),
      hint: p.hint,
      min: p.min,
      max: p.max,
      collation: p.collation,
      variables: p.variables,
    });
    const project = p.returnKey ? indexKeyProjector(info, p) : compileProjection(p.projection, p.filter);
    if (!plan.blockingSort) {
      return open(new RecordCursor(ns, plan.records, plan.test, project, p.skip ?? 0, p.limit));
    }
    const page = skipLimit(plan.records, p.skip, p.limit);
    docs = project ? page.map((r) => project(r.doc)) : page.map((r) => r.doc);
  }
  return open(new ArrayCursor(ns, docs));
}
