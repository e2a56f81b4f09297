// serverStatus (administrative commands, the write-blocking mode in serverStatus): process, connection and replication state of the simulated mongod.
import { Double, Int32, Long, type Document } from 'bson';
import { isTruthy } from '../bson-values';
import type { CommandCall } from '../context';
import { replicaSetFields } from '../replication-fields';

/** The connection limit a default mongod reports as current + available. */
const MAX_INCOMING_CONNECTIONS = 838_860;

export function serverStatus(call: CommandCall): Document {
  const { server, cmd } = call;
  const { stats, engine, config } = server;
  const uptimeMs = Date.now() - stats.startedAt.getTime();
  const memory = process.memoryUsage();
  const reply: Document = {
    host: config.hostAndPort,
    version: config.version.version,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: new Double(Math.floor(uptimeMs / 1000)),
    uptimeMillis: Long.fromNumber(uptimeMs),
    uptimeEstimate: Long.fromNumber(Math.floor(uptimeMs / 1000)),
    localTime: new Date(),
    asserts: { regular: new Int32(0), warning: new Int32(0), msg: new Int32(0), user: new Int32(0), rollovers: new Int32(0) },
    connections: {
      current: new Int32(stats.connectionsCurrent),
      available: new Int32(MAX_INCOMING_CONNECTIONS - stats.connectionsCurrent),
      totalCreated: new Int32(stats.connectionsTotalCreated),
      rejected: new Int32(0),
      active: new Int32(stats.connectionsCurrent),
      exhaustIsMaster: new Int32(0),
      exhaustHello: new Int32(0),
      awaitingTopologyChanges: new Int32(0),
    },
    mem: {
      bits: new Int32(64),
      resident: new Int32(Math.round(memory.rss / 1048576)),
      virtual: new Int32(Math.round((memory.rss + memory.external) / 1048576)),
      supported: true,
    },
    network: {
      bytesIn: Long.fromNumber(stats.bytesIn),
      bytesOut: Long.fromNumber(stats.bytesOut),
      physicalBytesIn: Long.fromNumber(stats.bytesIn),
      physicalBytesOut: Long.fromNumber(stats.bytesOut),
      numRequests: Long.fromNumber(stats.numRequests),
    },
    opcounters: Object.fromEntries(Object.entries(stats.opcounters).map(([k, v]) => [k, Long.fromNumber(v)])),
    repl: {
      ...replicaSetFields(server, 'isWritablePrimary'),
      primaryOnlyServices: {},
      rbid: new Int32(1),
      userWriteBlockMode: new Int32(engine.userWriteBlockMode()),
    },
    storageEngine: {
      name: 'wiredTiger',
      supportsCommittedReads: true,
      oldestRequiredTimestampForCrashRecovery: engine.lastApplied(),
      supportsPendingDrops: true,
      dropPendingIdents: Long.fromNumber(0),
      supportsSnapshotReadConcern: true,
      readOnly: false,
      persistent: true,
      backupCursorOpen: false,
    },
  };
  if (isTruthy(cmd.oplog)) {
    const window = engine.oplogWindow();
    reply.oplog = { latestOptime: window.latest, earliestOptime: window.earliest };
  }
  return reply;
}
