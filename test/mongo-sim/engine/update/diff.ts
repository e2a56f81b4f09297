// The `$v: 2` update diff logged in oplog update entries, computed from the document before and
// after an update.
//   object diff: { d?: {field: false}, u?: {field: value}, i?: {field: value}, s<field>?: subdiff }
//   array diff:  { a: true, l?: newLength, u<index>?: value, s<index>?: subdiff }
// Applying a diff: deleted fields go, updated fields change in place, sub-diffs apply in place,
// inserted fields are appended (an existing field listed in `i` moves to the end). So once the
// order of the surviving fields in `after` departs from `before`, every remaining field of
// `after` is logged in `i`.
import type { Document } from 'bson';
import { bsonEquals } from '../bson/compare';
import { isPlainDocument } from '../bson/values';

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/**
 * Paths whose value is logged whole when it changed, even if it is a document or array (the
 * server's update driver logs the target of $set, $inc, $pull, ... as one value).
 */
export type OpaquePaths = ReadonlySet<string>;

function valueDiff(pre: unknown, post: unknown, path: string, opaque: OpaquePaths | undefined): Document | undefined {
  if (opaque?.has(path)) return undefined;
  if (isPlainDocument(pre) && isPlainDocument(post)) return objectDiff(pre, post, path, opaque);
  if (Array.isArray(pre) && Array.isArray(post)) return arrayDiff(pre, post, path, opaque);
  return undefined;
}

function objectDiff(pre: Document, post: Document, path: string, opaque: OpaquePaths | undefined): Document | undefined {
  const d: Document = {};
  const u: Document = {};
  const i: Document = {};
  const s: Document = {};
  let changed = false;
  for (const name of Object.keys(pre)) {
    if (!(name in post)) {
      d[name] = false;
      changed = true;
    }
  }
  // fields that survive keep their place while they appear in the same order in `after`
  const surviving = Object.keys(pre).filter((k) => k in post);
  const postKeys = Object.keys(post);
  let k = 0;
  for (; k < surviving.length && k < postKeys.length && surviving[k] === postKeys[k]; k++) {
    const name = postKeys[k];
    if (bsonEquals(pre[name], post[name])) continue;
    changed = true;
    const sub = valueDiff(pre[name], post[name], join(path, name), opaque);
    if (sub) s[`s${name}`] = sub;
    else u[name] = post[name];
  }
  for (let r = k; r < postKeys.length; r++) {
    i[postKeys[r]] = post[postKeys[r]];
    changed = true;
  }
  if (!changed) return undefined;
  const out: Document = {};
  if (Object.keys(d).length > 0) out.d = d;
  if (Object.keys(u).length > 0) out.u = u;
  if (Object.keys(i).length > 0) out.i = i;
  return Object.assign(out, s);
}

function arrayDiff(pre: unknown[], post: unknown[], path: string, opaque: OpaquePaths | undefined): Document | undefined {
  const out: Document = { a: true };
  let changed = false;
  if (post.length < pre.length) {
    out.l = post.length;
    changed = true;
  }
  for (let idx = 0; idx < post.length; idx++) {
    if (idx < pre.length && bsonEquals(pre[idx], post[idx])) continue;
    changed = true;
    const sub = idx < pre.length ? valueDiff(pre[idx], post[idx], join(path, String(idx)), opaque) : undefined;
    if (sub) out[`s${idx}`] = sub;
    else out[`u${idx}`] = post[idx];
  }
  return changed ? out : undefined;
}

/** The diff from `before` to `after`, or undefined when they are identical BSON. */
export function computeUpdateDiff(before: Document, after: Document, opaque?: OpaquePaths): Document | undefined {
  return objectDiff(before, after, '', opaque);
}

/** Applies a diff to a document (the inverse of computeUpdateDiff; used to check it in tests). */
export function applyUpdateDiff(doc: Document, diff: Document): Document {
  const out: Document = {};
  const d = (diff.d ?? {}) as Document;
  const u = (diff.u ?? {}) as Document;
  const i = (diff.i ?? {}) as Document;
  for (const k of Object.keys(doc)) {
    if (k in d || k in i) continue;
    if (k in u) out[k] = u[k];
    else if (`s${k}` in diff) out[k] = applyValueDiff(doc[k], diff[`s${k}`] as Document);
    else out[k] = doc[k];
  }
  for (const k of Object.keys(i)) out[k] = i[k];
  return out;
}

function applyValueDiff(v: unknown, diff: Document): unknown {
  if (diff.a !== true) return applyUpdateDiff(v as Document, diff);
  const arr = [...(v as unknown[])];
  if (typeof diff.l === 'number') arr.length = diff.l;
  for (const key of Object.keys(diff)) {
    if (key === 'a' || key === 'l') continue;
    const idx = Number(key.slice(1));
    if (key[0] === 'u') {
      while (arr.length < idx) arr.push(null);
      arr[idx] = diff[key];
    } else arr[idx] = applyValueDiff(arr[idx], diff[key] as Document);
  }
  return arr;
}
