// Operator updates ($set, $inc, $push, ...): parse and check the spec like the server, expand
// positional paths, compute typed results for arithmetic/comparison operators, let mingo's
// updater do the structural work on the query view, then retype the result.
import * as mingoUpdateOperators from 'mingo/operators/update';
import { type Timestamp, type Document } from 'bson';
import { bsonTypeName, isNumeric, isPlainDocument, toNumber } from '../bson/values';
import { bsonEquals, compareValues } from '../bson/compare';
import { collectTypedValues, retypeDoc, toView, toViewDoc } from '../bson/typed-view';
import { formatElement, formatValue } from '../bson/format';
import { commandError, ErrorCodes } from '../errors';
import { isIntegral, overflowsInt64, typedBit, typedInc, typedMul } from './arith';
import { assertNoConflicts, comparePaths, filterIdentifier, findBlocker, getAtPath, splitUpdatePath } from './paths';
import { expandPath, parseArrayFilters, positionalMatcher } from './positional';

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$setOnInsert',
  '$currentDate',
  '$push',
  '$addToSet',
  '$pop',
  '$pull',
  '$pullAll',
  '$bit',
]);

/** Operators whose target is logged whole in the oplog diff when it changes. */
const LOGGED_WHOLE = new Set(['$set', '$setOnInsert', '$inc', '$mul', '$min', '$max', '$currentDate', '$bit', '$pull', '$pullAll', '$pop', '$addToSet']);

/** Operators that create missing intermediate documents (and so fail on non-containers). */
const CREATING = new Set(['$set', '$setOnInsert', '$inc', '$mul', '$min', '$max', '$currentDate', '$bit', '$push', '$addToSet']);

export interface OperatorUpdateOptions {
  /** the update inserts a new document (upsert): $setOnInsert applies */
  inserting: boolean;
  arrayFilters?: unknown[];
  /** the statement's query, for the positional `$` operator */
  query?: Document;
  now: () => Date;
  /** a fresh cluster-time tick, for $currentDate {$type: 'timestamp'} */
  tick: () => Timestamp;
}

export interface UpdateResult {
  after: Document;
  changed: boolean;
  /** concrete paths to log whole in the oplog diff */
  opaque: Set<string>;
}

/** Is this update document an operator update (its first field starts with `$`)? */
export function isOperatorUpdate(u: Document): boolean {
  const first = Object.keys(u)[0];
  return first !== undefined && first.startsWith('$');
}

interface Entry {
  op: string;
  /** the path as written (may hold positional segments) */
  path: string;
  operand: unknown;
  /** $rename: the target path */
  to?: string;
}

