// getMore and killCursors, served by the cursor manager.
import type { Document } from 'bson';
import type { RequestContext } from '../types';
import type { EngineState } from '../state';
import type { CommandSpec } from './registry';

function getMore(cmd: Document, ctx: RequestContext, state: EngineState): Promise<Document> {
  return state.cursors.getMore(cmd, ctx.db, ctx.signal);
}

function killCursors(cmd: Document, ctx: RequestContext, state: EngineState): Document {
  return state.cursors.killCursors(cmd, ctx.db);
}

export const cursorCommands: Record<string, CommandSpec> = {
  getMore: { handler: getMore },
  killCursors: { handler: killCursors },
};
