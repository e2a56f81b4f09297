// Who may use the HTTP API. Three checks, in this order, before any route runs:
//
// 1. Host: the Host header must name this service (a loopback name, the address it listens on,
//    the machine's names when it listens on every interface, or a name the operator allowed).
//    This defeats DNS rebinding, where a hostile page resolves its own name to 127.0.0.1.
// 2. Origin: a request that changes something (any method but GET, HEAD and OPTIONS) is refused
//    when the browser says it comes from another site (`Sec-Fetch-Site` other than same-origin
//    or none, or an `Origin` that is not the API's own). curl and scripts send neither header,
//    so `curl --data` keeps working as mongosync's documentation uses it, while a hostile page's
//    "simple" cross-origin POST (text/plain or a form) cannot start, pause or commit a sync.
// 3. Token: when an API token is configured (it must be when the API listens beyond loopback),
//    every request carries `Authorization: Bearer <token>`, compared in constant time. A browser
//    on the status page sends it as HTTP Basic credentials (any user name, the token as password),
//    which it then adds to the page's own requests by itself.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface RequestGuardOptions {
  /** host names (lower case, IPv6 without brackets) a request's Host header may name; null = any */
  allowedHosts: ReadonlySet<string> | null;
  /** required on every request when set */
  token?: string;
  /** the scheme the API is served with: an Origin must use it to be the API's own */
  scheme: 'http' | 'https';
}

export interface GuardedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

export type GuardVerdict =
  | { allowed: true }
  | { allowed: false; reason: 'host' | 'origin' | 'token'; description: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SAME_SITE_FETCHES = new Set(['same-origin', 'none']);

function header(request: GuardedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The host name of a Host header or URL authority ("[::1]:27182" → "::1"), lower case. */
export function hostNameOf(authority: string): string | null {
  const trimmed = authority.trim().toLowerCase();
  if (trimmed === '') return null;
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    if (end < 0) return null;
    const rest = trimmed.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return trimmed.slice(1, end);
  }
  const match = /^([^:]+)(?::\d{1,5})?$/.exec(trimmed);
  return match ? match[1]!.replace(/\.$/, '') : null;
}

function sameToken(given: string, expected: string): boolean {
  // Digests have the same length whatever was sent, so the comparison time says nothing.
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function tokenOf(request: GuardedRequest): string | undefined {
  const authorization = header(request, 'authorization');
  if (!authorization) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!basic) return undefined;
  const credentials = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon < 0 ? undefined : credentials.slice(colon + 1);
}

export function checkRequest(request: GuardedRequest, options: RequestGuardOptions): GuardVerdict {
  const host = header(request, 'host');
  if (options.allowedHosts) {
    const name = host === undefined ? null : hostNameOf(host);
    if (name === null || !options.allowedHosts.has(name)) {
      return {
        allowed: false,
        reason: 'host',
        description:
          `the Host header ${host === undefined ? '(missing)' : `'${host.slice(0, 100)}'`} does not name this c2c-sync service; ` +
          'if it is reached through another name, add that name to --allowed-hosts',
      };
    }
  }
  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    const fetchSite = header(request, 'sec-fetch-site')?.toLowerCase();
    if (fetchSite !== undefined && !SAME_SITE_FETCHES.has(fetchSite)) {
      return { allowed: false, reason: 'origin', description: `a ${fetchSite} request from a web page may not use the c2c-sync API` };
    }
    const origin = header(request, 'origin');
    if (origin !== undefined && (host === undefined || origin.toLowerCase() !== `${options.scheme}://${host.toLowerCase()}`)) {
      return { allowed: false, reason: 'origin', description: `a request from the web origin '${origin.slice(0, 100)}' may not use the c2c-sync API` };
    }
  }
  if (options.token !== undefined) {
    const given = tokenOf(request);
    if (given === undefined) {
      return { allowed: false, reason: 'token', description: 'this c2c-sync API requires its API token: send Authorization: Bearer <token>' };
    }
    if (!sameToken(given, options.token)) {
      return { allowed: false, reason: 'token', description: 'the API token sent in the Authorization header is not this service\'s' };
    }
  }
  return { allowed: true };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/** True when an address the API listens on is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const name = hostNameOf(host) ?? host.toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

export function isWildcardHost(host: string): boolean {
  return WILDCARD_ADDRESSES.has((hostNameOf(host) ?? host).toLowerCase());
}

export interface MachineNames {
  hostname: string;
  /** every address of the machine's network interfaces */
  addresses: string[];
}

/**
 * The names a Host header may use: loopback names always; the listen address; on a wildcard
 * address the machine's host name and interface addresses; and what the operator added (the
 * names of a proxy or load balancer in front of the API).
 */
export function allowedHostNames(listenHost: string, extraHosts: readonly string[], machine: MachineNames): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const add = (value: string): void => {
    const name = hostNameOf(value.includes(':') && !value.startsWith('[') && value.split(':').length > 2 ? `[${value}]` : value);
    if (name) names.add(name);
  };
  if (isWildcardHost(listenHost)) {
    add(machine.hostname);
    for (const address of machine.addresses) add(address);
  } else {
    add(listenHost);
  }
  for (const extra of extraHosts) add(extra);
  return names;
}
