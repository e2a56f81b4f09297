// Request bodies an attacker would send to the API, each known to be invalid: wrong types,
// unknown and prototype keys, unicode edge cases (unpaired surrogates, NUL), deep nesting,
// huge values, and namespace names or regexes that MongoDB refuses. The expectation of every
// one of them is the same: 4xx with the error envelope, nothing started or changed.
import fc from 'fast-check';

/** A password the fuzz puts into bodies: no response may ever show it. */
export const FUZZ_SECRET = 'fz-Жsecret-9731';
export const FUZZ_SECRET_URI = `mongodb://fuzzer:${encodeURIComponent(FUZZ_SECRET)}@db.example:27017`;

export const COMMANDS = ['pause', 'resume', 'commit', 'reverse', 'clear'] as const;
export const ENDPOINTS = ['start', ...COMMANDS] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** A body as sent on the wire, with a description for failure messages. */
export interface FuzzBody {
  payload: string;
  why: string;
}

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const EDGE_STRINGS = ['', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\ud83d\ude00', '\u202e', '\ufeff', ' ', 'é'.repeat(40), '😀'.repeat(16), FUZZ_SECRET, FUZZ_SECRET_URI];

const edgeString = fc.oneof(fc.constantFrom(...EDGE_STRINGS), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
const hugeValue = fc.oneof(
  fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 1e-320),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
);
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 0, 1, -1, 1.5, true, false, [], {}, [[]], { '': '' }),
  edgeString,
  hugeValue,
  fc.jsonValue({ maxDepth: 3 }),
);

/** JSON text nested `depth` levels deep, of arrays or objects. */
function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const deepValue = fc.tuple(fc.integer({ min: 50, max: 100_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'));

/** Raw text that is no JSON object at all, or broken JSON. */
const notAnObject: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => text.trim() !== '' && !isJsonObject(text)).map((payload) => ({ payload, why: 'random text' })),
  fc.jsonValue({ maxDepth: 2 }).filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)).map((value) => ({ payload: JSON.stringify(value), why: 'JSON that is not an object' })),
  deepValue.map(([depth, kind]) => ({ payload: nested(depth, kind), why: `${kind}s nested ${depth} deep` })),
  fc.constant({ payload: `{"source":"${'x'.repeat(1_100_000)}"}`, why: 'larger than the body limit' }),
  fc.constantFrom('{', '{"source":', '{"source":"cluster0",}', "{'source':'cluster0'}", '{"a":1}{"b":2}', 'NaN', 'undefined', '\u0000', '\ufeff{}x', '{"\ud800":1').map((payload) => ({ payload, why: `broken JSON ${payload}` })),
);

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

// ---- /start ----

const VALID_DATABASE = fc.constantFrom('sales', 'crm', 'a', 'db-1', 'Ünïcode', '😀'.repeat(15));
const VALID_COLLECTION = fc.constantFrom('orders', 'a.b', 'people', 'x'.repeat(150), '😀');

/** Database names MongoDB refuses, or that can never exist (system names in another case). */
export const INVALID_DATABASE_NAMES = [
  '', 'a/b', 'a\\b', 'a.b', 'a b', 'a"b', 'a$b', 'a*b', 'a<b', 'a>b', 'a:b', 'a|b', 'a?b', 'a\u0000b',
  'x'.repeat(64), 'é'.repeat(32), '😀'.repeat(16), 'a\ud800', '\udc00', 'admin', 'config', 'local', 'Admin', 'LOCAL', 'cOnFiG',
  '__c2c_sync', 'mongosync_reserved_for_internal_use',
];
export const INVALID_COLLECTION_NAMES = ['', 'a$b', '$cmd', 'oplog.$main', 'a\u0000', '.leading', 'system.views', 'system.js', 'x\udfff', 'x'.repeat(254)];
/** Regexes PCRE would not compile the same way, or at all, and bad options. */
export const INVALID_REGEXES: { pattern: unknown; options?: unknown }[] = [
  { pattern: '(' }, { pattern: '[a' }, { pattern: 'a**' }, { pattern: 'a{2,1}' }, { pattern: '(?>atomic)' }, { pattern: 'a++' },
  { pattern: '(?<n>a)(?<n>b)' }, { pattern: '(?<=a+)b' }, { pattern: '(a+)+$' }, { pattern: '\\2' }, { pattern: 'a{65536}' }, { pattern: '\\k<zz>' }, { pattern: '\\ud800' }, { pattern: 'a\u0000' }, { pattern: 'x'.repeat(5000) }, { pattern: 'a\ud800' },
  { pattern: 'a', options: 'g' }, { pattern: 'a', options: 'u' }, { pattern: 'a', options: 'iz' }, { pattern: 1 }, { pattern: 'a', options: 1 },
  { pattern: null }, { pattern: 'a', options: 'i', extra: 1 } as { pattern: unknown },
];

