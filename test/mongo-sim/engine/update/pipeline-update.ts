// Pipeline-style updates (an array `u`): the allowed stages run through mingo on the document.
import type { Document } from 'bson';
import { bsonEquals } from '../bson/compare';
import { commandError, ErrorCodes } from '../errors';
import { runPipeline, stageName } from '../query/pipeline';
import { withOriginalId } from './replacement';

const ALLOWED = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export function applyPipelineUpdate(
  before: Document,
  pipeline: unknown[],
  variables: Document | undefined,
  inserting: boolean,
): { after: Document; changed: boolean } {
  for (const stage of pipeline) {
    const name = stageName(stage);
    if (!ALLOWED.has(name)) {
      throw commandError(ErrorCodes.InvalidOptions, `${name} is not allowed to be used within an update`);
    }
  }
  const [out] = runPipeline([before], pipeline as Document[], () => [], variables);
  if (!out) throw commandError(ErrorCodes.BadValue, 'Update pipeline produced no document');
  // a missing _id keeps the original one; inserts without _id get one generated later
  const after = inserting && before._id === undefined ? out : withOriginalId(before, out);
  return { after, changed: !bsonEquals(before, after) };
}
