// Validation of the cluster connection strings, with mongosync's rules (reference §17.2).
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { redactCredentials, redactedMessage } from './redact';

export class ConnectionStringError extends Error {}

export interface ParsedConnectionString {
  /** the first host as written, e.g. `localhost:27017`: what directionMapping shows */
  primaryHost: string;
  hosts: string[];
}

/**
 * Checks a connection string the way mongosync does: it must parse, read and write concern (when
 * given) must be majority, read preference (when given) primary, and socketTimeoutMS is refused.
 * Errors name the label (cluster0/cluster1) and never contain credentials.
 */
export function parseClusterConnectionString(label: string, uri: string): ParsedConnectionString {
  let client: MongoClient;
  try {
    client = new MongoClient(uri, { monitorCommands: false } satisfies MongoClientOptions);
  } catch (error) {
    throw new ConnectionStringError(`invalid connection string for ${label}: ${redactedMessage(error)}`);
  }
  const options = client.options;
  const query = new URL(uri.replace(/^mongodb(\+srv)?:\/\/[^/?]*/, 'http://host')).searchParams;
  const has = (name: string): boolean => [...query.keys()].some((key) => key.toLowerCase() === name.toLowerCase());
  if (has('readConcernLevel') && options.readConcern?.level !== 'majority') {
    throw new ConnectionStringError(`invalid connection string for ${label}: Invalid URI option, read concern must be majority`);
  }
  if (has('w') && options.writeConcern?.w !== 'majority') {
    throw new ConnectionStringError(`invalid connection string for ${label}: Invalid URI option, write concern must be majority`);
  }
  if (has('readPreference') && options.readPreference.mode !== 'primary') {
    throw new ConnectionStringError(`invalid connection string for ${label}: read preference must be primary`);
  }
  if (has('socketTimeoutMS')) {
    throw new ConnectionStringError(`invalid connection string for ${label}: socketTimeoutMS is not allowed`);
  }
  const hosts = options.hosts.map((host) => host.toString());
  if (hosts.length === 0) {
    throw new ConnectionStringError(`invalid connection string for ${label}: no host in ${redactCredentials(uri)}`);
  }
  return { primaryHost: hosts[0]!, hosts };
}
