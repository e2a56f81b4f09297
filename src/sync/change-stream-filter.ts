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

/** The condition on dbField that keeps databases whose collections may be synced. */
function syncableDatabase(): MatchExpression {
  return { $nin: [...SYSTEM_DATABASES], $not: { $regex: RESERVED_DATABASE_PATTERN } };
}

/**
 * The include and exclude conditions, as keys to merge into a document that has the field
 * conditions (one flat document: every key must hold, with no nested $and to evaluate).
 */
function filterKeys(include: MatchExpression[], exclude: MatchExpression[]): MatchExpression {
  return { ...(include.length > 0 ? { $or: include } : {}), ...(exclude.length > 0 ? { $nor: exclude } : {}) };
}

/** Matches documents whose (dbField, collField) namespace the filter includes. */
function namespaceIncluded(
  matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>,
  dbField: string,
  collField: string,
): MatchExpression {
  return {
    [dbField]: syncableDatabase(),
    [collField]: { $exists: true, $not: { $regex: '^system\\.' } },
    ...filterKeys(
      matcher.include.map((f) => filterCondition(f, dbField, collField)),
      matcher.exclude.map((f) => filterCondition(f, dbField, collField)),
    ),
  };
}

/** Matches dropDatabase events of databases for which isDatabaseIncluded is true. */
function databaseIncluded(matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>): MatchExpression {
  return {
    operationType: 'dropDatabase',
    'ns.db': syncableDatabase(),
    ...filterKeys(
      matcher.include.map((f) => databaseCondition(f, 'ns.db')),
      matcher.exclude.filter((f) => f.collections.kind === 'all').map((f) => databaseCondition(f, 'ns.db')),
    ),
  };
}

/** The `$match` stage to append after `$changeStream`. */
export function buildChangeStreamMatchStage(matcher: Pick<NamespaceMatcher, 'include' | 'exclude'>): { $match: MatchExpression } {
  return {
    $match: {
      $or: [
        namespaceIncluded(matcher, 'ns.db', 'ns.coll'),
        { operationType: 'rename', ...namespaceIncluded(matcher, 'to.db', 'to.coll') },
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