function parseSpec(spec: Document): Entry[] {
  const entries: Entry[] = [];
  for (const [op, args] of Object.entries(spec)) {
    if (!OPERATORS.has(op)) {
      throw commandError(
        ErrorCodes.FailedToParse,
        `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isPlainDocument(args)) {
      throw commandError(
        ErrorCodes.FailedToParse,
        `Modifiers operate on fields but we found type ${bsonTypeName(args)} instead. For example: {$mod: {<field>: ...}} not {${formatElement(op, args)}}`,
      );
    }
    for (const [path, operand] of Object.entries(args)) {
      splitUpdatePath(path);
      if (op === '$rename') {
        if (typeof operand !== 'string') {
          throw commandError(ErrorCodes.BadValue, `The 'to' field for $rename must be a string: ${formatElement(path, operand)}`);
        }
        if (operand === path) {
          throw commandError(ErrorCodes.BadValue, `The source and target field for $rename must differ: ${formatElement(path, operand)}`);
        }
        splitUpdatePath(operand);
        if (/(^|\.)\$/.test(path) || /(^|\.)\$/.test(operand)) {
          throw commandError(ErrorCodes.BadValue, 'The source field for $rename may not be dynamic: ' + path);
        }
        entries.push({ op, path, operand, to: operand });
      } else {
        entries.push({ op, path, operand });
      }
    }
  }
  assertNoConflicts(entries.flatMap((e) => (e.to ? [e.path, e.to] : [e.path])));
  return entries;
}

function idText(doc: Document): string {
  return doc._id === undefined ? 'no id' : formatElement('_id', doc._id);
}

function checkNumericOperand(op: string, path: string, operand: unknown): void {
  if (isNumeric(operand)) return;
  const verb = op === '$inc' ? 'increment' : 'multiply';
  throw commandError(ErrorCodes.TypeMismatch, `Cannot ${verb} with non-numeric argument: {${formatElement(path, operand)}}`);
}

/** One concrete modification, ready to apply. */
interface Mod {
  op: string;
  path: string;
  /** view operand for mingo */
  operand: unknown;
  /** typed value the path ends up holding, when the engine computed it */
  typed?: unknown;
  from?: string;
}

function currentDateValue(operand: unknown, opts: OperatorUpdateOptions, path: string): unknown {
  if (operand === true || (isNumeric(operand) && toNumber(operand) !== 0)) return opts.now();
  if (isPlainDocument(operand) && (operand.$type === 'date' || operand.$type === 'timestamp')) {
    return operand.$type === 'date' ? opts.now() : opts.tick();
  }
  throw commandError(
    ErrorCodes.BadValue,
    `${formatElement(path, operand)} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
  );
}

function concreteMods(before: Document, entry: Entry, paths: string[], opts: OperatorUpdateOptions): Mod[] {
  const mods: Mod[] = [];
  for (const path of paths) {
    const segs = path.split('.');
    const current = getAtPath(before, segs);
    if (CREATING.has(entry.op)) {
      const blocker = findBlocker(before, segs);
      if (blocker) {
        throw commandError(ErrorCodes.PathNotViable, `Cannot create field '${blocker.next}' in element {${formatElement(blocker.name, blocker.value)}}`);
      }
    }
    switch (entry.op) {
      case '$set':
      case '$setOnInsert':
        mods.push({ op: '$set', path, operand: toView(entry.operand), typed: entry.operand });
        break;
      case '$currentDate': {
        const v = currentDateValue(entry.operand, opts, path);
        mods.push({ op: '$set', path, operand: toView(v), typed: v });
        break;
      }
      case '$inc':
      case '$mul': {
        checkNumericOperand(entry.op, path, entry.operand);
        if (current !== undefined && !isNumeric(current)) {
          throw commandError(
            ErrorCodes.TypeMismatch,
            `Cannot apply ${entry.op} to a value of non-numeric type. {${idText(before)}} has the field '${segs[segs.length - 1]}' of non-numeric type ${bsonTypeName(current)}`,
          );
        }
        if (current !== undefined && overflowsInt64(current, entry.operand, entry.op === '$inc' ? 'add' : 'mul')) {
          throw commandError(
            ErrorCodes.BadValue,
            `Failed to apply ${entry.op} operations to current value (${formatValue(current)}) for document {${idText(before)}}`,
          );
        }
        const v = entry.op === '$inc' ? typedInc(current, entry.operand) : typedMul(current, entry.operand);
        mods.push({ op: '$set', path, operand: toView(v), typed: v });
        break;
      }
      case '$min':
      case '$max': {
        const c = current === undefined ? undefined : compareValues(entry.operand, current);
        const replace = c === undefined || (entry.op === '$min' ? c < 0 : c > 0);
        if (replace) mods.push({ op: '$set', path, operand: toView(entry.operand), typed: entry.operand });
        break;
      }
      case '$bit': {
        if (!isPlainDocument(entry.operand)) {
          throw commandError(ErrorCodes.BadValue, `The $bit modifier is not compatible with a ${bsonTypeName(entry.operand)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`);
        }
        const ops = Object.entries(entry.operand).map(([op, operand]) => {
          if (op !== 'and' && op !== 'or' && op !== 'xor') {
            throw commandError(ErrorCodes.BadValue, `The $bit modifier only supports 'and', 'or', and 'xor', not '${op}' which is an unknown operator: {${formatElement(op, operand)}}`);
          }
          if (!isIntegral(operand)) {
            throw commandError(ErrorCodes.BadValue, `The $bit modifier field must be an Integer(32/64 bit); a '${bsonTypeName(operand)}' is not supported here: {${formatElement(op, operand)}}`);
          }
          return { op: op as 'and' | 'or' | 'xor', operand };
        });
        if (current !== undefined && !isIntegral(current)) {
          throw commandError(
            ErrorCodes.BadValue,
            `Cannot apply $bit to a value of non-integral type.{${idText(before)}} has the field ${segs[segs.length - 1]} of non-integer type ${bsonTypeName(current)}`,
          );
        }
        const v = typedBit(current, ops);
        mods.push({ op: '$set', path, operand: toView(v), typed: v });
        break;
      }
      case '$push':
      case '$addToSet':
        if (current !== undefined && !Array.isArray(current)) {
          throw commandError(
            ErrorCodes.BadValue,
            `The field '${segs[segs.length - 1]}' must be an array but is of type ${bsonTypeName(current)} in document {${idText(before)}}`,
          );
        }
        if (entry.op === '$addToSet') {
          // BSON equality: numbers compare by value, documents by fields in order
          const values = isPlainDocument(entry.operand) && '$each' in entry.operand ? (entry.operand.$each as unknown[]) : [entry.operand];
          if (!Array.isArray(values)) throw commandError(ErrorCodes.TypeMismatch, `The argument to $each in $addToSet must be an array but it was of type ${bsonTypeName(values)}`);
          const next = [...((current as unknown[] | undefined) ?? [])];
          for (const v of values) if (!next.some((x) => compareValues(x, v) === 0)) next.push(v);
          mods.push({ op: '$set', path, operand: toView(next), typed: next });
        } else {
          mods.push({ op: entry.op, path, operand: toView(entry.operand) });
        }
        break;
      case '$pop': {
        const n = toNumber(entry.operand);
        if (n !== 1 && n !== -1) throw commandError(ErrorCodes.FailedToParse, `$pop expects 1 or -1, found: ${formatValue(entry.operand)}`);
        if (current === undefined) break;
        if (!Array.isArray(current)) {
          throw commandError(ErrorCodes.TypeMismatch, `Path '${path}' contains an element of non-array type '${bsonTypeName(current)}'`);
        }
        mods.push({ op: '$pop', path, operand: n });
        break;
      }
      case '$pull':
      case '$pullAll': {
        if (entry.op === '$pullAll' && !Array.isArray(entry.operand)) {
          throw commandError(ErrorCodes.BadValue, `$pullAll requires an array argument but was given a ${bsonTypeName(entry.operand)}`);
        }
        if (current === undefined) break;
        if (!Array.isArray(current)) throw commandError(ErrorCodes.BadValue, `Cannot apply ${entry.op} to a non-array value`);
        if (entry.op === '$pullAll') {
          const remove = entry.operand as unknown[];
          const next = current.filter((x) => !remove.some((r) => compareValues(x, r) === 0));
          if (next.length !== current.length) mods.push({ op: '$set', path, operand: toView(next), typed: next });
        } else {
          mods.push({ op: entry.op, path, operand: toView(entry.operand) });
        }
        break;
      }
      case '$unset':
        if (current !== undefined) mods.push({ op: '$unset', path, operand: '' });
        break;
      case '$rename': {
        if (current === undefined) break;
        const target = entry.to as string;
        const blocker = findBlocker(before, target.split('.'));
        if (blocker) {
          throw commandError(ErrorCodes.PathNotViable, `Cannot create field '${blocker.next}' in element {${formatElement(blocker.name, blocker.value)}}`);
        }
        mods.push({ op: '$rename', path: target, operand: target, typed: current, from: path });
        break;
      }
    }
  }
  return mods;
}

/** Parse-time checks: every $[id] has a filter, and every filter is used by some path. */
function assertArrayFiltersMatchPaths(entries: Entry[], byId: Map<string, unknown>, spec: Document): void {
  const used = new Set<string>();
  for (const e of entries) {
    for (const seg of e.path.split('.')) {
      const id = filterIdentifier(seg);
      if (id === undefined) continue;
      if (!byId.has(id)) throw commandError(ErrorCodes.BadValue, `No array filter found for identifier '${id}' in path '${e.path}'`);
      used.add(id);
    }
  }
  for (const id of byId.keys()) {
    if (!used.has(id)) {
      throw commandError(ErrorCodes.FailedToParse, `The array filter for identifier '${id}' was not used in the update ${formatValue(spec)}`);
    }
  }
}

/** mingo's updater errors as the server's. */
function updaterError(e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (/immutable field '_id'/.test(msg)) {
    return commandError(ErrorCodes.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return commandError(ErrorCodes.BadValue, msg);
}

type MingoUpdateOperator = (expr: Document) => (doc: Document) => unknown;

/**
 * Applies one concrete modification with mingo's update operator. This is what mingo's
 * `update()` does for a one-operator modifier without a query, minus its set-up: `update()`
 * builds a fresh operator context on every call (copying mingo's whole query and expression
 * operator tables), which cost more than the update itself. The operator's default options are
 * the ones `update()` uses (query, boolean and comparison operators, values copied), and every
 * path here is concrete, so no array filter or positional query is needed.
 */
function applyMingoOperator(view: Document, m: Mod): void {
  const operator = (mingoUpdateOperators as unknown as Record<string, MingoUpdateOperator | undefined>)[m.op];
  if (!operator) throw new Error(`Unknown update operator: '${m.op}'.`);
  operator(m.op === '$rename' ? { [m.from as string]: m.path } : { [m.path]: m.operand })(view);
}

function isPushWithModifiers(operand: unknown): boolean {
  return isPlainDocument(operand) && ('$sort' in operand || '$slice' in operand || '$position' in operand);
}

/** Applies an operator update to a typed document, returning the new typed document. */
export function applyOperatorUpdate(before: Document, spec: Document, opts: OperatorUpdateOptions): UpdateResult {
  const entries = parseSpec(spec);
  const filters = parseArrayFilters(opts.arrayFilters);
  assertArrayFiltersMatchPaths(entries, filters.byId, spec);
  const matchPositional = positionalMatcher(before, opts.query);
  const mods: Mod[] = [];
  const opaque = new Set<string>();
  for (const entry of entries) {
    if (entry.op === '$setOnInsert' && !opts.inserting) continue;
    const paths = expandPath(before, entry.path.split('.'), filters, matchPositional);
    const produced = concreteMods(before, entry, paths, opts);
    for (const m of produced) {
      if (LOGGED_WHOLE.has(entry.op) || (entry.op === '$push' && isPushWithModifiers(entry.operand))) opaque.add(m.path);
    }
    mods.push(...produced);
  }
  // new fields appear in path order, as the server's update tree applies them
  mods.sort((a, b) => comparePaths(a.path, b.path));
  const view = toViewDoc(before);
  const byPath = new Map<string, unknown>();
  for (const m of mods) {
    try {
      applyMingoOperator(view, m);
    } catch (e) {
      throw updaterError(e);
    }
    if (m.typed !== undefined) byPath.set(m.path, m.typed);
  }
  const after = retypeDoc(view, before, { byPath, pool: collectTypedValues(spec) });
  const idMayBeSet = opts.inserting && before._id === undefined;
  if (!idMayBeSet && !bsonEquals(before._id, after._id)) {
    throw commandError(ErrorCodes.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return { after, changed: !bsonEquals(before, after), opaque };
}
