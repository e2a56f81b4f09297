// hostInfo, getCmdLineOpts, whatsmyuri, getLog: facts about the simulated mongod process.
import os from 'node:os';
import { Int32, Long, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import type { CommandCall } from '../context';

export function hostInfo(call: CommandCall): Document {
  const cpus = os.cpus();
  const memMB = Math.round(os.totalmem() / 1048576);
  return {
    system: {
      currentTime: new Date(),
      hostname: call.server.config.hostAndPort,
      cpuAddrSize: new Int32(64),
      memSizeMB: Long.fromNumber(memMB),
      memLimitMB: Long.fromNumber(memMB),
      numCores: new Int32(cpus.length),
      numCoresAvailableToProcess: new Int32(os.availableParallelism()),
      numPhysicalCores: new Int32(cpus.length),
      numCpuSockets: new Int32(1),
      cpuArch: os.arch() === 'x64' ? 'x86_64' : os.arch(),
      numaEnabled: false,
      numNumaNodes: new Int32(1),
    },
    os: { type: os.type(), name: os.type(), version: os.release() },
    extra: {
      versionString: `${os.type()} version ${os.release()}`,
      kernelVersion: os.release(),
      cpuFrequencyMHz: String(cpus[0]?.speed ?? 0),
      pageSize: Long.fromNumber(4096),
      numPages: new Int32(Math.floor(os.totalmem() / 4096)),
      maxOpenFiles: new Int32(64000),
    },
  };
}

export function getCmdLineOpts(call: CommandCall): Document {
  const { config } = call.server;
  const parsed: Document = {
    net: { bindIp: config.host, port: new Int32(config.port) },
    replication: { oplogSizeMB: new Int32(config.oplogSizeMB), replSet: config.replSet },
  };
  if (config.auth) parsed.security = { authorization: 'enabled' };
  return { argv: config.argv, parsed };
}

export function whatsmyuri(call: CommandCall): Document {
  return { you: call.conn.remoteAddress };
}

export function getLog(call: CommandCall): Document {
  const which: unknown = call.cmd.getLog;
  if (which === '*') return { names: ['global', 'startupWarnings'] };
  if (which === 'global' || which === 'startupWarnings') return { totalLinesWritten: new Int32(0), log: [] };
  throw new CommandError(72, 'InvalidOptions', 'No log named ' + JSON.stringify(which));
}
