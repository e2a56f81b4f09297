// Server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 / RFC 7677) as MongoDB runs them over
// saslStart/saslContinue. Only derived keys are kept: a password never outlives deriveCredentials.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { saslprep } from '@mongodb-js/saslprep';
import { CommandError } from '../../engine/types';

export type ScramMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-1', 'SCRAM-SHA-256'];

/** The shape mongod keeps in admin.system.users `credentials.<mechanism>`. */
export interface ScramCredentials {
  iterationCount: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}

const PARAMETERS: Record<ScramMechanism, { hash: 'sha1' | 'sha256'; iterations: number; saltBytes: number }> = {
  'SCRAM-SHA-1': { hash: 'sha1', iterations: 10000, saltBytes: 16 },
  'SCRAM-SHA-256': { hash: 'sha256', iterations: 15000, saltBytes: 28 },
};

const pbkdf2Async = promisify(pbkdf2);

/** SCRAM-SHA-1 hashes the legacy MONGODB-CR digest; SCRAM-SHA-256 uses the SASLprep'd password. */
function passwordInput(mechanism: ScramMechanism, user: string, password: string): string {
  if (mechanism === 'SCRAM-SHA-1') return createHash('md5').update(`${user}:mongo:${password}`, 'utf8').digest('hex');
  return saslprep(password);
}

export async function deriveCredentials(mechanism: ScramMechanism, user: string, password: string): Promise<ScramCredentials> {
  const { hash, iterations, saltBytes } = PARAMETERS[mechanism];
  const salt = randomBytes(saltBytes);
  const salted = await pbkdf2Async(passwordInput(mechanism, user, password), salt, iterations, hash === 'sha1' ? 20 : 32, hash);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    iterationCount: iterations,
    salt: salt.toString('base64'),
    storedKey: createHash(hash).update(clientKey).digest('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}

function hmac(hash: string, key: Buffer, text: string): Buffer {
  return createHmac(hash, key).update(text, 'utf8').digest();
}

function authenticationFailed(): CommandError {
  return new CommandError(18, 'AuthenticationFailed', 'Authentication failed.');
}

/** RFC 5802 attribute list "a=1,b=2" into a map. */
function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) attributes.set(part[0], part.slice(2));
  }
  return attributes;
}

function decodeSaslName(name: string): string {
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ClientFirst {
  user: string;
  clientNonce: string;
  bare: string;
  /** "n,," or "y,,": the client echoes it base64-encoded as c= in its final message */
  gs2Header: string;
}

/** Parses "n,,n=user,r=nonce"; rejects channel binding, which MongoDB does not offer. */
export function parseClientFirst(payload: string): ClientFirst {
  const match = /^([nyp])(=[^,]*)?,(a=[^,]*)?,(.*)$/.exec(payload);
  if (!match) throw new CommandError(17, 'ProtocolError', 'Invalid SCRAM client first message');
  if (match[1] === 'p') throw new CommandError(2, 'BadValue', 'Server does not support channel binding');
  const bare = match[4];
  const attributes = parseAttributes(bare);
  const user = attributes.get('n');
  const clientNonce = attributes.get('r');
  if (user === undefined || clientNonce === undefined || clientNonce === '') {
    throw new CommandError(17, 'ProtocolError', 'Invalid SCRAM client first message');
  }
  const decoded = decodeSaslName(user);
  if (match[3] && decodeSaslName(match[3].slice(2)) !== decoded) throw authenticationFailed();
  return { user: decoded, clientNonce, bare, gs2Header: payload.slice(0, payload.length - bare.length) };
}

/** One SCRAM exchange after the client-first message has named a user with credentials. */
export class ScramConversation {
  readonly serverFirst: string;
  private readonly nonce: string;
  private finished = false;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly clientFirst: ClientFirst,
    private readonly credentials: ScramCredentials,
  ) {
    this.nonce = clientFirst.clientNonce + randomBytes(24).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${credentials.salt},i=${credentials.iterationCount}`;
  }

  /** Verifies "c=biws,r=nonce,p=proof" and returns the server-final message "v=signature". */
  finish(clientFinal: string): string {
    if (this.finished) throw new CommandError(17, 'ProtocolError', 'SCRAM conversation already completed');
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw authenticationFailed();
    const withoutProof = clientFinal.slice(0, proofAt);
    const attributes = parseAttributes(withoutProof);
    if (attributes.get('r') !== this.nonce) throw authenticationFailed();
    if (attributes.get('c') !== Buffer.from(this.clientFirst.gs2Header, 'utf8').toString('base64')) {
      throw authenticationFailed();
    }
    const { hash } = PARAMETERS[this.mechanism];
    const authMessage = `${this.clientFirst.bare},${this.serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(this.credentials.storedKey, 'base64');
    const clientSignature = createHmac(hash, storedKey).update(authMessage, 'utf8').digest();
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    if (proof.length !== clientSignature.length) throw authenticationFailed();
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i];
    if (!timingSafeEqual(createHash(hash).update(clientKey).digest(), storedKey)) throw authenticationFailed();
    this.finished = true;
    const serverKey = Buffer.from(this.credentials.serverKey, 'base64');
    return `v=${createHmac(hash, serverKey).update(authMessage, 'utf8').digest('base64')}`;
  }
}
