// The `$jsonSchema` keywords the server supports (draft 4 subset plus bsonType), evaluated on
// typed documents or query views. Returns the failed rules; empty means valid.
import { bsonTypeName, isNumeric, isPlainDocument, toNumber } from '../bson/values';
import { bsonEquals, compareValues } from '../bson/compare';

type Schema = Record<string, unknown>;

export interface SchemaFailure {
  path: string;
  keyword: string;
}

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  object: (v) => isPlainDocument(v),
  array: (v) => Array.isArray(v),
  number: (v) => isNumeric(v),
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
  null: (v) => v === null,
};

function matchesBsonType(v: unknown, type: string): boolean {
  if (type === 'number') return isNumeric(v);
  if (type === 'object') return isPlainDocument(v);
  if (type === 'bool' || type === 'boolean') return typeof v === 'boolean';
  return bsonTypeName(v) === type;
}

function oneOrMany(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function check(schema: Schema, v: unknown, path: string, out: SchemaFailure[]): void {
  const fail = (keyword: string): void => {
    out.push({ path, keyword });
  };
  if (schema.bsonType !== undefined && !oneOrMany(schema.bsonType).some((t) => matchesBsonType(v, t))) fail('bsonType');
  if (schema.type !== undefined && !oneOrMany(schema.type).some((t) => JSON_TYPES[t]?.(v))) fail('type');
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => bsonEquals(e, v) || compareValues(e, v) === 0)) fail('enum');
  if (isNumeric(v)) {
    const n = toNumber(v) as number;
    const min = toNumber(schema.minimum);
    const max = toNumber(schema.maximum);
    if (min !== undefined && (schema.exclusiveMinimum === true ? n <= min : n < min)) fail('minimum');
    if (max !== undefined && (schema.exclusiveMaximum === true ? n >= max : n > max)) fail('maximum');
    const mult = toNumber(schema.multipleOf);
    if (mult !== undefined && mult !== 0 && n % mult !== 0) fail('multipleOf');
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    const minLength = toNumber(schema.minLength);
    const maxLength = toNumber(schema.maxLength);
    if (minLength !== undefined && len < minLength) fail('minLength');
    if (maxLength !== undefined && len > maxLength) fail('maxLength');
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) fail('pattern');
  }
  if (Array.isArray(v)) {
    const minItems = toNumber(schema.minItems);
    const maxItems = toNumber(schema.maxItems);
    if (minItems !== undefined && v.length < minItems) fail('minItems');
    if (maxItems !== undefined && v.length > maxItems) fail('maxItems');
    if (schema.uniqueItems === true && v.some((x, i) => v.findIndex((y) => compareValues(x, y) === 0) !== i)) fail('uniqueItems');
    if (isPlainDocument(schema.items)) v.forEach((x, i) => check(schema.items as Schema, x, `${path}.${i}`, out));
    else if (Array.isArray(schema.items)) {
      const tuple = schema.items as Schema[];
      v.forEach((x, i) => {
        if (i < tuple.length) check(tuple[i], x, `${path}.${i}`, out);
        else if (schema.additionalItems === false) fail('additionalItems');
        else if (isPlainDocument(schema.additionalItems)) check(schema.additionalItems as Schema, x, `${path}.${i}`, out);
      });
    }
  }
  if (isPlainDocument(v)) checkObject(schema, v, path, out, fail);
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) check(s, v, path, out);
  if (Array.isArray(schema.anyOf) && !(schema.anyOf as Schema[]).some((s) => validateAt(s, v, path).length === 0)) fail('anyOf');
  if (Array.isArray(schema.oneOf) && (schema.oneOf as Schema[]).filter((s) => validateAt(s, v, path).length === 0).length !== 1) {
    fail('oneOf');
  }
  if (isPlainDocument(schema.not) && validateAt(schema.not as Schema, v, path).length === 0) fail('not');
}

function checkObject(schema: Schema, v: Record<string, unknown>, path: string, out: SchemaFailure[], fail: (k: string) => void): void {
  const keys = Object.keys(v);
  if (Array.isArray(schema.required)) {
    for (const r of schema.required as string[]) if (!(r in v)) fail('required');
  }
  const minP = toNumber(schema.minProperties);
  const maxP = toNumber(schema.maxProperties);
  if (minP !== undefined && keys.length < minP) fail('minProperties');
  if (maxP !== undefined && keys.length > maxP) fail('maxProperties');
  const props = isPlainDocument(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
  const patterns = isPlainDocument(schema.patternProperties)
    ? Object.entries(schema.patternProperties as Record<string, Schema>).map(([p, s]) => [new RegExp(p, 'u'), s] as const)
    : [];
  for (const k of keys) {
    const sub = path === '' ? k : `${path}.${k}`;
    let covered = false;
    if (props[k] !== undefined) {
      covered = true;
      check(props[k], v[k], sub, out);
    }
    for (const [re, s] of patterns) {
      if (re.test(k)) {
        covered = true;
        check(s, v[k], sub, out);
      }
    }
    if (!covered) {
      if (schema.additionalProperties === false) fail('additionalProperties');
      else if (isPlainDocument(schema.additionalProperties)) check(schema.additionalProperties as Schema, v[k], sub, out);
    }
  }
  if (isPlainDocument(schema.dependencies)) {
    for (const [k, dep] of Object.entries(schema.dependencies as Record<string, unknown>)) {
      if (!(k in v)) continue;
      if (Array.isArray(dep)) {
        for (const d of dep as string[]) if (!(d in v)) fail('dependencies');
      } else if (isPlainDocument(dep)) check(dep as Schema, v, path, out);
    }
  }
}

function validateAt(schema: Schema, v: unknown, path: string): SchemaFailure[] {
  const out: SchemaFailure[] = [];
  check(schema, v, path, out);
  return out;
}

export function validateJsonSchema(schema: Schema, doc: unknown): SchemaFailure[] {
  return validateAt(schema, doc, '');
}
