// Resource patterns of privileges and the rules for matching them against what a command touches.
import { CommandError } from '../../engine/types';
import { isDocument } from '../bson-values';

/**
 * A privilege's resource. `namespace` uses MongoDB's wildcards: db '' = any database,
 * collection '' = any non-system collection.
 */
export type ResourcePattern =
  | { kind: 'cluster' }
  | { kind: 'anyResource' }
  | { kind: 'namespace'; db: string; collection: string };

/** What a command acts on. `anyNormal` is what a cluster-wide change stream reads. */
export type ResourceTarget =
  | { kind: 'cluster' }
  | { kind: 'anyNormal' }
  | { kind: 'database'; db: string }
  | { kind: 'collection'; db: string; collection: string };

export const CLUSTER: ResourcePattern = { kind: 'cluster' };
export const ANY_NORMAL: ResourcePattern = { kind: 'namespace', db: '', collection: '' };
export const ANY_RESOURCE: ResourcePattern = { kind: 'anyResource' };

export function onDatabase(db: string): ResourcePattern {
  return { kind: 'namespace', db, collection: '' };
}

export function onNamespace(db: string, collection: string): ResourcePattern {
  return { kind: 'namespace', db, collection };
}

export function onCollectionInAnyDb(collection: string): ResourcePattern {
  return { kind: 'namespace', db: '', collection };
}

/** Databases that "any normal resource" leaves out, as readAnyDatabase and its kin do. */
const NON_NORMAL_DATABASES = new Set(['local', 'config']);

function isSystemCollection(collection: string): boolean {
  return collection.startsWith('system.');
}

export function patternMatches(pattern: ResourcePattern, target: ResourceTarget): boolean {
  if (pattern.kind === 'anyResource') return true;
  if (target.kind === 'cluster') return pattern.kind === 'cluster';
  if (pattern.kind === 'cluster') return false;
  if (target.kind === 'anyNormal') return pattern.db === '' && pattern.collection === '';
  const normalDb = !NON_NORMAL_DATABASES.has(target.db);
  if (target.kind === 'database') {
    if (pattern.collection !== '') return false;
    return pattern.db === '' ? normalDb : pattern.db === target.db;
  }
  const system = isSystemCollection(target.collection);
  if (pattern.db === '' && pattern.collection === '') return normalDb && !system;
  if (pattern.collection === '') return pattern.db === target.db && !system;
  if (pattern.db === '') return pattern.collection === target.collection;
  return pattern.db === target.db && pattern.collection === target.collection;
}

/** Parses `{cluster: true}`, `{anyResource: true}` or `{db, collection}` from createRole etc. */
export function parseResourcePattern(value: unknown): ResourcePattern {
  if (!isDocument(value)) throw new CommandError(2, 'BadValue', 'resource must be an object');
  const keys = Object.keys(value);
  if (keys.length === 1 && value.cluster === true) return CLUSTER;
  if (keys.length === 1 && value.anyResource === true) return ANY_RESOURCE;
  if (typeof value.db === 'string' && typeof value.collection === 'string' && keys.length === 2) {
    return { kind: 'namespace', db: value.db, collection: value.collection };
  }
  throw new CommandError(2, 'BadValue', `Invalid resource pattern: ${JSON.stringify(value)}`);
}

export function resourcePatternToDocument(pattern: ResourcePattern): Record<string, unknown> {
  if (pattern.kind === 'cluster') return { cluster: true };
  if (pattern.kind === 'anyResource') return { anyResource: true };
  return { db: pattern.db, collection: pattern.collection };
}

export function samePattern(a: ResourcePattern, b: ResourcePattern): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'namespace' && b.kind === 'namespace') return a.db === b.db && a.collection === b.collection;
  return true;
}
