// Credentials must never reach logs, errors or API responses.
//
// Three layers, because a connection string with an unescaped '@', '/' or ':' in its password
// cannot be split reliably into user info and hosts:
// - a connection string found in text loses everything between its scheme and the last '@' on
//   that line (over-redacting a host list is harmless; leaving a piece of a password is not);
// - secret URI options (password, authMechanismProperties, ...) lose their values;
// - the credentials of every connection string this process was configured with are
//   remembered (rememberCredentialsOf) and removed wherever they appear, with or without their
//   scheme, raw or percent-decoded: a driver error that quotes only a password is caught too.

const SCHEME = /mongodb(?:\+srv)?:\/\//gi;
const SECRET_OPTIONS = ['password', 'authMechanismProperties', 'tlsCertificateKeyFilePassword', 'sslPEMKeyPassword', 'proxyPassword', 'proxyUsername'];
const SECRET_QUERY_OPTIONS = new RegExp(`([?&](?:${SECRET_OPTIONS.join('|')})=)[^&\\s]*`, 'gi');
export const REDACTED_CREDENTIALS = '<credentials>';
const REDACTED = '<redacted>';
/** Shorter secrets are not searched for in free text: they would blank out ordinary words. */
const MIN_REMEMBERED_LENGTH = 3;

const remembered = new Set<string>();

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * True when the host list `authority` (up to the first '/' or '?') reads as `user:password`
 * forgotten before '@': a host whose "port" is not a number.
 */
function looksLikeUserInfoWithoutHost(authority: string): boolean {
  return authority.split(',').some((host) => {
    if (host.startsWith('[')) return false;
    const colon = host.indexOf(':');
    return colon >= 0 && !/^\d*$/.test(host.slice(colon + 1));
  });
}

/**
 * Every piece of `uri` that may be secret: the user info up to each '@' (whatever a malformed
 * string means), the password as written and decoded, `user:password` forgotten before the
 * host, and the values of secret options. Works on any string, parsable or not.
 */
export function credentialsOf(uri: string): string[] {
  const pieces = new Set<string>();
  const add = (piece: string | undefined): void => {
    if (piece) pieces.add(piece);
  };
  const scheme = /^\s*mongodb(?:\+srv)?:\/\//i.exec(uri);
  const rest = scheme ? uri.slice(scheme[0].length) : uri;
  const ats = [...rest.matchAll(/@/g)].map((match) => match.index);
  // each '@' could end the user info, whatever a malformed string means
  for (const at of ats) {
    const userinfo = rest.slice(0, at);
    add(userinfo);
    add(decoded(userinfo));
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      const password = userinfo.slice(colon + 1);
      add(password);
      add(decoded(password));
    }
  }
  if (ats.length === 0) {
    const authority = rest.split(/[/?]/)[0]!;
    if (looksLikeUserInfoWithoutHost(authority)) {
      add(rest);
      add(authority);
      add(authority.slice(authority.indexOf(':') + 1));
    }
  }
  for (const match of uri.matchAll(SECRET_QUERY_OPTIONS)) {
    const value = match[0].slice(match[1]!.length);
    add(value);
    add(decoded(value));
  }
  return [...pieces];
}

/** Remembers the credentials of a connection string this process uses, to remove them from any text. */
export function rememberCredentialsOf(uri: string): void {
  for (const piece of credentialsOf(uri)) {
    if (piece.length >= MIN_REMEMBERED_LENGTH) remembered.add(piece);
  }
}

/** Remembers a piece of text that may hold credentials in any of its parts (a connection string that cannot be split reliably). */
export function rememberSecret(text: string): void {
  if (text.length >= MIN_REMEMBERED_LENGTH) remembered.add(text);
}

/** For tests: forget every remembered credential. */
export function forgetRememberedCredentials(): void {
  remembered.clear();
}

/** `text` with user info removed from every connection string in it, scheme to the last '@' on its line. */
function redactUserInfo(text: string): string {
  let out = '';
  let from = 0;
  for (const match of text.matchAll(SCHEME)) {
    const start = match.index + match[0].length;
    if (start <= from) continue;
    const lineEnd = text.indexOf('\n', start);
    const nextScheme = text.slice(start, lineEnd < 0 ? undefined : lineEnd).search(/mongodb(?:\+srv)?:\/\//i);
    const end = nextScheme >= 0 ? start + nextScheme : lineEnd < 0 ? text.length : lineEnd;
    const at = text.lastIndexOf('@', end - 1);
    if (at >= start) {
      out += text.slice(from, start) + REDACTED_CREDENTIALS;
      from = at;
    } else {
      // a connection string in prose may be followed by punctuation that is not part of it
      const token = /^\S*/.exec(text.slice(start, end))![0].replace(/[)\]}.,;:'"]+$/, '');
      if (looksLikeUserInfoWithoutHost(token.split(/[/?]/)[0]!)) {
        // `user:password` with '@' and host forgotten: nothing after the scheme is a host
        out += text.slice(from, start) + REDACTED_CREDENTIALS;
        from = start + token.length;
      }
    }
  }
  return out + text.slice(from);
}

function removeRemembered(text: string): string {
  let out = text;
  // longest first, so that a password inside a remembered user info does not split it
  for (const secret of [...remembered].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** `text` with credentials removed: user info and secret options of connection strings, and every remembered credential. */
export function redactCredentials(text: string): string {
  return redactUserInfo(removeRemembered(text)).replace(SECRET_QUERY_OPTIONS, `$1${REDACTED}`);
}

/** A connection string as it may be shown: `mongodb://<credentials>@host/db?options`, secret options removed. */
export function redactConnectionString(uri: string): string {
  const known = removeRemembered(uri);
  const scheme = /^\s*mongodb(?:\+srv)?:\/\//i.exec(known);
  const prefix = scheme ? scheme[0] : '';
  const rest = known.slice(prefix.length);
  const at = rest.lastIndexOf('@');
  const authority = rest.split(/[/?]/)[0]!;
  const shown =
    at >= 0
      ? `${prefix}${REDACTED_CREDENTIALS}${rest.slice(at)}`
      : looksLikeUserInfoWithoutHost(authority)
        ? `${prefix}${REDACTED_CREDENTIALS}`
        : known;
  return shown.replace(SECRET_QUERY_OPTIONS, `$1${REDACTED}`);
}

/**
 * `text` with every run of at least `minLength` characters that also occurs in one of
 * `secrets` replaced: for messages that may quote any fragment of a malformed connection string.
 */
export function removeFragmentsOf(text: string, secrets: readonly string[], minLength = 3): string {
  const candidates = secrets.filter((secret) => secret.length >= minLength);
  if (candidates.length === 0) return text;
  const occursInSecret = (fragment: string): boolean => candidates.some((secret) => secret.includes(fragment));
  let out = '';
  let i = 0;
  while (i < text.length) {
    let length = 0;
    while (i + length < text.length && occursInSecret(text.slice(i, i + length + 1))) length++;
    if (length >= minLength) {
      out += REDACTED;
      i += length;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** An error's message with credentials removed, for errors that may quote a connection string. */
export function redactedMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactCredentials(message);
}
