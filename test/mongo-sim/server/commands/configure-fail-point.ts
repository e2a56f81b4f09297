// configureFailPoint (admin only): sets the failCommand fail point.
import { Int32, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import type { CommandCall } from '../context';

export function configureFailPoint(call: CommandCall): Document {
  if (call.db !== 'admin') {
    throw new CommandError(13, 'Unauthorized', 'configureFailPoint may only be run against the admin database.');
  }
  const count = call.server.failPoints.configure(call.cmd.configureFailPoint, call.cmd.mode, call.cmd.data);
  return { count: new Int32(count) };
}
