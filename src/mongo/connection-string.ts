// Validation of the cluster connection strings, with mongosync's rules (https://www.mongodb.com/docs/cluster-to-cluster-sync/current/connecting/).
//
// The driver reads `mongodb://user:p@ss/word@host` as user `user`, password `p`, host `ss` and
// database `word@host`, and its parse errors may quote pieces of the string. So the structure
// is checked here first, strictly, with messages that quote nothing from the string: after
// that, user info and host list are unambiguous. Driver messages are shown only with every
// fragment of the credentials removed.
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { databaseNameProblem } from '../sync/namespace-names';
import { credentialsOf, redactCredentials, rememberCredentialsOf, rememberSecret, removeFragmentsOf } from './redact';

export class ConnectionStringError extends Error {}

export interface ParsedConnectionString {
  /** the first host as written, e.g. `localhost:27017` (the SRV name for mongodb+srv): what directionMapping shows */
  primaryHost: string;
  hosts: string[];
}

const ESCAPES = "percent-encode '@' as %40, ':' as %3A, '/' as %2F, '?' as %3F, '#' as %23, '%' as %25, '[' as %5B and ']' as %5D";
const HOST_NAME = /^[^\s:/?#@[\],]+$/;
const IPV6_HOST = /^\[[0-9A-Za-z:.%]+\]$/;

/** Why the structure of `uri` is wrong, in words that quote none of it; or null. */
export function connectionStringStructureProblem(uri: string): string | null {
  const scheme = /^mongodb(\+srv)?:\/\//i.exec(uri);
  if (!scheme) return "it must start with 'mongodb://' or 'mongodb+srv://'";
  const rest = uri.slice(scheme[0].length);
  if (rest.includes('#')) return `it contains '#', which a connection string cannot hold unescaped (in a user name or password, ${ESCAPES})`;
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const after = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  if (after.includes('@')) {
    return `an '@' follows the host list: the user name or password holds an unescaped '/', '?' or '@' (${ESCAPES}; an '@' in an option value is written %40 too)`;
  }
  const at = authority.indexOf('@');
  if (at !== authority.lastIndexOf('@')) return `it has more than one '@' before the host list: the user name or password holds an unescaped '@' (${ESCAPES})`;
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  if (userinfo !== undefined) {
    const problem = userInfoProblem(userinfo);
    if (problem) return problem;
  }
  if (hostList === '') return 'it has no host: give HOST[:PORT] after the scheme (and after the user info)';
  const hosts = hostList.split(',');
  for (const [i, host] of hosts.entries()) {
    const problem = hostProblem(host);
    if (problem) return `host ${i + 1} of ${hosts.length} in the host list ${problem}${userinfo === undefined && host.includes(':') ? " (if this is user:password, it must be followed by '@' and a host)" : ''}`;
  }
  if (scheme[1] && hosts.length !== 1) return 'a mongodb+srv connection string names exactly one host (the SRV name)';
  if (after.startsWith('/')) {
    const path = after.slice(1).split('?')[0]!;
    if (path !== '') {
      const db = decodeOrNull(path);
      const problem = db === null ? 'it is not valid percent-encoding' : databaseNameProblem(db);
      if (problem) return `the database after the host list is not a valid database name: ${problem}`;
    }
  }
  return null;
}

/**
 * What a driver message about `uri` must not quote: its credentials, its host list and
 * database (which hold user info when '@' was forgotten), option values, and option names that
 * are not plain words (an unescaped '?' in a password makes the rest of it an "option").
 */
function quotableParts(uri: string): string[] {
  const rest = uri.replace(/^mongodb(\+srv)?:\/\//i, '');
  const queryStart = rest.indexOf('?');
  const parts = [...credentialsOf(uri), queryStart < 0 ? rest : rest.slice(0, queryStart)];
  if (queryStart >= 0) {
    for (const option of rest.slice(queryStart + 1).split('&')) {
      const equals = option.indexOf('=');
      const name = equals < 0 ? option : option.slice(0, equals);
      if (!/^[A-Za-z]+$/.test(name)) parts.push(name);
      if (equals >= 0) parts.push(option.slice(equals + 1));
    }
  }
  return parts;
}

function decodeOrNull(text: string): string | null {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return null;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function userInfoProblem(userinfo: string): string | null {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? undefined : userinfo.slice(colon + 1);
  if (user === '') return 'the user name before the password is empty';
  if (password?.includes(':')) return `the password holds an unescaped ':' (${ESCAPES})`;
  if (/[[\]]/.test(userinfo)) return `the user name or password holds an unescaped '[' or ']' (${ESCAPES})`;
  if (decodeOrNull(user) === null) return `the user name is not valid percent-encoding (${ESCAPES})`;
  if (password !== undefined && decodeOrNull(password) === null) return `the password is not valid percent-encoding (${ESCAPES})`;
  return null;
}

function hostProblem(host: string): string | null {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(host);
  const name = match?.[1] ?? '';
  const port = match?.[2];
  if (name === '' || (!IPV6_HOST.test(name) && !HOST_NAME.test(name))) return 'is not HOST or HOST:PORT (an IPv6 address goes in brackets: [::1]:27017)';
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return 'has a port that is not a number from 1 to 65535';
  return null;
}

/**
 * Checks a connection string the way mongosync does: it must parse, read and write concern (when
 * given) must be majority, read preference (when given) primary, and socketTimeoutMS is refused.
 * Errors name the label (cluster0/cluster1) and never contain credentials. The string's
 * credentials are remembered so that no later log line or error can show them.
 */
export function parseClusterConnectionString(label: string, uri: string): ParsedConnectionString {
  rememberCredentialsOf(uri);
  const invalid = (problem: string): ConnectionStringError => {
    // in a refused string, which part is user info is anybody's guess: none of it may be shown
    rememberSecret(uri.replace(/^mongodb(\+srv)?:\/\//i, ''));
    return new ConnectionStringError(`invalid connection string for ${label}: ${problem}`);
  };
  const structureProblem = connectionStringStructureProblem(uri);
  if (structureProblem) throw invalid(structureProblem);
  let client: MongoClient;
  try {
    client = new MongoClient(uri, { monitorCommands: false } satisfies MongoClientOptions);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw invalid(removeFragmentsOf(redactCredentials(message), quotableParts(uri)));
  }
  const options = client.options;
  const queryStart = uri.indexOf('?');
  const query = new URLSearchParams(queryStart < 0 ? '' : uri.slice(queryStart + 1));
  const has = (name: string): boolean => [...query.keys()].some((key) => key.toLowerCase() === name.toLowerCase());
  if (has('readConcernLevel') && options.readConcern?.level !== 'majority') {
    throw invalid('Invalid URI option, read concern must be majority');
  }
  if (has('w') && options.writeConcern?.w !== 'majority') {
    throw invalid('Invalid URI option, write concern must be majority');
  }
  if (has('readPreference') && options.readPreference.mode !== 'primary') {
    throw invalid('read preference must be primary');
  }
  if (has('socketTimeoutMS')) {
    throw invalid('socketTimeoutMS is not allowed');
  }
  const hosts = options.srvHost ? [options.srvHost] : options.hosts.map((host) => host.toString());
  if (hosts.length === 0) throw invalid('no host');
  return { primaryHost: hosts[0]!, hosts };
}
