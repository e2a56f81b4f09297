// Change streams: the aggregate handler calls openChangeStream
// when pipeline[0] is $changeStream. It validates the request, throwing CommandError with the
// server's codes, and returns the tailable awaitData cursor.
//
// The first nextBatch call on the returned cursor is taken to be the aggregate's first batch: it
// never waits for events. Every later call (getMore) waits up to maxTimeMS (default 1000 ms).
import type { OpenChangeStream } from './internal';
import { parseChangeStreamSpec } from './change-stream-spec';
import { ChangeStreamCursor } from './change-stream-cursor';

export type { OpenChangeStream } from './internal';

export const openChangeStream: OpenChangeStream = ({ cmd, db, oplog, catalog, version }) => {
  const spec = parseChangeStreamSpec(cmd, db, version);
  return new ChangeStreamCursor(spec, oplog, catalog);
};
