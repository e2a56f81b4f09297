// Random credentials in random connection strings, and the check that no piece of them shows.
// Every second character of a generated user or password is a "marker" that no message of
// c2c-sync or the driver contains, so every window of 3 characters of a credential holds a
// marker: if one appears in some output, a piece of a credential leaked.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { parseClusterConnectionString } from '../../src/mongo/connection-string';

const MARKERS = ['Ж', 'λ', '中', 'ß', 'Ω', '😀', 'ø', 'ひ'];
/** Single characters only, so that a window of 3 always holds a marker. */
const ANY = ['a', 'Z', '7', '4', '0', 'F', '@', '/', ':', '%', '?', '#', '&', '=', ',', '[', ']', ' ', '.', '!', '+', '-', 'é', '€', '中', '🎉', '\\', '"', "'"];

/** Marker, any, marker, any, ...: every window of two or more characters holds a marker. */
const credential = fc
  .array(fc.tuple(fc.constantFrom(...MARKERS), fc.constantFrom(...ANY)), { minLength: 1, maxLength: 8 })
  .map((pairs) => pairs.map(([marker, any]) => marker + any).join(''));

const hostList = fc.constantFrom('localhost', 'h1.example:27017,h2.example:27018', '[::1]:27017', 'db.example.com', '', '127.0.0.1:1');
const tail = fc.constantFrom('', '/', '/admin', '/?replicaSet=rs0', '/db?authSource=admin&w=majority', '/?w=1', '?appName=x');

export interface Case {
  uri: string;
  user: string;
  password: string;
  /** the user info exactly as written in the string */
  rawUserInfo: string;
  encoded: boolean;
}

export const connectionString: fc.Arbitrary<Case> = fc
  .record({
    scheme: fc.constantFrom('mongodb://', 'mongodb+srv://', 'MONGODB://'),
    user: credential,
    password: credential,
    encoded: fc.boolean(),
    shape: fc.constantFrom('user:password@hosts', 'user@hosts', 'user:password (no host)', 'user:password@ (no host)', 'twice@'),
    hosts: hostList,
    tail,
  })
  .map(({ scheme, user, password, encoded, shape, hosts, tail: rest }) => {
    const u = encoded ? encodeURIComponent(user) : user;
    const p = encoded ? encodeURIComponent(password) : password;
    const rawUserInfo = shape === 'user@hosts' ? u : `${u}:${p}`;
    const uri =
      shape === 'user:password (no host)'
        ? `${scheme}${rawUserInfo}${rest}`
        : shape === 'user:password@ (no host)'
          ? `${scheme}${rawUserInfo}@${rest}`
          : shape === 'twice@'
            ? `${scheme}${rawUserInfo}@${hosts}@${hosts}${rest}`
            : `${scheme}${rawUserInfo}@${hosts}${rest}`;
    return { uri, user, password: shape === 'user@hosts' ? '' : password, rawUserInfo, encoded };
  });

function windows(text: string, length: number): string[] {
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i + length <= chars.length; i++) out.push(chars.slice(i, i + length).join(''));
  return out;
}

/**
 * Fails when any 3-character piece of the credentials (or 9-character piece of their
 * percent-encoded form) is in `output`. A string c2c-sync accepts means what the driver reads
 * from it: `mongodb://user:p@ss` is user `user`, password `p` and host `ss`; those are checked.
 */
export function assertNoCredential(output: string, generated: Case, where: string): void {
  const c = (usability.get(generated.uri) ?? usable(generated.uri)) ? asTheDriverReadsIt(generated) : generated;
  const pieces = [...windows(c.password, 3), ...windows(c.user, 3), ...(c.encoded ? windows(c.rawUserInfo, 9) : windows(c.rawUserInfo, 3))];
  const leaked = pieces.find((piece) => output.includes(piece));
  assert.equal(leaked, undefined, `${where} shows ${JSON.stringify(leaked)} of the credentials of ${JSON.stringify(c.uri)}:\n${output}`);
}

function asTheDriverReadsIt(c: Case): Case {
  const credentials = new MongoClient(c.uri).options.credentials;
  const rest = c.uri.replace(/^mongodb(\+srv)?:\/\//i, '');
  const at = rest.split(/[/?]/)[0]!.lastIndexOf('@');
  return { ...c, user: credentials?.username ?? '', password: credentials?.password ?? '', rawUserInfo: at < 0 ? '' : rest.slice(0, at) };
}

export const usability = new Map<string, boolean>();

/** Does c2c-sync accept `uri`? (Checking also remembers its credentials, as the configuration does.) */
export function usable(uri: string): boolean {
  let accepted: boolean;
  try {
    parseClusterConnectionString('cluster0', uri);
    accepted = true;
  } catch {
    accepted = false;
  }
  usability.set(uri, accepted);
  return accepted;
}

