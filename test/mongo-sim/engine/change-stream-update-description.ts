// updateDescription of an update event, computed from the `$v: 2` diff of its oplog entry
// (change events, diff format in internal.ts).
//
// Traversal order follows the server's diff parser: at each object level first the changed (`u`)
// and added (`i`) fields, then the removed (`d`) ones, then the sub-diffs (`s<field>`) in the
// order they appear; in an array diff first the truncation (`l`), then `u<index>`/`s<index>` in
// order.
import type { Document } from 'bson';
import { isPlainDocument } from './bson/values';

export interface UpdateDescription {
  updatedFields: Document;
  removedFields: string[];
  truncatedArrays: { field: string; newSize: number }[];
  /** every ambiguous path (numeric field names, field names with dots), as its components */
  disambiguatedPaths: Document;
}

interface PathPart {
  name: string;
  isArrayIndex: boolean;
  /** whether the path up to and including this part is ambiguous */
  ambiguous: boolean;
}

/** A valid array index as the server reads one (FieldRef::isNumericPathComponentStrict). */
function isNumericComponent(name: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(name);
}

class DescriptionBuilder {
  private readonly path: PathPart[] = [];
  readonly result: UpdateDescription = { updatedFields: {}, removedFields: [], truncatedArrays: [], disambiguatedPaths: {} };

  push(name: string, isArrayIndex: boolean): void {
    const parentAmbiguous = this.path.length > 0 && this.path[this.path.length - 1].ambiguous;
    // a numeric field name is not ambiguous at the start of a path, where no array can precede it
    const numeric = !isArrayIndex && this.path.length > 0 && isNumericComponent(name);
    const dotted = !isArrayIndex && !numeric && name.includes('.');
    this.path.push({ name, isArrayIndex, ambiguous: parentAmbiguous || numeric || dotted });
  }

  pop(): void {
    this.path.pop();
  }

  private dotted(): string {
    return this.path.map((p) => p.name).join('.');
  }

  private noteIfAmbiguous(): void {
    const last = this.path[this.path.length - 1];
    if (!last?.ambiguous) return;
    this.result.disambiguatedPaths[this.dotted()] = this.path.map((p) => (p.isArrayIndex ? Number(p.name) : p.name));
  }

  updated(name: string, isArrayIndex: boolean, value: unknown): void {
    this.push(name, isArrayIndex);
    this.result.updatedFields[this.dotted()] = value;
    this.noteIfAmbiguous();
    this.pop();
  }

  removed(name: string): void {
    this.push(name, false);
    this.result.removedFields.push(this.dotted());
    this.noteIfAmbiguous();
    this.pop();
  }

  truncated(newSize: number): void {
    this.result.truncatedArrays.push({ field: this.dotted(), newSize });
    this.noteIfAmbiguous();
  }
}

function isArrayDiff(diff: Document): boolean {
  return diff.a === true;
}

function walkObjectDiff(diff: Document, b: DescriptionBuilder): void {
  for (const section of ['u', 'i']) {
    const fields: unknown = diff[section];
    if (isPlainDocument(fields)) for (const name of Object.keys(fields)) b.updated(name, false, fields[name]);
  }
  const removed: unknown = diff.d;
  if (isPlainDocument(removed)) for (const name of Object.keys(removed)) b.removed(name);
  for (const key of Object.keys(diff)) {
    if (!key.startsWith('s') || !isPlainDocument(diff[key])) continue;
    b.push(key.slice(1), false);
    walkDiff(diff[key] as Document, b);
    b.pop();
  }
}

function walkArrayDiff(diff: Document, b: DescriptionBuilder): void {
  if (diff.l !== undefined) b.truncated(Number(diff.l));
  for (const key of Object.keys(diff)) {
    const index = key.slice(1);
    if (!isNumericComponent(index)) continue;
    if (key.startsWith('u')) b.updated(index, true, diff[key]);
    else if (key.startsWith('s') && isPlainDocument(diff[key])) {
      b.push(index, true);
      walkDiff(diff[key] as Document, b);
      b.pop();
    }
  }
}

function walkDiff(diff: Document, b: DescriptionBuilder): void {
  if (isArrayDiff(diff)) walkArrayDiff(diff, b);
  else walkObjectDiff(diff, b);
}

export function updateDescriptionFromDiff(diff: Document): UpdateDescription {
  const builder = new DescriptionBuilder();
  walkObjectDiff(diff, builder);
  return builder.result;
}
