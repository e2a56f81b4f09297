// The user's stages after $changeStream ($match, $project, ...), run on each event by the engine's
// aggregation runner (mingo on typed views). The server refuses any change to `_id`, the resume
// token (PlanExecutorPipeline::_validateChangeStreamsResumeToken).
//
// Leading $match stages are compiled once into the query matcher find uses (the same match
// language, on exact typed values) and tested on each event: like mongod, which plans the
// stream's $match once instead of per event. A $project that only includes top-level fields
// (`{a: 1, b: true}`, the usual way to keep a stream's events small) is run directly, as mongod's
// inclusion projection does it: the event's own fields in the event's order (ProjectionNode::
// applyProjections "retains its field ordering"), `_id` included unless excluded, the values
// untouched. The other stages run through the pipeline runner.
import type { Document } from 'bson';
import { runPipeline } from './query/pipeline';
import { compileFilter, type ViewPredicate } from './query/matcher';
import { toQueryView } from './bson/typed-view';
import { bsonEquals } from './bson/compare';
import { idModifiedByPipeline } from './change-stream-errors';
import { isPlainDocument, toNumber } from './bson/values';

/** Stages after $changeStream never read other collections. */
const NO_COLLECTIONS = (): Document[] => [];

/**
 * The top-level fields a $match filter reads, or null when it may read the whole document
 * ($expr, $where, $jsonSchema, $text and the like).
 */
export function matchedTopLevelFields(filter: Document, into = new Set<string>()): Set<string> | null {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value)) return null;
      for (const clause of value) {
        if (!isPlainDocument(clause) || matchedTopLevelFields(clause, into) === null) return null;
      }
    } else if (key === '$comment') {
      continue;
    } else if (key.startsWith('$')) {
      return null;
    } else {
      into.add(key.split('.')[0]!);
    }
  }
  return into;
}

/**
 * The fields a $project spec includes when it is a plain inclusion of top-level fields (each
 * value `true` or the number 1 of any type, `_id` with them or not); undefined for any other
 * spec (exclusions, other numbers, dotted paths, expressions), which the pipeline runner handles.
 */
export function topLevelInclusion(spec: unknown): Set<string> | undefined {
  if (!isPlainDocument(spec)) return undefined;
  const fields = new Set<string>(['_id']);
  const entries = Object.entries(spec);
  if (entries.length === 0) return undefined;
  for (const [field, value] of entries) {
    if (field === '' || field.startsWith('$') || field.includes('.')) return undefined;
    if (value !== true && !(typeof value !== 'boolean' && toNumber(value) === 1)) return undefined;
    fields.add(field);
  }
  return fields;
}

/** A stage after the leading $match stages: a plain inclusion run directly, or stages for the runner. */
type Step = { include: Set<string> } | { stages: Document[] };

/** Distinct field values whose $match outcome a pipeline remembers, at most. */
const MATCH_MEMO_LIMIT = 10_000;

/**
 * A key that identifies the picked fields' values exactly, when each is a string or a document
 * of strings (a change event's operationType, ns and to); undefined otherwise (never memoized).
 */
function memoKey(picked: Document, fields: readonly string[]): string | undefined {
  // every string is written with its length first, so no two sets of values share a key
  let key = '';
  for (const field of fields) {
    if (!(field in picked)) {
      key += '-';
      continue;
    }
    const value = picked[field];
    if (typeof value === 'string') {
      key += `s${value.length}:${value}`;
    } else if (isPlainDocument(value)) {
      const names = Object.keys(value);
      key += `d${names.length}:`;
      for (const name of names) {
        const inner = (value as Document)[name];
        if (typeof inner !== 'string') return undefined;
        key += `${name.length}:${name}${inner.length}:${inner}`;
      }
    } else {
      return undefined;
    }
  }
  return key;
}

