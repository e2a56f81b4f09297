// Credentials must never reach logs, errors or API responses.

const CREDENTIALS_IN_URI = /(mongodb(?:\+srv)?:\/\/)[^@/\s]*@/gi;
const SECRET_QUERY_OPTIONS = /([?&](?:password|authMechanismProperties|tlsCertificateKeyFilePassword|sslPEMKeyPassword|proxyPassword)=)[^&\s]*/gi;

/** Replaces user info and secret options in every MongoDB connection string found in `text`. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS_IN_URI, '$1<credentials>@').replace(SECRET_QUERY_OPTIONS, '$1<redacted>');
}

/** An error's message with credentials removed, for errors that may quote a connection string. */
export function redactedMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactCredentials(message);
}
