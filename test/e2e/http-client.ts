// Calls the c2c-sync API over HTTP as users do (fetch, and curl exactly as mongosync's docs
// show), and checks every answer against the published OpenAPI document.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '../../src/api/openapi';
import { progressEnvelopeSchema } from '../../src/api/schemas';
import { checkResponse } from '../unit/api/json-schema-check';
import { pollProgress } from '../support/poll';
import type { Progress } from '../../src/sync/progress';

const execFileAsync = promisify(execFile);
const document = buildOpenApiDocument('e2e');

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** Documented routes are checked against their OpenAPI schema; others only for the envelope. */
function checkAnswer(method: string, path: string, answer: HttpAnswer): void {
  const route = path.split('?')[0]!;
  const documented = (document.paths as Record<string, Record<string, unknown>>)[route]?.[method.toLowerCase()];
  if (documented && route !== '/metrics' && !route.endsWith('openapi.json')) {
    assert.deepEqual(checkResponse(document, route, method, answer.status, answer.body), [], `${method} ${path} ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  if (route.endsWith('/progress') && answer.status === 200) progressEnvelopeSchema.parse(answer.body);
  if (answer.status >= 400) {
    assert.deepEqual(Object.keys(answer.body), ['success', 'error', 'errorDescription'], JSON.stringify(answer.body));
    assert.equal(answer.body.success, false);
  }
}

export class ApiCaller {
  constructor(readonly baseUrl: string) {}

  async call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const answer = { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
    checkAnswer(method, path, answer);
    return answer;
  }

  post(command: string, body = '{}'): Promise<HttpAnswer> {
    return this.call('POST', `/api/v1/${command}`, body, { 'content-type': 'application/json' });
  }

  async progress(): Promise<Progress> {
    const answer = await this.call('GET', '/api/v1/progress');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return progressEnvelopeSchema.parse(answer.body).progress;
  }

  /** `curl localhost:PORT/api/v1/<command> -XPOST --data '<body>'`, as in mongosync's docs. */
  async curl(command: string, data: string): Promise<HttpAnswer> {
    const url = new URL(this.baseUrl);
    const { stdout } = await execFileAsync('curl', ['-s', '-w', '\n%{http_code}', `localhost:${url.port}/api/v1/${command}`, '-XPOST', '--data', data]);
    const lines = stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    const answer = { status, body: JSON.parse(lines.join('\n')) as Record<string, unknown>, headers: new Headers() };
    checkAnswer('POST', `/api/v1/${command}`, answer);
    return answer;
  }

  async waitFor(done: (progress: Progress) => boolean, timeoutMs = 90_000): Promise<Progress> {
    return pollProgress(() => this.progress(), done, timeoutMs);
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.baseUrl}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `));
    assert.ok(line, `metric ${name} not found`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
}

/** Asserts a refused call: status, error name, a description pattern. */
export function assertRefused(answer: HttpAnswer, status: number, error: string, description: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error, error, JSON.stringify(answer.body));
  assert.match(String(answer.body.errorDescription), description);
}
