// getParameter (administrative commands): the server parameters a client may read.
import { Int32, Long, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import { isDocument, isTruthy } from '../bson-values';
import type { CommandCall, ServerContext } from '../context';
import { GENERIC_ARGUMENTS } from '../generic-arguments';

function parameters(server: ServerContext): Record<string, unknown> {
  const { config } = server;
  return {
    authenticationMechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'],
    cursorTimeoutMillis: Long.fromNumber(600_000),
    enableTestCommands: true,
    featureCompatibilityVersion: { version: config.version.featureCompatibilityVersion },
    localLogicalSessionTimeoutMinutes: new Int32(30),
    logicalSessionRefreshMillis: new Int32(300_000),
    logLevel: new Int32(0),
    maxBSONDepth: new Int32(200),
    maxTransactionLockRequestTimeoutMillis: new Int32(5),
    minSnapshotHistoryWindowInSeconds: new Int32(300),
    periodicNoopIntervalSecs: new Int32(Math.max(1, Math.round(config.periodicNoopIntervalMs / 1000))),
    transactionLifetimeLimitSeconds: new Int32(60),
  };
}

export function getParameter(call: CommandCall): Document {
  const { cmd } = call;
  const available = parameters(call.server);
  const selector: unknown = cmd.getParameter;
  if (selector === '*' || (isDocument(selector) && isTruthy(selector.allParameters))) {
    return { ...available };
  }
  const names = Object.keys(cmd).filter((k) => k !== 'getParameter' && !GENERIC_ARGUMENTS.has(k));
  const reply: Document = {};
  for (const name of names) {
    if (name in available) reply[name] = available[name];
  }
  if (Object.keys(reply).length === 0) throw new CommandError(72, 'InvalidOptions', 'no option found to get');
  return reply;
}
