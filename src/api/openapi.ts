// The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas that validate it.
import { z } from 'zod';
import { ERROR_NAMES, httpStatusFor } from './errors';
import {
  commandRequestBodySchema,
  errorEnvelopeSchema,
  progressEnvelopeSchema,
  progressSchema,
  startRequestBodySchema,
  successEnvelopeSchema,
} from './schemas';

export const API_BASE_PATH = '/api/v1';
/** mongosync's commands, and `clear`, c2c-sync's own: it ends a FAILED sync so /start works again. */
export const COMMANDS = ['pause', 'resume', 'commit', 'reverse', 'clear'] as const;
export type CommandName = (typeof COMMANDS)[number];

type JsonObject = Record<string, unknown>;

/** Every path the server answers, with its methods (anything else is 404 or 405). */
export const API_ROUTES: Readonly<Record<string, readonly string[]>> = {
  [`${API_BASE_PATH}/start`]: ['POST'],
  [`${API_BASE_PATH}/progress`]: ['GET', 'HEAD'],
  [`${API_BASE_PATH}/openapi.json`]: ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/': ['GET', 'HEAD'],
  ...Object.fromEntries(COMMANDS.map((command) => [`${API_BASE_PATH}/${command}`, ['POST']])),
};

function componentSchemas(): JsonObject {
  const registry = z.registry<{ id: string }>();
  registry.add(startRequestBodySchema, { id: 'StartRequest' });
  registry.add(commandRequestBodySchema, { id: 'CommandRequest' });
  registry.add(successEnvelopeSchema, { id: 'Success' });
  registry.add(errorEnvelopeSchema, { id: 'Error' });
  registry.add(progressSchema, { id: 'Progress' });
  registry.add(progressEnvelopeSchema, { id: 'ProgressResponse' });
  const generated = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const schemas: JsonObject = {};
  for (const [id, schema] of Object.entries(generated.schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
    schemas[id] = rest;
  }
  return schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string) => ({ 'application/json': { schema: ref(id) } });

function errorResponses(names: readonly string[]): JsonObject {
  const byStatus = new Map<number, string[]>();
  for (const name of names) {
    const status = httpStatusFor(name);
    byStatus.set(status, [...(byStatus.get(status) ?? []), name]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusNames]) => [
      String(status),
      { description: `success false; error is one of ${statusNames.join(', ')}`, content: json('Error') },
    ]),
  );
}

/** Refusals of the request guard (request-guard.ts), on every path. */
const GUARD_ERRORS = ['Unauthorized', 'Forbidden'];
const COMMON_ERRORS = [...GUARD_ERRORS, 'InternalError', 'TemporalUnavailable', 'CommandTimeout'];

const COMMAND_DESCRIPTIONS: Record<CommandName, string> = {
  pause: 'RUNNING → PAUSED. Copy and change event application stop at a checkpoint.',
  resume: 'PAUSED → RUNNING, from the checkpoint.',
  commit: 'RUNNING (canCommit true) → COMMITTING → COMMITTED: cut over to the destination.',
  reverse: 'COMMITTED → REVERSING → RUNNING in the opposite direction (needs reversible and enableUserWriteBlocking).',
  clear:
    'FAILED → IDLE (c2c-sync only): tries again to release write blocks the failed sync left set, then ends it, so /start is allowed again.',
};

const COMMAND_ERRORS: Record<CommandName, string[]> = {
  pause: ['InvalidRequest', 'InvalidState'],
  resume: ['InvalidRequest', 'InvalidState'],
  commit: ['InvalidRequest', 'InvalidState', 'CannotCommit'],
  reverse: ['InvalidRequest', 'InvalidState', 'NotReversible'],
  clear: ['InvalidRequest', 'InvalidState'],
};

/** The request body is read as JSON whatever its Content-Type; these are the ones documented. */
const BODY_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain'];

function requestBody(id: string, required: boolean): JsonObject {
  return {
    required,
    description: 'JSON, whatever the Content-Type header says (curl --data and mongosync examples send none or a form type).',
    content: Object.fromEntries(BODY_MEDIA_TYPES.map((type) => [type, { schema: ref(id) }])),
  };
}

export function buildOpenApiDocument(version: string): JsonObject {
  const paths: JsonObject = {
    [`${API_BASE_PATH}/start`]: {
      post: {
        operationId: 'start',
        summary: 'Start a sync (IDLE → RUNNING)',
        description: "mongosync's /start: validates the body, starts the sync workflow and returns once its preflight checks pass.",
        requestBody: requestBody('StartRequest', true),
        responses: {
          '200': { description: 'started', content: json('Success') },
          ...errorResponses([
            'InvalidRequest',
            'InvalidStartRequest',
            'UnsupportedStartOption',
            'InvalidState',
            'PreflightFailed',
            'InsufficientDestinationDiskSpace',
            ...COMMON_ERRORS,
          ]),
        },
      },
    },
    [`${API_BASE_PATH}/progress`]: {
      get: {
        operationId: 'progress',
        summary: 'Progress and state of the sync',
        responses: {
          '200': { description: 'the progress object', content: json('ProgressResponse') },
          ...errorResponses(COMMON_ERRORS),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        responses: {
          '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorResponses(GUARD_ERRORS),
        },
      },
    },
    '/': {
      get: {
        operationId: 'statusPage',
        summary: 'The status page (HTML): state, copy, lag, events, warnings and command buttons, read from this API',
        responses: {
          '200': { description: 'an HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
          ...errorResponses(GUARD_ERRORS),
        },
      },
    },
    [`${API_BASE_PATH}/openapi.json`]: {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        responses: {
          '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } },
          ...errorResponses(GUARD_ERRORS),
        },
      },
    },
  };
  for (const command of COMMANDS) {
    paths[`${API_BASE_PATH}/${command}`] = {
      post: {
        operationId: command,
        summary: COMMAND_DESCRIPTIONS[command],
        requestBody: requestBody('CommandRequest', false),
        responses: {
          '200': { description: 'accepted', content: json('Success') },
          ...errorResponses([...COMMAND_ERRORS[command], ...COMMON_ERRORS]),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'c2c-sync API',
      version,
      description:
        "mongosync's HTTP API (1.x, with the reversible and enableUserWriteBlocking booleans). Every error answers " +
        `{"success":false,"error":NAME,"errorDescription":TEXT}; error names: ${ERROR_NAMES.join(', ')}. ` +
        'Unknown paths answer 404 and known paths with another method 405, in the same envelope. ' +
        'A Host header that does not name the service, or a state-changing request a web page of another origin sends, ' +
        'answers 403 Forbidden; when the service has an API token (required when it listens beyond loopback), every ' +
        'request needs Authorization: Bearer <token>, else 401 Unauthorized.',
    },
    paths,
    security: [{}, { apiToken: [] }],
    components: {
      schemas: componentSchemas(),
      securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'the service API token (--api-token), when it has one' } },
    },
  };
}
