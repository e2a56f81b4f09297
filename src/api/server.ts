// The HTTP API: mongosync's endpoints and envelopes on fastify, plus /metrics and the OpenAPI
// document. Routes only validate and translate; the SyncController does the work.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Progress } from '../sync/progress';
import { parseStartOptions } from '../sync/start-options';
import { SyncError, SyncErrorName } from '../sync/errors';
import { ApiErrorName, errorResponse, toErrorResponse, type ErrorResponse } from './errors';
import { API_BASE_PATH, API_ROUTES, buildOpenApiDocument, COMMANDS, type CommandName } from './openapi';
import { parseCommandBody, parseJsonBody } from './request-body';
import { checkRequest, type RequestGuardOptions } from './request-guard';
import { commandRequestBodySchema } from './schemas';
import { STATUS_PAGE_HEADERS, STATUS_PAGE_HTML } from './status-page';

/** What the API needs from a sync: SyncController implements it. */
export interface SyncCommands {
  start(body: unknown): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  commit(): Promise<void>;
  reverse(): Promise<void>;
  clear(): Promise<void>;
  progress(): Promise<Progress>;
}

export interface MetricsEndpoint {
  contentType: string;
  /** refreshes the gauges and renders the exposition text */
  render(): Promise<string>;
  observeRequest(route: string, method: string, status: number): void;
}

export interface ApiServerOptions {
  sync: SyncCommands;
  version: string;
  logger?: Logger;
  metrics?: MetricsEndpoint;
  /** how long a command may wait for the workflow before 504 CommandTimeout (default 5 minutes) */
  commandTimeoutMs?: number;
  /** the same for /progress (default 30 seconds) */
  progressTimeoutMs?: number;
  /** largest accepted request body in bytes (default 1 MiB) */
  bodyLimit?: number;
  /** who may use the API (see request-guard.ts); without it every request is served */
  guard?: RequestGuardOptions;
  /** serve HTTPS with this certificate and key (PEM) */
  tls?: { cert: Buffer | string; key: Buffer | string };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SyncError(
            ApiErrorName.CommandTimeout,
            `${what} got no answer from the sync workflow within ${Math.round(ms / 1000)} s; ` +
              'check that a c2c-sync worker is running. A command may still take effect when one does.',
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function send(reply: FastifyReply, response: ErrorResponse): FastifyReply {
  return reply.code(response.status).type('application/json').send(response.body);
}

/** How often a closing server looks for connections that turned idle. */
const CLOSE_SWEEP_MS = 50;

export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const commandTimeoutMs = options.commandTimeoutMs ?? 5 * 60_000;
  const progressTimeoutMs = options.progressTimeoutMs ?? 30_000;
  const log = options.logger?.child({ componentName: 'HTTP API' });
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
  });

  // Node closes the idle keep-alive connections once, when close() begins. A connection whose
  // request was still being answered then turns idle only afterwards, and would hold the close
  // for the keep-alive timeout (72 s): a Ctrl-C just after a request took that long to exit.
  // Until the server has closed, each connection is closed as soon as it turns idle.
  app.addHook('preClose', (done) => {
    const sweep = setInterval(() => app.server.closeIdleConnections(), CLOSE_SWEEP_MS);
    sweep.unref();
    app.server.once('close', () => clearInterval(sweep));
    done();
  });

  // Every body is read as text and parsed as JSON in the route, whatever the Content-Type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: unknown, request, reply) => {
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    let response: ErrorResponse;
    if (statusCode === 413) {
      response = errorResponse(ApiErrorName.PayloadTooLarge, `the request body is larger than ${app.initialConfig.bodyLimit} bytes`);
    } else if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && !(error instanceof SyncError)) {
      response = errorResponse(SyncErrorName.InvalidRequest, (error as Error).message);
    } else {
      response = toErrorResponse(error);
    }
    const level = response.status >= 500 ? 'error' : 'warn';
    request.log[level]({ route: request.url, error: response.body.error, errorDescription: response.body.errorDescription }, 'request failed');
    return send(reply, response);
  });

  const guard = options.guard;
  if (guard) {
    app.addHook('onRequest', async (request, reply) => {
      const verdict = checkRequest(request, guard);
      if (verdict.allowed) return;
      const name = verdict.reason === 'token' ? ApiErrorName.Unauthorized : ApiErrorName.Forbidden;
      if (name === ApiErrorName.Unauthorized) {
        // the page asks the browser for the token (as a Basic password); scripts send a Bearer token
        const page = request.url.split('?')[0] === '/';
        reply.header('WWW-Authenticate', page ? 'Basic realm="c2c-sync", charset="UTF-8"' : 'Bearer realm="c2c-sync"');
      }
      request.log.warn({ route: request.url.split('?')[0], method: request.method, refused: verdict.reason }, 'request refused');
      return send(reply, errorResponse(name, verdict.description));
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = API_ROUTES[path];
    if (allowed) {
      reply.header('Allow', allowed.join(', '));
      return send(reply, errorResponse(ApiErrorName.MethodNotAllowed, `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}`));
    }
    return send(reply, errorResponse(ApiErrorName.NotFound, `no such endpoint: ${request.method} ${path}`));
  });

  if (options.metrics) {
    const metrics = options.metrics;
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(request.routeOptions.url ?? 'unknown', request.method, reply.statusCode);
    });
    app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  }

  app.get('/', async (_request, reply) => reply.headers(STATUS_PAGE_HEADERS).send(STATUS_PAGE_HTML));

  const openApi = buildOpenApiDocument(options.version);
  app.get(`${API_BASE_PATH}/openapi.json`, async () => openApi);

  app.post(`${API_BASE_PATH}/start`, async (request: FastifyRequest<{ Body: string | undefined }>) => {
    const body = parseJsonBody(request.body);
    const parsed = parseStartOptions(body);
    if (!parsed.ok) throw new SyncError(parsed.error.error, parsed.error.errorDescription);
    await withTimeout(options.sync.start(body), commandTimeoutMs, '/start');
    request.log.info({ command: 'start', source: parsed.options.source, destination: parsed.options.destination }, 'sync started');
    return { success: true };
  });

  for (const command of COMMANDS) {
    app.post(`${API_BASE_PATH}/${command}`, async (request: FastifyRequest<{ Body: string | undefined }>) => {
      parseCommandBody(command, request.body, commandRequestBodySchema);
      await withTimeout(runCommand(options.sync, command), commandTimeoutMs, `/${command}`);
      request.log.info({ command }, `${command} accepted`);
      return { success: true };
    });
  }

  app.get(`${API_BASE_PATH}/progress`, async () => {
    const progress = await withTimeout(options.sync.progress(), progressTimeoutMs, '/progress');
    return { progress, success: true };
  });

  await app.ready();
  return app;
}

function runCommand(sync: SyncCommands, command: CommandName): Promise<void> {
  switch (command) {
    case 'pause':
      return sync.pause();
    case 'resume':
      return sync.resume();
    case 'commit':
      return sync.commit();
    case 'reverse':
      return sync.reverse();
    case 'clear':
      return sync.clear();
  }
}
