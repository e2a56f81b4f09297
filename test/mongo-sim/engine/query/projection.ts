// find-style projections on typed documents: inclusion, exclusion, dotted paths, $slice,
// $elemMatch and positional `field.$`. Projections with aggregation expressions or literals go
// through mingo on the query view and are retyped against the source document.
import { Query } from 'mingo';
import type { Document } from 'bson';
import { isNumeric, isPlainDocument, toNumber, trueValue } from '../bson/values';
import { retypeDoc, toQueryView, toView, toViewDoc } from '../bson/typed-view';
import { commandError } from '../errors';
import { compileFilter, queryError, type ViewPredicate } from './matcher';

type Action =
  | { kind: 'include' }
  | { kind: 'exclude' }
  | { kind: 'slice'; skip: number; limit: number | undefined }
  | { kind: 'elemMatch'; test: ViewPredicate }
  | { kind: 'positional' };

interface Node {
  action?: Action;
  children: Map<string, Node>;
}

export type Projector = (doc: Document) => Document;

function newNode(): Node {
  return { children: new Map() };
}

function parseSlice(v: unknown): Action {
  if (Array.isArray(v) && v.length === 2) {
    const limit = toNumber(v[1]);
    if (limit === undefined || limit <= 0) throw commandError(28724, 'Second argument to $slice must be a positive number');
    return { kind: 'slice', skip: toNumber(v[0]) ?? 0, limit };
  }
  const n = toNumber(v);
  if (n === undefined) throw commandError(28667, 'Invalid $slice syntax. The given syntax did not match the find() syntax because :: Location28724: First argument to $slice must be an array');
  return n >= 0 ? { kind: 'slice', skip: 0, limit: n } : { kind: 'slice', skip: n, limit: undefined };
}

function sliceArray(arr: unknown[], a: Extract<Action, { kind: 'slice' }>): unknown[] {
  if (a.limit === undefined) return arr.slice(Math.max(arr.length + a.skip, 0));
  const start = a.skip < 0 ? Math.max(arr.length + a.skip, 0) : a.skip;
  return arr.slice(start, start + a.limit);
}

const ELEM = 'elem';

/** The first element matching an $elemMatch condition, tested as a one-element array. */
function elementMatch(arr: unknown[], test: ViewPredicate): unknown[] | undefined {
  for (const el of arr) {
    if (test({ [ELEM]: [toView(el)] })) return [el];
  }
  return undefined;
}

function applyLeaf(value: unknown, action: Action): { keep: boolean; value?: unknown } {
  switch (action.kind) {
    case 'include':
      return { keep: true, value };
    case 'exclude':
      return { keep: false };
    case 'slice':
      return { keep: true, value: Array.isArray(value) ? sliceArray(value, action) : value };
    case 'elemMatch': {
      if (!Array.isArray(value)) return { keep: false };
      const m = elementMatch(value, action.test);
      return m ? { keep: true, value: m } : { keep: false };
    }
    case 'positional':
      return { keep: true, value };
  }
}

function includeDoc(doc: Document, node: Node): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) {
    const child = node.children.get(key);
    if (!child) continue;
    const v = doc[key];
    if (child.action) {
      const r = applyLeaf(v, child.action);
      if (r.keep) out[key] = r.value;
      continue;
    }
    if (isPlainDocument(v)) out[key] = includeDoc(v, child);
    else if (Array.isArray(v)) out[key] = includeArray(v, child);
  }
  return out;
}

function includeArray(arr: unknown[], node: Node): unknown[] {
  const out: unknown[] = [];
  for (const el of arr) {
    if (isPlainDocument(el)) out.push(includeDoc(el, node));
    else if (Array.isArray(el)) out.push(includeArray(el, node));
  }
  return out;
}

function excludeDoc(doc: Document, node: Node): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) {
    const child = node.children.get(key);
    const v = doc[key];
    if (!child) {
      out[key] = v;
      continue;
    }
    if (child.action) {
      const r = applyLeaf(v, child.action);
      if (r.keep) out[key] = r.value;
      continue;
    }
    if (isPlainDocument(v)) out[key] = excludeDoc(v, child);
    else if (Array.isArray(v)) out[key] = v.map((el) => (isPlainDocument(el) ? excludeDoc(el, child) : el));
    else out[key] = v;
  }
  return out;
}

