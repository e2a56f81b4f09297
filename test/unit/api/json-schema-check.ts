// A small JSON Schema checker for the keywords the OpenAPI document uses (type, const, enum,
// properties, required, additionalProperties, items, anyOf, minimum/maximum, $ref into
// components). Tests use it to check bodies against the published document itself.
type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** Problems of `value` against `schema`, as 'path: problem' lines; empty when it conforms. */
export function checkAgainstSchema(value: unknown, schema: Schema, document: Schema, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], document);
    if (!target) return [`${path}: unresolvable $ref ${schema.$ref}`];
    return checkAgainstSchema(value, target as Schema, document, path);
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as Schema[]).map((branch) => checkAgainstSchema(value, branch, document, path));
    return branches.some((problems) => problems.length === 0) ? [] : [`${path}: matches no anyOf branch (${branches.flat().join('; ')})`];
  }
  const problems: string[] = [];
  if (typeof schema.type === 'string' && !typeMatches(schema.type, value)) return [`${path}: expected ${schema.type}, got ${typeOf(value)}`];
  if ('const' in schema && value !== schema.const) problems.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${path}: above ${schema.maximum}`);
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in object)) problems.push(`${path}: missing required '${key}'`);
    }
    for (const [key, child] of Object.entries(object)) {
      if (properties[key]) problems.push(...checkAgainstSchema(child, properties[key], document, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}: unexpected property '${key}'`);
    }
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === 'object') {
    value.forEach((item, i) => problems.push(...checkAgainstSchema(item, schema.items as Schema, document, `${path}[${i}]`)));
  }
  return problems;
}

/** Problems of a response body against the document's schema for that operation and status. */
export function checkResponse(document: Schema, path: string, method: string, status: number, body: unknown): string[] {
  const operation = ((document.paths as Schema)[path] as Schema | undefined)?.[method.toLowerCase()] as Schema | undefined;
  if (!operation) return [`no operation ${method} ${path} in the document`];
  const response = (operation.responses as Schema)[String(status)] as Schema | undefined;
  if (!response) return [`${method} ${path}: status ${status} is not documented`];
  const schema = ((response.content as Schema)['application/json'] as Schema | undefined)?.schema as Schema | undefined;
  if (!schema) return [`${method} ${path} ${status}: no JSON schema documented`];
  return checkAgainstSchema(body, schema, document);
}