const validRegex = fc.record({ pattern: fc.constantFrom('^s', 'a|b', '[0-9]+$', '^(?:x|y)'), options: fc.constantFrom('', 'i', 'ix') }, { requiredKeys: ['pattern'] });
const validFilter = fc.oneof(
  fc.record({ database: VALID_DATABASE }),
  fc.record({ database: VALID_DATABASE, collections: fc.array(VALID_COLLECTION, { minLength: 1, maxLength: 3 }) }),
  fc.record({ databaseRegex: validRegex, collectionsRegex: validRegex }, { requiredKeys: ['databaseRegex'] }),
);

/** /start bodies that are valid (mongosync's cross-field rules respected). */
export const validStartBody: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    direction: fc.constantFrom(['cluster0', 'cluster1'], ['cluster1', 'cluster0']),
    mode: fc.constantFrom('plain', 'reversible', 'filtered'),
    buildIndexes: fc.constantFrom(undefined, 'beforeDataCopy', 'afterDataCopy', 'excludeHashed', 'excludeHashedAfterCopy'),
    verification: fc.constantFrom(undefined, { enabled: true }, { enabled: false }, {}),
    detectRandomId: fc.constantFrom(undefined, true, false),
    filters: fc.array(validFilter, { minLength: 1, maxLength: 3 }),
    include: fc.boolean(),
  })
  .map(({ direction, mode, buildIndexes, verification, detectRandomId, filters, include }) => {
    const body: Record<string, unknown> = { source: direction[0], destination: direction[1] };
    if (mode === 'reversible') Object.assign(body, { reversible: true, enableUserWriteBlocking: true });
    if (mode === 'filtered') body[include ? 'includeNamespaces' : 'excludeNamespaces'] = filters;
    if (buildIndexes !== undefined) body.buildIndexes = buildIndexes;
    if (verification !== undefined) body.verification = verification;
    if (detectRandomId !== undefined) body.detectRandomId = detectRandomId;
    return body;
  });

const TYPED_FIELDS: Record<string, (value: unknown) => boolean> = {
  source: (v) => v === 'cluster0' || v === 'cluster1',
  destination: (v) => v === 'cluster0' || v === 'cluster1',
  reversible: (v) => typeof v === 'boolean',
  enableUserWriteBlocking: (v) => typeof v === 'boolean' || v === 'sourceAndDestination' || v === 'none' || v === 'destinationOnly',
  // any array might hold valid filters: only non-arrays are surely wrong
  includeNamespaces: (v) => Array.isArray(v),
  excludeNamespaces: (v) => Array.isArray(v),
  buildIndexes: (v) => typeof v === 'string' && ['beforeDataCopy', 'afterDataCopy', 'excludeHashed', 'excludeHashedAfterCopy', 'never'].includes(v),
  verification: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([key, enabled]) => key === 'enabled' && typeof enabled === 'boolean'),
  detectRandomId: (v) => typeof v === 'boolean',
  skipDiskSpaceCheck: (v) => typeof v === 'boolean',
  destinationDataHandling: (v) => v === 'requireEmptyDestination',
};

/** Every key /start knows, at any level: an "unknown key" mutation must use none of them. */
const KNOWN_KEYS = new Set([
  ...Object.keys(TYPED_FIELDS),
  ...['copyInNaturalOrder', 'preExistingDestinationData', 'sharding', 'documentFilter', 'namespaceRemap'],
  ...['database', 'databaseRegex', 'collections', 'collectionsRegex', 'pattern', 'options', 'enabled'],
]);

type Body = Record<string, unknown>;

