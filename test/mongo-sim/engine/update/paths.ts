// Update paths: parsing, positional segments, conflicts, and reading typed documents by path.
import type { Document } from 'bson';
import { isPlainDocument } from '../bson/values';
import { commandError, ErrorCodes } from '../errors';

export type Segment = string;

const FILTERED = /^\$\[([a-z][a-zA-Z0-9]*)?\]$/;

export function isPositional(seg: Segment): boolean {
  return seg === '$' || seg === '$[]' || FILTERED.test(seg);
}

/** The identifier of a `$[id]` segment, or undefined. */
export function filterIdentifier(seg: Segment): string | undefined {
  const m = FILTERED.exec(seg);
  return m && m[1] !== undefined ? m[1] : undefined;
}

export function splitUpdatePath(path: string): Segment[] {
  if (path === '') throw commandError(56, "An empty update path is not valid.");
  const segs = path.split('.');
  if (segs.some((s) => s === '')) {
    throw commandError(56, `The update path '${path}' contains an empty field name, which is not allowed.`);
  }
  return segs;
}

/** Is one path a prefix of (or equal to) the other, segment by segment? */
export function pathsOverlap(a: Segment[], b: Segment[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws 40 when two update paths overlap (e.g. 'a' and 'a.b'). */
export function assertNoConflicts(paths: string[]): void {
  const split = paths.map((p) => p.split('.'));
  for (let i = 0; i < split.length; i++) {
    for (let j = 0; j < i; j++) {
      if (pathsOverlap(split[i], split[j])) {
        const [longer, shorter] = split[i].length >= split[j].length ? [paths[i], paths[j]] : [paths[j], paths[i]];
        throw commandError(
          ErrorCodes.ConflictingUpdateOperators,
          `Updating the path '${longer}' would create a conflict at '${shorter}'`,
        );
      }
    }
  }
}

/** The value at a concrete path (numeric segments index arrays); undefined when missing. */
export function getAtPath(doc: unknown, segs: Segment[]): unknown {
  let v: unknown = doc;
  for (const s of segs) {
    if (Array.isArray(v)) {
      if (!/^\d+$/.test(s)) return undefined;
      v = v[Number(s)];
    } else if (isPlainDocument(v)) {
      v = v[s];
    } else return undefined;
  }
  return v;
}

/**
 * Where a path stops being traversable: the deepest existing non-container on the way, if any.
 * `blocker` is the element that cannot hold the next segment (e.g. {a: 1} for path 'a.b').
 */
export function findBlocker(doc: Document, segs: Segment[]): { name: string; value: unknown; next: string } | undefined {
  let v: unknown = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i];
    let next: unknown;
    if (Array.isArray(v)) next = /^\d+$/.test(s) ? v[Number(s)] : undefined;
    else if (isPlainDocument(v)) next = v[s];
    if (next === undefined) return undefined;
    const following = segs[i + 1];
    if (Array.isArray(next)) {
      if (!/^\d+$/.test(following)) return { name: s, value: next, next: following };
    } else if (!isPlainDocument(next)) {
      return { name: s, value: next, next: following };
    }
    v = next;
  }
  return undefined;
}

/** Orders paths as the server applies update modifications: by field name, numeric-aware. */
export function comparePaths(a: string, b: string): number {
  const sa = a.split('.');
  const sb = b.split('.');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] === sb[i]) continue;
    const na = /^\d+$/.test(sa[i]);
    const nb = /^\d+$/.test(sb[i]);
    if (na && nb) return Number(sa[i]) - Number(sb[i]);
    return sa[i] < sb[i] ? -1 : 1;
  }
  return sa.length - sb.length;
}
