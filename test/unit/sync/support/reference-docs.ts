// A small reference model of MongoDB documents for property tests: a "server" that mutates
// documents and reports change events the way mongod does (updateDescription from the
// before/after diff), and a "destination" that applies update operator documents with
// MongoDB's semantics ($set/$unset on dotted paths, $push with $each/$slice).
// Values are plain JSON: objects, arrays, strings, integers, booleans, null. Being JS objects,
// documents list integer-like field names first whatever the insertion order (as documents
// decoded by the Node driver do), so field order is only modelled for the other names.

export type Value = null | boolean | number | string | Value[] | Doc;
export interface Doc {
  [field: string]: Value;
}

/** A path component as the source knows it: a field name or an array index. */
export type Component = { field: string } | { index: number };

export class UpdateConflict extends Error {}

export function isDoc(value: unknown): value is Doc {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function clone<T extends Value>(value: T): T {
  return structuredClone(value);
}

/** Order-sensitive equality (field order matters, as in BSON). */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Equality that ignores the order of fields (arrays stay ordered). */
export function sameContent(a: Value | undefined, b: Value | undefined): boolean {
  if (isDoc(a) && isDoc(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameContent(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameContent(v, b[i]));
  return sameValue(a, b);
}

/**
 * Whether b can be reached from a by a field-level diff: the fields both have keep their
 * order, and fields new in b come after them (a diff can only append fields).
 */
function diffable(a: Doc, b: Doc): boolean {
  // JS objects always list integer-like keys first, so only the other keys have an order here
  const ordered = (doc: Doc) => Object.keys(doc).filter((k) => !isNumericName(k));
  const common = ordered(a).filter((k) => k in b);
  const keysOfB = ordered(b);
  return keysOfB.slice(0, common.length).every((k, i) => k === common[i]);
}

function isNumericName(name: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(name);
}

// ---------------------------------------------------------------- destination: update operators

function compareComponents(a: string, b: string): number {
  if (isNumericName(a) && isNumericName(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** MongoDB 5.0+ processes update paths in lexicographic order (numeric names numerically). */
function sortPaths(paths: string[]): string[] {
  return [...paths].sort((x, y) => {
    const a = x.split('.');
    const b = y.split('.');
    for (let k = 0; k < Math.min(a.length, b.length); k++) {
      const c = compareComponents(a[k], b[k]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  });
}

function padTo(array: Value[], length: number): void {
  while (array.length < length) array.push(null);
}

/** Walks to the parent of the last component, creating missing objects as $set does. */
function walkCreating(doc: Doc, parts: string[]): Doc | Value[] {
  let current: Doc | Value[] = doc;
  for (const part of parts.slice(0, -1)) {
    let next: Value | undefined;
    if (Array.isArray(current)) {
      if (!isNumericName(part)) throw new UpdateConflict(`cannot create field '${part}' in an array`);
      const index = Number(part);
      padTo(current, index);
      next = current[index];
      if (next === undefined || next === null) {
        if (next === null && index < current.length) throw new UpdateConflict(`cannot create field in null`);
        next = {};
        current[index] = next;
      }
    } else {
      next = current[part];
      if (next === undefined) {
        next = {};
        current[part] = next;
      }
    }
    if (!isDoc(next) && !Array.isArray(next)) throw new UpdateConflict(`cannot create field '${part}' in a scalar`);
    current = next;
  }
  return current;
}

function setPath(doc: Doc, path: string, value: Value): void {
  const parts = path.split('.');
  const parent = walkCreating(doc, parts);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    if (!isNumericName(last)) throw new UpdateConflict(`cannot create field '${last}' in an array`);
    padTo(parent, Number(last));
    parent[Number(last)] = clone(value);
  } else {
    parent[last] = clone(value);
  }
}

function unsetPath(doc: Doc, path: string): void {
  const parts = path.split('.');
  let current: Value = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(current)) {
      if (!isNumericName(part)) return;
      current = current[Number(part)] ?? null;
    } else if (isDoc(current)) {
      current = current[part] ?? null;
    } else {
      return;
    }
  }
  const last = parts[parts.length - 1];
  if (Array.isArray(current)) {
    if (isNumericName(last) && Number(last) < current.length) current[Number(last)] = null;
  } else if (isDoc(current)) {
    delete current[last];
  }
}

function truncatePath(doc: Doc, path: string, size: number): void {
  const parts = path.split('.');
  const parent = walkCreating(doc, parts);
  const last = parts[parts.length - 1];
  const get = (): Value | undefined => (Array.isArray(parent) ? parent[Number(last)] : parent[last]);
  if (Array.isArray(parent) && !isNumericName(last)) throw new UpdateConflict('cannot create field in an array');
  const current = get();
  if (current === undefined) {
    if (Array.isArray(parent)) {
      padTo(parent, Number(last));
      parent[Number(last)] = [];
    } else parent[last] = [];
    return;
  }
  if (!Array.isArray(current)) throw new UpdateConflict(`the field '${path}' must be an array`);
  current.length = Math.min(current.length, size);
}

/** Applies an update operator document ($set, $unset, $push {$each: [], $slice}) atomically. */
export function applyOperatorUpdate(doc: Doc, update: Record<string, unknown>): Doc {
  const result = clone(doc);
  for (const key of Object.keys(update)) {
    if (!['$set', '$unset', '$push'].includes(key)) throw new Error(`reference applier does not know ${key}`);
  }
  const set = (update.$set ?? {}) as Record<string, Value>;
  const unset = (update.$unset ?? {}) as Record<string, unknown>;
  const push = (update.$push ?? {}) as Record<string, { $each: unknown[]; $slice: number }>;
  const all = [...Object.keys(set), ...Object.keys(unset), ...Object.keys(push)];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = [all[i], all[j]];
      if (a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`)) throw new Error(`conflicting update paths ${a} and ${b}`);
    }
  }
  for (const path of sortPaths(all)) {
    if (path in set) setPath(result, path, set[path]);
    else if (path in unset) unsetPath(result, path);
    else {
      const spec = push[path];
      if (spec.$each.length !== 0) throw new Error('reference applier only truncates');
      truncatePath(result, path, spec.$slice);
    }
  }
  return result;
}

// ---------------------------------------------------------------- source: mutation and diff

function get(value: Value | undefined, component: Component): Value | undefined {
  if ('index' in component) return Array.isArray(value) ? value[component.index] : undefined;
  return isDoc(value) ? value[component.field] : undefined;
}

export function valueAt(doc: Doc, path: readonly Component[]): Value | undefined {
  let current: Value | undefined = doc;
  for (const component of path) current = get(current, component);
  return current;
}

/** Sets `value` at `path`, whose parent must exist; appends new fields and array slots. */
export function sourceSet(doc: Doc, path: readonly Component[], value: Value): void {
  const parent = valueAt(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if ('index' in last) {
    if (!Array.isArray(parent) || last.index > parent.length) throw new Error('bad generated set');
    parent[last.index] = clone(value);
  } else {
    if (!isDoc(parent)) throw new Error('bad generated set');
    parent[last.field] = clone(value);
  }
}

export function sourceUnset(doc: Doc, path: readonly Component[]): void {
  const parent = valueAt(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!('field' in last) || !isDoc(parent)) throw new Error('bad generated unset');
  delete parent[last.field];
}

export function sourceTruncate(doc: Doc, path: readonly Component[], size: number): void {
  const array = valueAt(doc, path);
  if (!Array.isArray(array)) throw new Error('bad generated truncate');
  array.length = size;
}

export interface UpdateDescription {
  updatedFields: Record<string, Value>;
  removedFields: string[];
  truncatedArrays: { field: string; newSize: number }[];
  disambiguatedPaths?: Record<string, (string | number)[]>;
}

/**
 * The updateDescription mongod would report for before -> after. `chooseWhole()` decides, for
 * a changed sub-document or array, whether it is reported whole or as a nested diff (a server
 * detail either way). A sub-document whose common fields changed order is always reported
 * whole when a diff cannot express its new field order. The top level must be diffable.
 */
export function describeUpdate(before: Doc, after: Doc, chooseWhole: () => boolean): UpdateDescription {
  const out: UpdateDescription = { updatedFields: {}, removedFields: [], truncatedArrays: [] };
  const disambiguated: Record<string, (string | number)[]> = {};
  const key = (path: Component[]): string => path.map((c) => ('index' in c ? String(c.index) : c.field)).join('.');
  const note = (path: Component[]): string => {
    const ambiguous = path.some((c, k) => 'field' in c && ((k > 0 && isNumericName(c.field)) || c.field.includes('.')));
    const dotted = key(path);
    if (ambiguous) disambiguated[dotted] = path.map((c) => ('index' in c ? c.index : c.field));
    return dotted;
  };

  const diffDoc = (a: Doc, b: Doc, prefix: Component[]): void => {
    for (const field of Object.keys(a)) if (!(field in b)) out.removedFields.push(note([...prefix, { field }]));
    for (const [field, value] of Object.entries(b)) {
      const path = [...prefix, { field }];
      if (!(field in a)) out.updatedFields[note(path)] = clone(value);
      else diffValue(a[field], value, path);
    }
  };
  const diffArray = (a: Value[], b: Value[], prefix: Component[]): void => {
    if (b.length < a.length) out.truncatedArrays.push({ field: note(prefix), newSize: b.length });
    b.forEach((value, index) => {
      const path = [...prefix, { index }];
      if (index >= a.length) out.updatedFields[note(path)] = clone(value);
      else diffValue(a[index], value, path);
    });
  };
  const diffValue = (a: Value, b: Value, path: Component[]): void => {
    if (sameValue(a, b)) return;
    if (isDoc(a) && isDoc(b) && diffable(a, b) && !chooseWhole()) diffDoc(a, b, path);
    else if (Array.isArray(a) && Array.isArray(b) && !chooseWhole()) diffArray(a, b, path);
    else out.updatedFields[note(path)] = clone(b);
  };

  if (!diffable(before, after)) throw new Error('describeUpdate: the top level changed field order');
  diffDoc(before, after, []);
  // as 6.1+ servers report it with showExpandedEvents: always, `{}` when nothing is ambiguous
  out.disambiguatedPaths = disambiguated;
  return out;
}
