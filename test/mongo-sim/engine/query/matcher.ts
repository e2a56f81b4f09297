// Compiles query filters into predicates over query views, with mingo doing the matching.
import { Query } from 'mingo';
import type { Document } from 'bson';
import { toView } from '../bson/typed-view';
import { commandError, ErrorCodes } from '../errors';
import { validateJsonSchema } from './json-schema';

export type ViewPredicate = (view: Document) => boolean;

const MINGO_OPTIONS = {
  jsonSchemaValidator: (schema: Record<string, unknown>) => (doc: unknown) => validateJsonSchema(schema, doc).length === 0,
};

/** Turns a mingo error into the server's error for a bad query. */
export function queryError(e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const unknownOp = /unknown (?:query )?operator[:\s]+'?(\$\w+)'?/i.exec(msg);
  if (unknownOp) return commandError(ErrorCodes.BadValue, `unknown operator: ${unknownOp[1]}`);
  return commandError(ErrorCodes.BadValue, msg);
}

/** A predicate over query views for a typed filter document. */
export function compileFilter(filter: Document | undefined): ViewPredicate {
  if (filter === undefined || Object.keys(filter).length === 0) return () => true;
  let query: Query;
  try {
    query = new Query(toView(filter) as Record<string, unknown>, MINGO_OPTIONS);
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
