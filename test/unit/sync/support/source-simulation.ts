// Random histories of one source document, reported as change events the way mongod reports
// them, for property tests of event translation and batching. Driven by a seeded generator
// (fast-check supplies the seed) because each choice depends on the document so far.
import {
  clone,
  describeUpdate,
  isDoc,
  sameValue,
  sourceSet,
  sourceTruncate,
  sourceUnset,
  valueAt,
  type Component,
  type Doc,
  type Value,
} from './reference-docs';

/** A small deterministic random source (mulberry32). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(): boolean {
    return this.next() < 0.5;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  subarray<T>(items: readonly T[], maxLength: number): T[] {
    const out = items.filter(() => this.bool());
    return out.slice(0, maxLength);
  }
}

type Gen = Rng;

/** Field names include numeric names and a dotted name, the cases paths get wrong. */
export const FIELD_NAMES = ['a', 'b', 'c', '0', '1', 'x.y', 'z'];

export function randomValue(g: Gen, depth = 0): Value {
  const kind = g.int(0, depth >= 2 ? 3 : 5);
  switch (kind) {
    case 0:
      return g.int(0, 5);
    case 1:
      return g.pick(['s', 't']);
    case 2:
      return g.pick([true, null]);
    case 3:
      return g.int(6, 9);
    case 4: {
      const doc: Doc = {};
      for (const field of g.subarray(FIELD_NAMES, 3)) doc[field] = randomValue(g, depth + 1);
      return doc;
    }
    default:
      return Array.from({ length: g.int(0, 4) }, () => randomValue(g, depth + 1));
  }
}

export function randomDocument(g: Gen, id: Value): Doc {
  const doc: Doc = { _id: id };
  for (const field of g.subarray(FIELD_NAMES, 4)) doc[field] = randomValue(g);
  return doc;
}

/** Every path below the root (except _id), with its value. */
function existingPaths(doc: Doc): { path: Component[]; value: Value }[] {
  const out: { path: Component[]; value: Value }[] = [];
  const visit = (value: Value, path: Component[]): void => {
    if (path.length > 0) out.push({ path, value });
    if (isDoc(value)) for (const [field, child] of Object.entries(value)) if (path.length > 0 || field !== '_id') visit(child, [...path, { field }]);
    if (Array.isArray(value)) value.forEach((child, index) => visit(child, [...path, { index }]));
  };
  visit(doc, []);
  return out;
}

function overlaps(a: readonly Component[], b: readonly Component[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  return true;
}

function dotted(path: readonly Component[]): string[] {
  return path.map((c) => ('index' in c ? String(c.index) : c.field));
}

function comparePaths(a: readonly Component[], b: readonly Component[]): number {
  const x = dotted(a);
  const y = dotted(b);
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const numeric = /^\d+$/.test(x[k]) && /^\d+$/.test(y[k]);
    const c = numeric ? Number(x[k]) - Number(y[k]) : x[k] < y[k] ? -1 : x[k] > y[k] ? 1 : 0;
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

type Op = { kind: 'set'; path: Component[]; value: Value } | { kind: 'unset'; path: Component[] } | { kind: 'truncate'; path: Component[]; size: number };

/**
 * A random update, like one operator update: 1-3 changes on non-overlapping paths (a
 * truncation may be combined with sets of the remaining elements), applied in the order
 * MongoDB processes update paths.
 */
export function randomUpdate(g: Gen, before: Doc): Doc {
  const paths = existingPaths(before);
  const containers: { path: Component[]; value: Value }[] = [{ path: [], value: before }, ...paths.filter((p) => isDoc(p.value) || Array.isArray(p.value))];
  const ops: Op[] = [];
  const count = g.int(1, 3);
  for (let attempt = 0; attempt < 8 && ops.length < count; attempt++) {
    const choice = g.int(0, 3);
    let op: Op | null = null;
    if (choice === 0 && paths.length > 0) {
      const target = g.pick(paths);
      op = { kind: 'set', path: target.path, value: randomValue(g, target.path.length) };
    } else if (choice === 1) {
      const parent = g.pick(containers);
      if (Array.isArray(parent.value)) op = { kind: 'set', path: [...parent.path, { index: parent.value.length }], value: randomValue(g, parent.path.length + 1) };
      else if (isDoc(parent.value)) {
        const free = FIELD_NAMES.filter((f) => !(f in (parent.value as Doc)));
        if (free.length > 0) op = { kind: 'set', path: [...parent.path, { field: g.pick(free) }], value: randomValue(g, parent.path.length + 1) };
      }
    } else if (choice === 2) {
      const fields = paths.filter((p) => 'field' in p.path[p.path.length - 1]);
      if (fields.length > 0) op = { kind: 'unset', path: g.pick(fields).path };
    } else {
      const arrays = paths.filter((p) => Array.isArray(p.value) && p.value.length > 0);
      if (arrays.length > 0) {
        const target = g.pick(arrays);
        op = { kind: 'truncate', path: target.path, size: g.int(0, (target.value as Value[]).length - 1) };
      }
    }
    if (!op) continue;
    const candidate = op;
    const compatible = ops.every((other) => {
      if (!overlaps(other.path, candidate.path)) return true;
      // a set of a kept element of a truncated array is what pipeline updates produce
      const [truncation, set] = other.kind === 'truncate' ? [other, candidate] : candidate.kind === 'truncate' ? [candidate, other] : [null, null];
      if (!truncation || !set || set.kind !== 'set' || set.path.length <= truncation.path.length) return false;
      const next = set.path[truncation.path.length];
      return 'index' in next && next.index < truncation.size;
    });
    if (compatible) ops.push(op);
  }
  const after = clone(before);
  const ordered = [...ops.filter((o) => o.kind === 'truncate'), ...ops.filter((o) => o.kind !== 'truncate').sort((x, y) => comparePaths(x.path, y.path))];
  for (const op of ordered) {
    if (op.kind === 'set') sourceSet(after, op.path, op.value);
    else if (op.kind === 'unset') sourceUnset(after, op.path);
    else sourceTruncate(after, op.path, op.size);
  }
  if (valueAt(after, []) === undefined) throw new Error('unreachable');
  return after;
}

export interface SourceEvent {
  event: Record<string, unknown>;
  /** the source document after the event (null when deleted) */
  after: Doc | null;
}

export const NAMESPACE = { db: 'app', coll: 'items' };

/**
 * A history of one document (_id `id`) as change events, starting from `initial` (null =
 * absent). Updates that change nothing produce no event, as on the server.
 */
export function randomHistory(g: Gen, id: Value, initial: Doc | null, length: number): SourceEvent[] {
  const events: SourceEvent[] = [];
  let current = initial;
  const base = () => ({ ns: { ...NAMESPACE }, documentKey: { _id: id } });
  for (let step = 0; step < length; step++) {
    if (current === null) {
      current = randomDocument(g, id);
      events.push({ event: { operationType: 'insert', ...base(), fullDocument: clone(current) }, after: clone(current) });
      continue;
    }
    const kind = g.int(0, 9);
    if (kind === 0) {
      current = null;
      events.push({ event: { operationType: 'delete', ...base() }, after: null });
    } else if (kind === 1) {
      current = randomDocument(g, id);
      events.push({ event: { operationType: 'replace', ...base(), fullDocument: clone(current) }, after: clone(current) });
    } else {
      const next = randomUpdate(g, current);
      if (sameValue(next, current)) continue;
      const updateDescription = describeUpdate(current, next, () => g.bool());
      current = next;
      events.push({ event: { operationType: 'update', ...base(), updateDescription }, after: clone(current) });
    }
  }
  return events;
}
