// Logical session commands that need no data: startSession, refreshSessions, endSessions.
import { Int32, UUID, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import type { CommandCall } from '../context';

export function endSessions(call: CommandCall): Document {
  const sessions: unknown = call.cmd.endSessions;
  if (!Array.isArray(sessions)) throw new CommandError(14, 'TypeMismatch', "BSON field 'endSessions.endSessions' is the wrong type, expected type 'array'");
  for (const lsid of sessions) call.server.retryableWrites.endSession(lsid);
  call.server.engine.endSessions(sessions);
  return {};
}

export function startSession(): Document {
  return { id: { id: new UUID() }, timeoutMinutes: new Int32(30) };
}

export function refreshSessions(): Document {
  return {};
}
