// Shared fast-check generators for namespace filter tests.
import fc from 'fast-check';
import { C2C_METADATA_DB } from '../../../../src/sync/namespace-names';
import type { NamespaceFilterSpec } from '../../../../src/sync/start-options';

export const DATABASES = ['a', 'b', 'ab', 'Sales', 'sales', 'admin', 'config', 'local', C2C_METADATA_DB, '__mdb_internal_mongosync', 'mongosync_reserved_for_internal_use'];
export const COLLECTIONS = ['x', 'y', 'xy', 'X', 'orders', 'system.views', 'system.js'];
const PATTERNS = ['^a', 'b$', 'a', '^(a|b)$', 'S', '^x', 'y', '.'];

/** Filter documents whose regexes come from `patterns` with options from `options`. */
export function filterSpecFrom(patterns: readonly string[], options: readonly string[]): fc.Arbitrary<NamespaceFilterSpec> {
  const regexSpec = fc.record({ pattern: fc.constantFrom(...patterns), options: fc.constantFrom(...options) });
  return fc
  .record({
    db: fc.oneof(
      fc.constantFrom('a', 'b', 'ab', 'Sales').map((database) => ({ database })),
      regexSpec.map((databaseRegex) => ({ databaseRegex })),
    ),
    colls: fc.oneof(
      fc.constant({}),
      fc.subarray(['x', 'y', 'xy', 'X', 'orders'], { minLength: 1 }).map((collections) => ({ collections })),
      regexSpec.map((collectionsRegex) => ({ collectionsRegex })),
    ),
  })
  .map(({ db, colls }) => ({ ...db, ...colls }));
}

/** Filters whose regexes mean the same in plain JS (usable by a JS oracle). */
export const filterSpec = filterSpecFrom(PATTERNS, ['', 'i']);

export function filtersFrom(spec: fc.Arbitrary<NamespaceFilterSpec>) {
  return fc.record({ include: fc.array(spec, { maxLength: 3 }), exclude: fc.array(spec, { maxLength: 3 }) });
}

export const filters = filtersFrom(filterSpec);

export const namespaces = fc.record({ db: fc.constantFrom(...DATABASES), coll: fc.constantFrom(...COLLECTIONS) });
