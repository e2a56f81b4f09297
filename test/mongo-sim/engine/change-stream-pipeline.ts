// The user's stages after $changeStream ($match, $project, ...), run on each event by the engine's
// aggregation runner (mingo on typed views). The server refuses any change to `_id`, the resume
// token (PlanExecutorPipeline::_validateChangeStreamsResumeToken).
//
// Leading $match stages are compiled once into the query matcher find uses (the same match
// language, on exact typed values) and tested on each event: like mongod, which plans the
// stream's $match once instead of per event. The other stages run through the pipeline runner.
import type { Document } from 'bson';
import { runPipeline } from './query/pipeline';
import { compileFilter, type ViewPredicate } from './query/matcher';
import { toQueryView } from './bson/typed-view';
import { bsonEquals } from './bson/compare';
import { idModifiedByPipeline } from './change-stream-errors';

/** Stages after $changeStream never read other collections. */
const NO_COLLECTIONS = (): Document[] => [];

export class UserPipeline {
  private readonly matches: ViewPredicate[] = [];
  private readonly rest: Document[];

  /** Raises the stages' parse errors at once, as the aggregate does. */
  constructor(stages: Document[]) {
    if (stages.length > 0) runPipeline([], stages, NO_COLLECTIONS);
    let leading = 0;
    while (leading < stages.length && Object.keys(stages[leading])[0] === '$match') {
      this.matches.push(compileFilter(stages[leading].$match as Document));
      leading++;
    }
    this.rest = stages.slice(leading);
  }

  /** The event after the stages, or undefined when they filter it out. */
  apply(event: Document): Document | undefined {
    if (this.matches.length > 0) {
      const view = toQueryView(event);
      for (const matches of this.matches) if (!matches(view)) return undefined;
    }
    if (this.rest.length === 0) return event;
    const out = runPipeline([event], this.rest, NO_COLLECTIONS);
    if (out.length === 0) return undefined;
    const result = out[0];
    if (!bsonEquals(result._id, event._id)) throw idModifiedByPipeline(event._id as Document, result._id);
    return result;
  }
}
