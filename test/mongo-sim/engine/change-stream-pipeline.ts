// The user's stages after $changeStream ($match, $project, ...), run on each event by the engine's
// aggregation runner (mingo on typed views). The server refuses any change to `_id`, the resume
// token (PlanExecutorPipeline::_validateChangeStreamsResumeToken).
import type { Document } from 'bson';
import { runPipeline } from './query/pipeline';
import { bsonEquals } from './bson/compare';
import { idModifiedByPipeline } from './change-stream-errors';

/** Stages after $changeStream never read other collections. */
const NO_COLLECTIONS = (): Document[] => [];

export class UserPipeline {
  /** Raises the stages' parse errors at once, as the aggregate does. */
  constructor(private readonly stages: Document[]) {
    if (stages.length > 0) runPipeline([], stages, NO_COLLECTIONS);
  }

  /** The event after the stages, or undefined when they filter it out. */
  apply(event: Document): Document | undefined {
    if (this.stages.length === 0) return event;
    const out = runPipeline([event], this.stages, NO_COLLECTIONS);
    if (out.length === 0) return undefined;
    const result = out[0];
    if (!bsonEquals(result._id, event._id)) throw idModifiedByPipeline(event._id as Document, result._id);
    return result;
  }
}
