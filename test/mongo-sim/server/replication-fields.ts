// The replica-set fields of hello, also reported by serverStatus.repl (hello_response.cpp).
import { Int32, Long, type Document } from 'bson';
import type { ServerContext } from './context';

export const TERM = Long.fromNumber(1);

export function opTime(ts: unknown): Document {
  return { ts, t: TERM };
}

/** hosts … lastWrite, in the server's order; `writableField` is isWritablePrimary or ismaster. */
export function replicaSetFields(server: ServerContext, writableField: 'isWritablePrimary' | 'ismaster'): Document {
  const { engine, config } = server;
  const lastApplied = engine.lastApplied();
  const lastWall = engine.lastAppliedWall();
  return {
    hosts: [config.hostAndPort],
    setName: config.replSet,
    setVersion: new Int32(1),
    [writableField]: true,
    secondary: false,
    primary: config.hostAndPort,
    me: config.hostAndPort,
    electionId: server.electionId,
    lastWrite: {
      opTime: opTime(lastApplied),
      lastWriteDate: lastWall,
      majorityOpTime: opTime(lastApplied),
      majorityWriteDate: lastWall,
    },
  };
}
