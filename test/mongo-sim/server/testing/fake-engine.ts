// A tiny in-memory Engine for testing the server layer on its own: a logical clock, insert,
// find (single batch), `sleep` (waits, for ordering tests) and `echo` (returns what it got).
import { Int32, Long, Timestamp, type Document } from 'bson';
import { CommandError, type Engine, type RequestContext } from '../../engine/types';

export interface FakeEngine extends Engine {
  readonly commands: { cmd: Document; ctx: RequestContext }[];
  blocked: boolean;
}

export function createFakeEngine(): FakeEngine {
  const collections = new Map<string, Document[]>();
  let seconds = Math.floor(Date.now() / 1000);
  let increment = 1;
  let wall = new Date();
  const commands: { cmd: Document; ctx: RequestContext }[] = [];
  const tick = () => {
    increment++;
    wall = new Date();
    seconds = Math.max(seconds, Math.floor(wall.getTime() / 1000));
  };
  const now = () => new Timestamp({ t: seconds, i: increment });
  const engine: FakeEngine = {
    commands,
    blocked: false,
    async runCommand(cmd, ctx) {
      commands.push({ cmd, ctx });
      const name = Object.keys(cmd)[0];
      const ns = `${ctx.db}.${String(cmd[name])}`;
      switch (name) {
        case 'insert': {
          if (engine.blocked && !ctx.mayBypassWriteBlocking) {
            return { n: new Int32(0), writeErrors: [{ index: new Int32(0), code: new Int32(371), errmsg: 'User writes blocked' }] };
          }
          const docs = cmd.documents as Document[];
          const list = collections.get(ns) ?? [];
          list.push(...docs);
          collections.set(ns, list);
          tick();
          return { n: new Int32(docs.length) };
        }
        case 'find':
          return { cursor: { firstBatch: collections.get(ns) ?? [], id: Long.fromNumber(0), ns } };
        case 'sleep':
          await new Promise((resolve) => setTimeout(resolve, 200));
          return { slept: true };
        case 'echo':
          return { echoed: cmd };
        case 'fail':
          throw new CommandError(10107, 'NotWritablePrimary', 'not primary', {}, ['EngineLabel']);
        default:
          throw new CommandError(59, 'CommandNotFound', `no such command: '${name}'`);
      }
    },
    clusterTime: () => now(),
    lastApplied: () => now(),
    lastAppliedWall: () => wall,
    userWriteBlockMode: () => (engine.blocked ? 2 : 1),
    oplogWindow: () => ({ earliest: new Timestamp({ t: seconds, i: 1 }), latest: now() }),
    endSessions: () => undefined,
    close: () => undefined,
  };
  return engine;
}
