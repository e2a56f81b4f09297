// Which of a collection's indexes to build on the destination during the sync, and what to do
// at commit so that every source index exists on the destination with its exact options.
//
// The server tells indexes on one key pattern apart by collation and partialFilterExpression
// (two indexes equal in key, collation and partial filter conflict with 85 whatever their
// names), and some versions also by unique. Relaxing for the sync (unique -> non-unique, TTL
// -> never, hidden -> visible) can make two distinct source indexes identical; the second
// build would fail with 85. Such an index is deferred: not built during the sync, built with
// its exact source options at commit (before the destination opens), and the commit checks
// that the destination's indexes equal the source's, naming any index that does not.
// Pure: no I/O.
import type { Document } from 'mongodb';
import { indexRestoreSteps, relaxIndexSpec, type RestoreStep } from './index-relaxation';

export interface IndexBuildPlan {
  /** relaxed specs to build now */
  build: Document[];
  /** source indexes left for the commit-time finalize, with the reason */
  deferred: { name: string; reason: string }[];
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if ('_bsontype' in (value as object)) return JSON.stringify(String(value));
  const entries = Object.entries(value as Document).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`);
  return `{${entries.join(',')}}`;
}

function keyCanonical(key: Document | undefined): string {
  // Directions compare by value: {a: 1} and {a: 1.0} are one key pattern.
  return canonical(Object.entries(key ?? {}).map(([field, direction]) => [field, typeof direction === 'string' ? direction : Number(direction)]));
}

/** What makes two indexes on one key pattern the same index to the server. */
export function indexIdentity(spec: Document): string {
  return canonical({
    key: keyCanonical(spec.key as Document | undefined),
    collation: spec.collation ?? null,
    partialFilterExpression: spec.partialFilterExpression ?? null,
  });
}

/** A spec's options without the name, version and namespace, in a stable order, for equality. */
function comparable(spec: Document): string {
  const { v: _v, ns: _ns, name: _name, key, ...options } = spec;
  const sorted = Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
  return `${keyCanonical(key as Document)}|${canonical(sorted)}`;
}

/** Whether two specs describe the same index with the same options (name included). */
export function sameIndex(a: Document, b: Document): boolean {
  return a.name === b.name && comparable(a) === comparable(b);
}

function firstWhere(specs: Document[], test: (spec: Document) => boolean): Document | undefined {
  for (const spec of specs) if (test(spec)) return spec;
  return undefined;
}

/**
 * Plans the sync-time builds of a collection's source indexes (already filtered by the
 * buildIndexes mode, _id excluded) against what the destination holds. An index whose relaxed
 * spec would collide with another one (existing or planned) under a different name, or whose
 * name is taken by a different index, is deferred.
 */
export function planIndexBuilds(sourceSpecs: Document[], destinationSpecs: Document[]): IndexBuildPlan {
  const plan: IndexBuildPlan = { build: [], deferred: [] };
  const relaxed = sourceSpecs.map((spec) => ({ spec, build: relaxIndexSpec(spec).buildSpec }));
  // Indexes that relaxing leaves unchanged go first, so a collision defers the relaxed one.
  relaxed.sort((a, b) => Number(comparable(a.build) !== comparable(a.spec)) - Number(comparable(b.build) !== comparable(b.spec)));
  const taken = [...destinationSpecs];
  for (const { spec, build } of relaxed) {
    const name = String(spec.name);
    const sameName = firstWhere(taken, (existing) => existing.name === name);
    if (sameName) {
      if (!sameIndex(sameName, build) && !sameIndex(sameName, spec)) {
        plan.deferred.push({ name, reason: `the destination has an index named '${name}' with other options` });
      }
      continue;
    }
    const twin = firstWhere(taken, (existing) => indexIdentity(existing) === indexIdentity(build));
    if (twin) {
      plan.deferred.push({ name, reason: `relaxed for the sync it would equal index '${String(twin.name)}'` });
      continue;
    }
    plan.build.push(build);
    taken.push(build);
  }
  return plan;
}

export type FinalizeIndexStep =
  | RestoreStep
  | { stage: 'beforeCanWrite'; kind: 'build'; spec: Document }
  | { stage: 'beforeCanWrite'; kind: 'drop'; name: string };

const RESTORABLE_OPTIONS = new Set(['unique', 'prepareUnique', 'hidden', 'expireAfterSeconds']);

/** The options a commit-time collMod cannot change: an index differing in these is rebuilt. */
function fixedOptions(spec: Document): string {
  return comparable(Object.fromEntries(Object.entries(spec).filter(([option]) => !RESTORABLE_OPTIONS.has(option))));
}

function buildExact(spec: Document): Document {
  const { ns: _ns, ...exact } = spec;
  return exact;
}

/**
 * The commit-time steps that make a collection's destination indexes equal the source's:
 * collMods that undo relaxations, exact builds of missing (deferred) indexes, and drops of
 * indexes the source does not have or has with a different key. Drops come first so that
 * builds never collide with a stale index.
 */
export function finalizeIndexSteps(coll: string, sourceSpecs: Document[], destinationSpecs: Document[]): FinalizeIndexStep[] {
  const drops: FinalizeIndexStep[] = [];
  const builds: FinalizeIndexStep[] = [];
  const restores: FinalizeIndexStep[] = [];
  const sourceByName = new Map(sourceSpecs.map((spec) => [String(spec.name), spec]));
  for (const built of destinationSpecs) {
    const name = String(built.name);
    if (name === '_id_') continue;
    const source = sourceByName.get(name);
    if (!source || fixedOptions(source) !== fixedOptions(built)) {
      drops.push({ stage: 'beforeCanWrite', kind: 'drop', name });
    }
  }
  const dropped = new Set(drops.map((step) => ('name' in step ? step.name : '')));
  const destinationByName = new Map(destinationSpecs.map((spec) => [String(spec.name), spec]));
  for (const source of sourceSpecs) {
    const name = String(source.name);
    if (name === '_id_') continue;
    const built = destinationByName.get(name);
    if (!built || dropped.has(name)) builds.push({ stage: 'beforeCanWrite', kind: 'build', spec: buildExact(source) });
    else restores.push(...indexRestoreSteps(coll, source, built));
  }
  return [...drops, ...builds, ...restores];
}

/** Source indexes the destination lacks or holds with other options, and destination extras. */
export function indexDifferences(sourceSpecs: Document[], destinationSpecs: Document[]): string[] {
  const differences: string[] = [];
  const destinationByName = new Map(destinationSpecs.map((spec) => [String(spec.name), spec]));
  for (const source of sourceSpecs) {
    const name = String(source.name);
    const built = destinationByName.get(name);
    if (!built) differences.push(`index '${name}' is missing`);
    else if (!sameIndex(source, built)) differences.push(`index '${name}' differs: ${comparable(source)} on the source, ${comparable(built)} on the destination`);
    destinationByName.delete(name);
  }
  for (const name of destinationByName.keys()) differences.push(`index '${name}' is not on the source`);
  return differences;
}
