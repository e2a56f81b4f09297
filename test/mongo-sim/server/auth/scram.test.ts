import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { CommandError } from '../../engine/types';
import { deriveCredentials, parseClientFirst, ScramConversation } from './scram';

/** The client side of RFC 5802, written from the RFC, to drive the server conversation. */
function clientFinal(password: string, clientFirstBare: string, serverFirst: string): { message: string; expectedServerSignature: string } {
  const attrs = new Map(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.get('s') as string, 'base64'), Number(attrs.get('i')), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.get('r')}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return {
    message: `${withoutProof},p=${proof.toString('base64')}`,
    expectedServerSignature: createHmac('sha256', serverKey).update(authMessage).digest('base64'),
  };
}

test('a SCRAM-SHA-256 exchange succeeds with the right password and proves the server', async () => {
  const credentials = await deriveCredentials('SCRAM-SHA-256', 'u', 'secret');
  assert.equal(credentials.iterationCount, 15000);
  assert.equal(Buffer.from(credentials.salt, 'base64').length, 28);
  const first = parseClientFirst('n,,n=u,r=clientnonce');
  const conversation = new ScramConversation('SCRAM-SHA-256', first, credentials);
  assert.match(conversation.serverFirst, /^r=clientnonce[A-Za-z0-9+/=]+,s=[A-Za-z0-9+/=]+,i=15000$/);
  const { message, expectedServerSignature } = clientFinal('secret', first.bare, conversation.serverFirst);
  assert.equal(conversation.finish(message), `v=${expectedServerSignature}`);
});

test('a wrong password fails with 18 AuthenticationFailed', async () => {
  const credentials = await deriveCredentials('SCRAM-SHA-256', 'u', 'secret');
  const first = parseClientFirst('n,,n=u,r=abc');
  const conversation = new ScramConversation('SCRAM-SHA-256', first, credentials);
  const { message } = clientFinal('guess', first.bare, conversation.serverFirst);
  assert.throws(() => conversation.finish(message), (e: unknown) => e instanceof CommandError && e.code === 18 && e.message === 'Authentication failed.');
});

test('a final message with a different nonce is rejected', async () => {
  const credentials = await deriveCredentials('SCRAM-SHA-256', 'u', 'secret');
  const first = parseClientFirst('n,,n=u,r=abc');
  const conversation = new ScramConversation('SCRAM-SHA-256', first, credentials);
  assert.throws(() => conversation.finish('c=biws,r=abcOTHER,p=AAAA'), (e: unknown) => e instanceof CommandError && e.code === 18);
});

test('client-first parsing decodes escaped names and refuses channel binding', () => {
  assert.equal(parseClientFirst('n,,n=a=2Cb=3Dc,r=x').user, 'a,b=c');
  assert.throws(() => parseClientFirst('p=tls-unique,,n=u,r=x'), (e: unknown) => e instanceof CommandError);
  assert.throws(() => parseClientFirst('garbage'), (e: unknown) => e instanceof CommandError);
});

test('SCRAM-SHA-1 credentials use 10000 iterations and a 16-byte salt', async () => {
  const credentials = await deriveCredentials('SCRAM-SHA-1', 'u', 'secret');
  assert.equal(credentials.iterationCount, 10000);
  assert.equal(Buffer.from(credentials.salt, 'base64').length, 16);
  assert.doesNotMatch(JSON.stringify(credentials), /secret/);
});