/** One change that makes a valid /start body invalid. */
const startMutation: fc.Arbitrary<{ apply: (body: Body) => Body; why: string }> = fc.oneof(
  // a field of the wrong type (or a value the field does not take)
  fc.tuple(fc.constantFrom(...Object.keys(TYPED_FIELDS)), wrongValue)
    .filter(([field, value]) => !TYPED_FIELDS[field]!(value))
    .map(([field, value]) => ({ apply: (body: Body) => ({ ...body, [field]: value }), why: `${field} = ${preview(value)}` })),
  // a required field missing
  fc.constantFrom('source', 'destination').map((field) => ({
    apply: (body: Body) => Object.fromEntries(Object.entries(body).filter(([key]) => key !== field)),
    why: `no ${field}`,
  })),
  // an unknown or prototype key, at the top or inside a filter or verification
  fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), edgeString.filter((key) => !KNOWN_KEYS.has(key))), wrongValue, fc.constantFrom('top', 'filter', 'verification')).map(([key, value, where]) => ({
    apply: (body: Body) => withKey(body, key, value, where),
    why: `unknown key ${JSON.stringify(key)} in ${where}`,
  })),
  fc.constantFrom(...INVALID_DATABASE_NAMES).map((database) => ({ apply: (body: Body) => filtered(body, { database }), why: `database ${JSON.stringify(database)}` })),
  fc.tuple(VALID_DATABASE, fc.constantFrom(...INVALID_COLLECTION_NAMES)).map(([database, coll]) => ({
    apply: (body: Body) => filtered(body, { database, collections: ['ok', coll] }),
    why: `collection ${JSON.stringify(coll)}`,
  })),
  fc.tuple(fc.constantFrom(...INVALID_REGEXES), fc.constantFrom('databaseRegex', 'collectionsRegex')).map(([regex, field]) => ({
    apply: (body: Body) => filtered(body, field === 'databaseRegex' ? { databaseRegex: regex } : { database: 'db', collectionsRegex: regex }),
    why: `${field} ${preview(regex)}`,
  })),
  fc.constantFrom(
    { apply: (body: Body) => ({ ...body, destination: body.source }), why: 'source = destination' },
    { apply: (body: Body) => ({ ...body, reversible: true, enableUserWriteBlocking: false, includeNamespaces: undefined, excludeNamespaces: undefined }), why: 'reversible without write blocking' },
    { apply: (body: Body) => filtered({ ...body, reversible: false }, { database: 'db', collections: [] }), why: 'empty collections list' },
    { apply: (body: Body) => filtered(body, { database: 'db', databaseRegex: { pattern: 'd' } }), why: 'database and databaseRegex' },
    { apply: (body: Body) => filtered(body, { collections: ['x'] }), why: 'filter without a database' },
    { apply: (body: Body) => ({ ...body, includeNamespaces: nestedFilters(1000) }), why: 'filters nested deep' },
    { apply: (body: Body) => ({ ...body, sharding: JSON.parse(nested(2000, 'object')) as unknown }), why: 'sharding nested deep' },
    { apply: (body: Body) => filtered(body, { database: 'db', collections: Array.from({ length: 20_000 }, (_, i) => (i === 19_999 ? 'bad$' : `c${i}`)) }), why: 'a huge list with one bad name at the end' },
  ),
);

function nestedFilters(depth: number): unknown {
  let value: unknown = { database: 'db' };
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function withKey(body: Record<string, unknown>, key: string, value: unknown, where: 'top' | 'filter' | 'verification'): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  if (where === 'top') return Object.assign(Object.create(null) as Record<string, unknown>, body, target);
  if (where === 'verification') return { ...body, verification: target };
  const filter = Object.assign(Object.create(null) as Record<string, unknown>, { database: 'db' }, target);
  return { ...body, reversible: false, enableUserWriteBlocking: false, includeNamespaces: [filter] };
}

/** `body` made a filtered sync (so filter rules are what fails), with `filter` among its filters. */
function filtered(body: Record<string, unknown>, filter: Record<string, unknown>): Record<string, unknown> {
  return { ...body, reversible: false, enableUserWriteBlocking: false, excludeNamespaces: undefined, includeNamespaces: [{ database: 'fine' }, filter] };
}

/** JSON text of a value whose own keys may be '__proto__' (JSON.stringify keeps own keys). */
function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** A valid body with one field replaced by JSON text nested far deeper than a stack allows to walk recursively. */
const deepInsideStart: fc.Arbitrary<FuzzBody> = fc
  .tuple(validStartBody, fc.constantFrom('reversible', 'includeNamespaces', 'verification', 'unknownField', 'copyInNaturalOrder', 'sharding', 'documentFilter'), deepValue)
  .map(([body, field, [depth, kind]]) => {
    const { [field]: _replaced, ...rest } = body;
    const text = toJson(rest);
    return { payload: `${text.slice(0, -1)},"${field}":${nested(depth, kind)}}`, why: `${field} nested ${depth} deep` };
  });

export const invalidStartBody: fc.Arbitrary<FuzzBody> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(validStartBody, startMutation).map(([body, mutation]) => ({ payload: toJson(mutation.apply(body)), why: mutation.why })) },
  { weight: 1, arbitrary: deepInsideStart },
  { weight: 1, arbitrary: notAnObject },
);

// ---- pause / resume / commit / reverse: `{}` or no body ----

export const invalidCommandBody: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), edgeString), wrongValue).map(([key, value]) => {
    const body: Record<string, unknown> = {};
    Object.defineProperty(body, key, { value, enumerable: true });
    return { payload: toJson(body), why: `key ${JSON.stringify(key)}` };
  }),
  validStartBody.map((body) => ({ payload: toJson(body), why: 'a /start body' })),
  notAnObject,
);

/** A sample of invalid bodies for every endpoint, reproducible from `seed`. */
export function sampleInvalidBodies(seed: number, perEndpoint: number): { endpoint: Endpoint; body: FuzzBody }[] {
  const out: { endpoint: Endpoint; body: FuzzBody }[] = [];
  for (const endpoint of ENDPOINTS) {
    const arbitrary = endpoint === 'start' ? invalidStartBody : invalidCommandBody;
    for (const body of fc.sample(arbitrary, { seed: seed + out.length, numRuns: perEndpoint })) out.push({ endpoint, body });
  }
  return out;
}
