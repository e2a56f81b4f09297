// The published OpenAPI document: generated from the zod schemas, consistent with the routes
// the server answers and with the status of every error name, and accurate for real bodies.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { API_ROUTES, buildOpenApiDocument } from '../../../src/api/openapi';
import { ERROR_NAMES, httpStatusFor } from '../../../src/api/errors';
import { startRequestBodySchema } from '../../../src/sync/start-options';
import { checkAgainstSchema, checkResponse } from './json-schema-check';

const document = buildOpenApiDocument('1.2.3');
const schemas = (document.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
const paths = document.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>;

function refs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refs);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' ? [value as string] : refs(value)));
}

describe('OpenAPI document', () => {
  test('is OpenAPI 3.1 with the version given and survives JSON serialisation', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.equal((document.info as { version: string }).version, '1.2.3');
    assert.deepEqual(JSON.parse(JSON.stringify(document)), document);
  });

  test('documents exactly the routes the server answers, with their methods', () => {
    assert.deepEqual(Object.keys(paths).sort(), Object.keys(API_ROUTES).sort());
    for (const [path, methods] of Object.entries(API_ROUTES)) {
      const documented = Object.keys(paths[path]!).map((m) => m.toUpperCase());
      assert.deepEqual(documented, methods.filter((m) => m !== 'HEAD'), path);
    }
  });

  test('every $ref resolves to a component schema', () => {
    const all = refs(document);
    assert.ok(all.length > 10);
    for (const ref of all) {
      const id = ref.replace('#/components/schemas/', '');
      assert.ok(schemas[id], `unresolved ${ref}`);
    }
  });

  test('the /start body schema is the zod schema the API validates with', () => {
    const { $schema: _dialect, ...generated } = z.toJSONSchema(startRequestBodySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    assert.deepEqual(schemas.StartRequest, generated);
    assert.deepEqual(schemas.StartRequest!.required, ['source', 'destination']);
    assert.equal(schemas.StartRequest!.additionalProperties, false);
    assert.deepEqual(schemas.CommandRequest, { type: 'object', properties: {}, additionalProperties: false, description: schemas.CommandRequest!.description });
  });

  test('mongosync’s documented /start examples conform; misspelt fields do not', () => {
    const examples = [
      { source: 'cluster0', destination: 'cluster1' },
      { source: 'cluster0', destination: 'cluster1', reversible: true, enableUserWriteBlocking: true },
      { source: 'cluster0', destination: 'cluster1', verification: { enabled: false } },
      {
        source: 'cluster0',
        destination: 'cluster1',
        includeNamespaces: [
          { database: 'sales', collectionsRegex: { pattern: '^accounts_.+$', options: 'i' } },
          { database: 'marketing' },
        ],
      },
      { source: 'cluster0', destination: 'cluster1', reversible: false, enableUserWriteBlocking: 'none' },
    ];
    for (const example of examples) assert.deepEqual(checkAgainstSchema(example, schemas.StartRequest!, document), [], JSON.stringify(example));
    assert.notDeepEqual(checkAgainstSchema({ source: 'cluster0', destination: 'cluster1', reversable: true }, schemas.StartRequest!, document), []);
    assert.notDeepEqual(checkAgainstSchema({ source: 'cluster2', destination: 'cluster1' }, schemas.StartRequest!, document), []);
  });

  test('each documented error status lists exactly the error names that map to it', () => {
    for (const name of ERROR_NAMES) assert.ok(httpStatusFor(name) >= 400, name);
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const names = /error is one of (.+)$/.exec(response.description)![1]!.split(', ');
          for (const name of names) assert.equal(httpStatusFor(name), Number(status), `${method} ${path}: ${name}`);
        }
      }
    }
  });

  test('envelopes of every kind conform to their documented responses', () => {
    assert.deepEqual(checkResponse(document, '/api/v1/commit', 'POST', 200, { success: true }), []);
    assert.deepEqual(
      checkResponse(document, '/api/v1/commit', 'POST', 409, { success: false, error: 'CannotCommit', errorDescription: 'not yet' }),
      [],
    );
    const idle = {
      progress: {
        state: 'IDLE', canCommit: false, canWrite: null, info: null, ceaStage: null, lag: null, lagTimeSeconds: null,
        totalEventsApplied: null, collectionCopy: null, directionMapping: null, mongosyncID: null, coordinatorID: null, verification: null,
      },
      success: true,
    };
    assert.deepEqual(checkResponse(document, '/api/v1/progress', 'GET', 200, idle), []);
    assert.notDeepEqual(checkResponse(document, '/api/v1/progress', 'GET', 200, { ...idle, progress: { ...idle.progress, state: 'DONE' } }), []);
    assert.notDeepEqual(checkResponse(document, '/api/v1/commit', 'POST', 200, { success: 'yes' }), []);
  });
});