export class UserPipeline {
  private readonly matches: ViewPredicate[] = [];
  /**
   * The leading $match stages' outcome by the exact values of the fields they read: a filter
   * that reads only named fields (no $expr, $where and the like) is a pure function of them, and
   * a stream's events repeat a few namespaces and operation types.
   */
  private readonly matchMemo = new Map<string, boolean>();
  /** the top-level fields the leading $match stages read; null: the whole event */
  private readonly matchedFields: string[] | null = [];
  private readonly rest: Step[] = [];

  /** Raises the stages' parse errors at once, as the aggregate does. */
  constructor(stages: Document[]) {
    if (stages.length > 0) runPipeline([], stages, NO_COLLECTIONS);
    let leading = 0;
    const fields = new Set<string>();
    let wholeEvent = false;
    while (leading < stages.length && Object.keys(stages[leading])[0] === '$match') {
      const filter = stages[leading].$match as Document;
      this.matches.push(compileFilter(filter));
      if (matchedTopLevelFields(filter, fields) === null) wholeEvent = true;
      leading++;
    }
    this.matchedFields = wholeEvent ? null : [...fields];
    for (const stage of stages.slice(leading)) {
      const include = Object.keys(stage)[0] === '$project' ? topLevelInclusion(stage.$project) : undefined;
      const last = this.rest[this.rest.length - 1];
      if (include) this.rest.push({ include });
      else if (last && 'stages' in last) last.stages.push(stage);
      else this.rest.push({ stages: [stage] });
    }
  }

  private leadingMatchesPass(event: Document): boolean {
    // A filter reads only the fields it names: the view (a converted copy) holds just those.
    const picked = this.matchedFields ? pick(event, this.matchedFields) : event;
    const key = this.matchedFields ? memoKey(picked, this.matchedFields) : undefined;
    if (key !== undefined) {
      const known = this.matchMemo.get(key);
      if (known !== undefined) return known;
    }
    const view = toQueryView(picked);
    let passes = true;
    for (const matches of this.matches) {
      if (!matches(view)) {
        passes = false;
        break;
      }
    }
    if (key !== undefined) {
      if (this.matchMemo.size >= MATCH_MEMO_LIMIT) this.matchMemo.clear();
      this.matchMemo.set(key, passes);
    }
    return passes;
  }

  /**
   * The leading $match stages as a test of an event's `available` fields alone, when they read
   * no other field; else undefined. Its verdict is the stages' verdict on the whole event.
   */
  matchOn(available: ReadonlySet<string>): ((fields: Document) => boolean) | undefined {
    const read = this.matchedFields;
    if (this.matches.length === 0 || read === null || !read.every((field) => available.has(field))) return undefined;
    return (fields) => this.leadingMatchesPass(fields);
  }

  /**
   * The event after the stages, or undefined when they filter it out. `matched`: the leading
   * $match stages were tested on the event's fields already (matchOn), and held.
   */
  apply(event: Document, matched = false): Document | undefined {
    if (this.matches.length > 0 && !matched && !this.leadingMatchesPass(event)) return undefined;
    if (this.rest.length === 0) return event;
    let result = event;
    for (const step of this.rest) {
      if ('include' in step) {
        result = include(result, step.include);
        continue;
      }
      const out = runPipeline([result], step.stages, NO_COLLECTIONS);
      if (out.length === 0) return undefined;
      result = out[0];
    }
    if (!bsonEquals(result._id, event._id)) throw idModifiedByPipeline(event._id as Document, result._id);
    return result;
  }
}

/** An inclusion projection of top-level fields: the document's fields it names, in the document's order. */
function include(doc: Document, fields: ReadonlySet<string>): Document {
  const out: Document = {};
  for (const field of Object.keys(doc)) if (fields.has(field) && doc[field] !== undefined) out[field] = doc[field];
  return out;
}

function pick(event: Document, fields: readonly string[]): Document {
  const out: Document = {};
  for (const field of fields) if (field in event) out[field] = event[field];
  return out;
}
