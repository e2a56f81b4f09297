// The server-side $match for the cluster-wide change stream (opened on admin with
// allChangesForCluster and showExpandedEvents). It keeps exactly the events the engine needs:
// - any event on a namespace the filter includes (CRUD and collection DDL: ns.db + ns.coll);
// - a rename whose target (`to`) is included, even when its source is not (rename-in, or a
//   violation the engine must report);
// - dropDatabase of a database that may hold included collections;
// - invalidate (never expected on a cluster stream, but it must not pass unnoticed).
// It agrees with namespace-filter.ts because it is built from the same compiled filters and
// the same translated regexes (pcre-regex.ts), which mean the same in PCRE and in JS.
// Activity-side; it needs no driver import because the stage is a plain object.
import { RESERVED_DATABASE_PREFIXES, SYSTEM_DATABASES } from './namespace-names';
import type { CompiledFilter, NamespaceMatcher } from './namespace-filter';
import type { TranslatedRegex } from './pcre-regex';

type MatchExpression = Record<string, unknown>;

/** Options every change stream of the engine must be opened with. */
export const REQUIRED_CHANGE_STREAM_OPTIONS = { showExpandedEvents: true } as const;

function escapeRegexLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

const RESERVED_DATABASE_PATTERN = `^(?:${RESERVED_DATABASE_PREFIXES.map(escapeRegexLiteral).join('|')})`;

function regexOperand(regex: TranslatedRegex): MatchExpression {
  return regex.ignoreCase ? { $regex: regex.source, $options: 'i' } : { $regex: regex.source };
}

function databaseCondition(filter: CompiledFilter, dbField: string): MatchExpression {
  const part = filter.database;
  return { [dbField]: part.kind === 'name' ? { $eq: part.name } : regexOperand(part.regex) };
}

function filterCondition(filter: CompiledFilter, dbField: string, collField: string): MatchExpression {
  const condition = databaseCondition(filter, dbField);
  const colls = filter.collections;
  if (colls.kind === 'names') condition[collField] = { $in: [...colls.names] };
  else if (colls.kind === 'regex') condition[collField] = regexOperand(colls.regex);
  return condition;
}

function syncableDatabaseConditions(dbField: string): MatchExpression[] {
  return [{ [dbField]: { $nin: [...SYSTEM_DATABASES] } }, { [dbField]: { $not: { $regex: RESERVED_DATABASE_PATTERN } } }];
}

/** Matches documents whose (dbField, collField) namespace the filter includes. */
function namespaceIncluded(
  matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>,
  dbField: string,
  collField: string,
): MatchExpression {
  const conditions: MatchExpression[] = [
    { [collField]: { $exists: true } },
    ...syncableDatabaseConditions(dbField),
    { [collField]: { $not: { $regex: '^system\\.' } } },
  ];
  if (matcher.include.length > 0) {
    conditions.push({ $or: matcher.include.map((f) => filterCondition(f, dbField, collField)) });
  }
  if (matcher.exclude.length > 0) {
    conditions.push({ $nor: matcher.exclude.map((f) => filterCondition(f, dbField, collField)) });
  }
  return { $and: conditions };
}

/** Matches dropDatabase events of databases for which isDatabaseIncluded is true. */
function databaseIncluded(matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>): MatchExpression {
  const conditions: MatchExpression[] = [{ operationType: 'dropDatabase' }, ...syncableDatabaseConditions('ns.db')];
  if (matcher.include.length > 0) {
    conditions.push({ $or: matcher.include.map((f) => databaseCondition(f, 'ns.db')) });
  }
  const wholeDatabaseExcludes = matcher.exclude.filter((f) => f.collections.kind === 'all');
  if (wholeDatabaseExcludes.length > 0) {
    conditions.push({ $nor: wholeDatabaseExcludes.map((f) => databaseCondition(f, 'ns.db')) });
  }
  return { $and: conditions };
}

/** The `$match` stage to append after `$changeStream`. */
export function buildChangeStreamMatchStage(matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>): { $match: MatchExpression } {
  return {
    $match: {
      $or: [
        namespaceIncluded(matcher, 'ns.db', 'ns.coll'),
        { $and: [{ operationType: 'rename' }, namespaceIncluded(matcher, 'to.db', 'to.coll')] },
        databaseIncluded(matcher),
        { operationType: 'invalidate' },
      ],
    },
  };
}

/** The aggregation stages after `$changeStream`. */
export function buildChangeStreamPipeline(matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>): MatchExpression[] {
  return [buildChangeStreamMatchStage(matcher)];
}
