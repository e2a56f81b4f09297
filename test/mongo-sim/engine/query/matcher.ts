// Compiles query filters into predicates over query views, with mingo doing the matching.
import { Query } from 'mingo/query';
import type { Document } from 'bson';
import { toView } from '../bson/typed-view';
import { isPlainDocument } from '../bson/values';
import { commandError, ErrorCodes } from '../errors';
import { validateJsonSchema } from './json-schema';
import { SIM_CONTEXT } from './comparison';

export type ViewPredicate = (view: Document) => boolean;

const MINGO_OPTIONS = {
  jsonSchemaValidator: (schema: Record<string, unknown>) => (doc: unknown) => validateJsonSchema(schema, doc).length === 0,
  context: SIM_CONTEXT,
};

function optionsFor(collation: Document | undefined, variables: Document | undefined): Record<string, unknown> {
  if (!collation && !variables) return MINGO_OPTIONS;
  return {
    ...MINGO_OPTIONS,
    ...(collation ? { collation } : {}),
    ...(variables ? { variables: toView(variables) as Record<string, unknown> } : {}),
  };
}

const TYPED_OPERAND_OPS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte']);

/** An element of $in/$nin: regexes become RegExp (they match strings), other values stay typed. */
function listElement(v: unknown): unknown {
  return v instanceof RegExp || (v as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp' ? toView(v) : v;
}

/** An element of $all: `{$elemMatch}` as a condition, regexes as RegExp, other values typed. */
function allElement(v: unknown): unknown {
  if (isPlainDocument(v) && Object.keys(v)[0] === '$elemMatch' && isPlainDocument(v.$elemMatch)) {
    return { $elemMatch: elemMatchCondition(v.$elemMatch) };
  }
  return listElement(v);
}

function elemMatchCondition(arg: Document): unknown {
  const inner = Object.keys(arg);
  const operatorsOnly = inner.length > 0 && inner.every((k) => k.startsWith('$') && k !== '$and' && k !== '$or' && k !== '$nor');
  return operatorsOnly ? fieldCondition(arg) : filterView(arg);
}

/** The condition on one field: an operator document, a regex, or a value to equal (kept typed). */
function fieldCondition(cond: unknown): unknown {
  if (!isPlainDocument(cond)) return cond instanceof RegExp || (cond as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp' ? toView(cond) : cond;
  const keys = Object.keys(cond);
  if (keys.length === 0 || !keys[0].startsWith('$')) return cond;
  const out: Document = {};
  for (const op of keys) {
    const arg: unknown = cond[op];
    if (TYPED_OPERAND_OPS.has(op)) out[op] = arg;
    else if ((op === '$in' || op === '$nin') && Array.isArray(arg)) out[op] = arg.map(listElement);
    else if (op === '$mod') out[op] = arg;
    else if (op === '$all' && Array.isArray(arg)) out[op] = arg.map(allElement);
    else if (op === '$not' && isPlainDocument(arg)) out[op] = fieldCondition(arg);
    else if (op === '$elemMatch' && isPlainDocument(arg)) out[op] = elemMatchCondition(arg);
    else out[op] = toView(arg);
  }
  return out;
}

/**
 * The filter as handed to mingo: comparison operands keep their BSON types (the comparison
 * operators compare typed values); everything else becomes a query view.
 */
export function filterView(filter: Document): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(filter)) {
    const v: unknown = filter[key];
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(v)) {
      out[key] = v.map((x) => (isPlainDocument(x) ? filterView(x) : toView(x)));
    } else if (key.startsWith('$')) out[key] = toView(v);
    else out[key] = fieldCondition(v);
  }
  return out;
}

/** Turns a mingo error into the server's error for a bad query. */
export function queryError(e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const unknownOp = /unknown (?:query )?operator[:\s]+'?(\$\w+)'?/i.exec(msg);
  if (unknownOp) return commandError(ErrorCodes.BadValue, `unknown operator: ${unknownOp[1]}`);
  return commandError(ErrorCodes.BadValue, msg);
}

export interface FilterOptions {
  /** the collation strings compare under (the operation's, else the collection default) */
  collation?: Document;
  /** `let` variables of the command, visible to $expr as $$name */
  variables?: Document;
}

/** A predicate over query views for a typed filter document. */
export function compileFilter(filter: Document | undefined, opts: FilterOptions = {}): ViewPredicate {
  if (filter === undefined || Object.keys(filter).length === 0) return () => true;
  let query: Query;
  try {
    query = new Query(filterView(filter), optionsFor(opts.collation, opts.variables));
  } catch (e) {
    throw queryError(e);
  }
  return (view) => {
    try {
      return query.test(view);
    } catch (e) {
      throw queryError(e);
    }
  };
}

/** Compiles a filter already in view form (e.g. arrayFilters elements). */
export function compileViewFilter(viewFilter: Record<string, unknown>): ViewPredicate {
  let query: Query;
  try {
    query = new Query(viewFilter, MINGO_OPTIONS);
  } catch (e) {
    throw queryError(e);
  }
  return (view) => query.test(view);
}