function isComputed(v: unknown): boolean {
  if (typeof v === 'boolean' || isNumeric(v)) return false;
  if (isPlainDocument(v)) {
    const keys = Object.keys(v);
    return !(keys.length === 1 && (keys[0] === '$slice' || keys[0] === '$elemMatch' || keys[0] === '$meta'));
  }
  return true;
}

function mingoProjector(spec: Document): Projector {
  const viewSpec = toView(spec) as Record<string, unknown>;
  return (doc) => {
    try {
      const [out] = new Query({}, {}).find([toViewDoc(doc)], viewSpec).all() as Document[];
      return retypeDoc(out, doc, {});
    } catch (e) {
      throw queryError(e);
    }
  };
}

/** Replaces the array at `path` with its first element for which `test(docWithOnlyThatElement)`. */
function positional(doc: Document, path: string[], test: ViewPredicate): Document {
  const arr = path.reduce<unknown>((v, k) => (isPlainDocument(v) ? v[k] : undefined), doc);
  if (!Array.isArray(arr)) return doc;
  const set = (d: Document, i: number, value: unknown): Document => {
    const copy = { ...d };
    copy[path[i]] = i === path.length - 1 ? value : set(d[path[i]] as Document, i + 1, value);
    return copy;
  };
  for (const el of arr) {
    const candidate = set(doc, 0, [el]);
    if (test(toQueryView(candidate))) return candidate;
  }
  throw commandError(51246, 'Executor error during find command :: caused by :: positional operator \'.$\' couldn\'t find a matching element in the array');
}

/**
 * Compiles a find projection; undefined when the projection is empty. `filter` is needed for the
 * positional `$` operator.
 */
export function compileProjection(spec: Document | undefined, filter?: Document): Projector | undefined {
  if (!spec || Object.keys(spec).length === 0) return undefined;
  if (Object.values(spec).some(isComputed)) return mingoProjector(spec);
  const root = newNode();
  let includeId = true;
  let inclusion = false;
  let exclusion = false;
  let firstInclusion = '';
  let firstExclusion = '';
  let positionalPath: string[] | undefined;
  for (const [rawPath, v] of Object.entries(spec)) {
    let path = rawPath;
    let action: Action;
    if (path.endsWith('.$')) {
      path = path.slice(0, -2);
      positionalPath = path.split('.');
      action = { kind: 'positional' };
    } else if (isPlainDocument(v) && '$slice' in v) action = parseSlice(v.$slice);
    else if (isPlainDocument(v) && '$elemMatch' in v) {
      action = { kind: 'elemMatch', test: compileFilter({ [ELEM]: { $elemMatch: v.$elemMatch } }) };
    }
    else if (isPlainDocument(v) && '$meta' in v) continue;
    else action = trueValue(v) ? { kind: 'include' } : { kind: 'exclude' };
    if (path === '_id' && (action.kind === 'include' || action.kind === 'exclude')) {
      includeId = action.kind === 'include';
      continue;
    }
    // $elemMatch and positional projections return only the named fields, like inclusions
    if (action.kind === 'include' || action.kind === 'positional' || action.kind === 'elemMatch') {
      inclusion = true;
      firstInclusion ||= path;
    }
    if (action.kind === 'exclude') {
      exclusion = true;
      firstExclusion ||= path;
    }
    let node = root;
    for (const part of path.split('.')) {
      let child = node.children.get(part);
      if (!child) {
        child = newNode();
        node.children.set(part, child);
      }
      node = child;
    }
    node.action = action;
  }
  if (inclusion && exclusion) {
    throw commandError(31254, `Cannot do exclusion on field ${firstExclusion} in inclusion projection`);
  }
  const positionalTest = positionalPath ? compileFilter(filter ?? {}) : undefined;
  if (inclusion) {
    if (includeId && !root.children.has('_id')) root.children.set('_id', { action: { kind: 'include' }, children: new Map() });
    return (doc) => {
      const source = positionalPath && positionalTest ? positional(doc, positionalPath, positionalTest) : doc;
      return includeDoc(source, root);
    };
  }
  if (!includeId) root.children.set('_id', { action: { kind: 'exclude' }, children: new Map() });
  return (doc) => excludeDoc(doc, root);
}
