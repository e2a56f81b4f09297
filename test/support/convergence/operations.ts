// The operation kinds of the workload, one function each. An operation picks its target from
// the model, runs on the source, and updates the model; it answers 'skipped' when the model has
// nothing it can act on (no document, no second collection, ...), so that only operations that
// did something count towards the minimum each kind must reach.
import type { Document, Filter, MongoClient } from 'mongodb';
import { BSON, Double, Int32, Long } from 'mongodb';

const { calculateObjectSize } = BSON;
import type { SeededRandom } from '../workload';
import type { ConvergenceConfig, IdKind, OperationKind } from './config';
import { documentBody, randomNumber, withId, type BodySize } from './documents';
import type { GeneratedId, IdFactory } from './ids';
import { filterValue, idKey, type NamespaceModel, type SourceModel } from './model';

export type Outcome = 'applied' | 'skipped';

export interface OperationContext {
  client: MongoClient;
  model: SourceModel;
  random: SeededRandom;
  ids: IdFactory;
  config: ConvergenceConfig;
  /** a fresh value for `seq` */
  nextSeq(): number;
  /** near-16 MB documents inserted so far */
  hugeDocuments: number;
}

export type Operation = (ctx: OperationContext) => Promise<Outcome>;

/** A filter on `_id` values of any BSON type (the driver's types expect one _id type). */
function byId(value: unknown, extra: Document = {}): Filter<Document> {
  return { _id: value, ...extra } as Filter<Document>;
}

/** Databases the workload writes to: two from the start, more created by DDL. */
export const BASE_DATABASES = ['cv0', 'cv1'] as const;

function bodySize(random: SeededRandom): BodySize {
  const r = random.int(100);
  return r < 10 ? 'tiny' : r < 92 ? 'small' : 'medium';
}

function newId(ctx: OperationContext, ns: NamespaceModel): GeneratedId {
  const kinds = [...ctx.config.idKinds] as IdKind[];
  const kind = kinds.length ? ctx.random.pick(kinds) : 'int32';
  return ctx.ids.next(kind, (value) => ns.ids.has(idKey(value)));
}

function body(ctx: OperationContext, size: BodySize = bodySize(ctx.random)): Document {
  const dottedNames = ctx.config.operations.has('dotted-fields') && ctx.random.int(8) === 0;
  return documentBody(ctx.random, ctx.nextSeq(), { size, dottedNames });
}

function coll(ctx: OperationContext, ns: NamespaceModel) {
  return ctx.client.db(ns.db).collection(ns.coll);
}

/** Inserts new documents into `ns` (one, or a batch) and records them. */
export async function insertInto(ctx: OperationContext, ns: NamespaceModel, count: number, size?: BodySize): Promise<void> {
  const ids = Array.from({ length: count }, () => newId(ctx, ns)).filter(
    (id, i, all) => all.findIndex((other) => idKey(other.value) === idKey(id.value)) === i,
  );
  const docs = ids.map((id) => withId(id.value, body(ctx, size)));
  if (docs.length === 1) await coll(ctx, ns).insertOne(docs[0]!);
  else await coll(ctx, ns).insertMany(docs, { ordered: ctx.random.int(2) === 0 });
  for (const id of ids) {
    ns.ids.set(idKey(id.value), id);
    ns.deleted.delete(idKey(id.value));
  }
}

function markDeleted(ns: NamespaceModel, id: GeneratedId): void {
  ns.ids.delete(idKey(id.value));
  ns.deleted.set(idKey(id.value), id);
}

/** Runs an update on one document of the model; 'skipped' when there is none or it matched nothing. */
async function updateOneDocument(
  ctx: OperationContext,
  update: (id: GeneratedId) => { update: Document | Document[]; arrayFilters?: Document[]; filter?: Document },
): Promise<Outcome> {
  const target = ctx.model.pickDocument(ctx.random);
  if (!target) return 'skipped';
  const { update: spec, arrayFilters, filter } = update(target.id);
  const result = await coll(ctx, target.ns).updateOne(byId(filterValue(ctx.random, target.id), filter), spec, arrayFilters ? { arrayFilters } : {});
  return result.matchedCount > 0 ? 'applied' : 'skipped';
}

const insert: Operation = async (ctx) => {
  let ns = ctx.model.pickCollection(ctx.random);
  if (!ns || ctx.random.int(20) === 0) {
    // an insert that creates its collection
    ns = ctx.model.add(ctx.random.pick(BASE_DATABASES), ctx.model.freshName(ctx.random, 'implicit'));
  }
  await insertInto(ctx, ns, ctx.random.int(3) === 0 ? 2 + ctx.random.int(20) : 1);
  return 'applied';
};

const updateField: Operation = async (ctx) => {
  const r = ctx.random;
  if (r.int(6) === 0) {
    // an upsert that inserts: $setOnInsert applies
    const ns = ctx.model.pickCollection(r);
    if (!ns) return 'skipped';
    const id = newId(ctx, ns);
    const result = await coll(ctx, ns).updateOne(
      byId(id.value),
      { $setOnInsert: { seq: new Int32(ctx.nextSeq()), created: true, arr: [], items: [] }, $set: { upserted: new Int32(r.int(9)) } },
      { upsert: true },
    );
    if (result.upsertedCount !== 1) throw new Error(`upsert of ${idKey(id.value)} did not insert`);
    ns.ids.set(idKey(id.value), id);
    ns.deleted.delete(idKey(id.value));
    return 'applied';
  }
  return updateOneDocument(ctx, () => {
    const variants: Document[] = [
      { $set: { [`nested.f${r.int(5)}x`]: randomNumber(r, r.int(50)), 'nested.y': `set-${r.int(99)}` } },
      { $set: { newTop: { made: r.int(10) }, s: `s-${r.int(999)}` } },
      { $unset: { [`f${r.int(30)}x`]: '', 'nested.x': '' } },
      { $rename: r.int(2) === 0 ? { s: 'renamedS' } : { renamedS: 's' } },
      { $currentDate: { touchedAt: true, touchedTs: { $type: 'timestamp' } } },
      { $set: { 'deep.created.path': new Int32(r.int(9)) } },
    ];
    return { update: r.pick(variants) };
  });
};

const updateArithmetic: Operation = async (ctx) => {
  const r = ctx.random;
  return updateOneDocument(ctx, () => {
    const variants: Document[] = [
      { $inc: { n: r.pick([new Int32(1), Long.fromNumber(5), new Double(0.5)]), counter: new Int32(1) } },
      { $mul: { n: r.pick([new Int32(2), new Double(1.5)]) } },
      { $min: { n: new Int32(-r.int(100)) } },
      { $max: { n: Long.fromNumber(r.int(1_000_000)) } },
      { $bit: { bits: r.pick([{ and: new Int32(0xff) }, { or: new Int32(0x100) }, { xor: new Int32(0x5) }]) } },
      { $inc: { 'nested.count': Long.fromNumber(1) } },
    ];
    return { update: r.pick(variants), filter: { n: { $exists: true }, bits: { $exists: true } } };
  });
};

const updateArray: Operation = async (ctx) => {
  const r = ctx.random;
  return updateOneDocument(ctx, () => {
    const value = () => new Int32(r.int(100));
    const variants: Document[] = [
      { $push: { arr: value() } },
      { $push: { arr: { $each: [value(), value()], $position: r.int(3) } } },
      { $push: { arr: { $each: [value()], $sort: 1, $slice: -5 } } },
      { $addToSet: { arr: { $each: [value(), value()] } } },
      { $pop: { arr: r.int(2) === 0 ? 1 : -1 } },
      { $pull: { arr: { $gte: new Int32(50) } } },
      { $pullAll: { arr: [value(), value()] } },
      { $push: { items: { k: new Int32(100 + r.int(100)), v: 'pushed' } } },
    ];
    return { update: r.pick(variants), filter: { arr: { $type: 'array' }, items: { $type: 'array' } } };
  });
};

const updatePositional: Operation = async (ctx) => {
  const r = ctx.random;
  return updateOneDocument(ctx, () => {
    switch (r.int(5)) {
      case 0:
        // by position, possibly past the end (the server pads with nulls)
        return { update: { $set: { [`arr.${r.int(8)}`]: new Int32(r.int(100)) } }, filter: { arr: { $type: 'array' } } };
      case 1:
        return { update: { $unset: { [`arr.${r.int(3)}`]: '' } }, filter: { arr: { $type: 'array' } } };
      case 2:
        // every number in the array (setting a position past the end leaves nulls in it)
        return { update: { $inc: { 'arr.$[num]': new Int32(1) } }, arrayFilters: [{ num: { $type: 'number' } }], filter: { arr: { $type: 'array' } } };
      case 3:
        return {
          update: { $set: { 'items.$[el].v': `filtered-${r.int(99)}` } },
          arrayFilters: [{ 'el.k': { $gte: new Int32(r.int(3)) } }],
          filter: { items: { $type: 'array' } },
        };
      default:
        return { update: { $set: { 'items.$.v': `positional-${r.int(99)}` } }, filter: { 'items.k': { $gte: new Int32(0) } } };
    }
  });
};

const updatePipeline: Operation = async (ctx) => {
  const r = ctx.random;
  return updateOneDocument(ctx, () => {
    const variants: Document[][] = [
      [{ $set: { p1: { $add: ['$n', 1] } } }],
      [{ $unset: ['p1', 'p2'] }],
      [{ $set: { p2: { $concat: ['$s', '-piped'] }, nested: { $mergeObjects: ['$nested', { piped: true }] } } }],
      [{ $replaceWith: { $mergeObjects: ['$$ROOT', { p3: '$seq' }] } }],
      [{ $addFields: { arr: { $concatArrays: ['$arr', [new Int32(r.int(100))]] } } }, { $set: { p4: { $size: '$arr' } } }],
    ];
    return { update: r.pick(variants), filter: { n: { $exists: true }, s: { $type: 'string' }, nested: { $type: 'object' }, arr: { $type: 'array' } } };
  });
};

const updateMany: Operation = async (ctx) => {
  const ns = ctx.model.pickCollection(ctx.random, (candidate) => candidate.ids.size > 1);
  if (!ns) return 'skipped';
  const ids = [...ns.ids.values()];
  const chosen = Array.from({ length: 2 + ctx.random.int(8) }, () => filterValue(ctx.random, ctx.random.pick(ids)));
  const result = await coll(ctx, ns).updateMany(byId({ $in: chosen }), { $inc: { many: new Int32(1) }, $set: { manyAt: ctx.random.int(1000) } });
  return result.matchedCount > 0 ? 'applied' : 'skipped';
};

const dottedFields: Operation = async (ctx) => {
  const r = ctx.random;
  if (r.int(3) === 0) {
    const ns = ctx.model.pickCollection(r);
    if (!ns) return 'skipped';
    const id = newId(ctx, ns);
    await coll(ctx, ns).insertOne(withId(id.value, documentBody(r, ctx.nextSeq(), { size: 'small', dottedNames: true })));
    ns.ids.set(idKey(id.value), id);
    ns.deleted.delete(idKey(id.value));
    return 'applied';
  }
  return updateOneDocument(ctx, () => {
    const variants: { update: Document[] | Document; filter?: Document }[] = [
      // the literal top-level field 'stats.example.com'
      { update: [{ $replaceWith: { $setField: { field: 'stats.example.com', input: '$$ROOT', value: { $literal: r.int(1000) } } } }] },
      { update: [{ $replaceWith: { $unsetField: { field: 'stats.example.com', input: '$$ROOT' } } }] },
      // a dotted name and a $-prefixed name inside a subdocument
      {
        update: [{ $set: { meta: { $setField: { field: 'a.b', input: '$meta', value: { $literal: r.int(1000) } } } } }],
        filter: { meta: { $type: 'object' } },
      },
      {
        update: [{ $set: { meta: { $setField: { field: { $literal: '$price' }, input: '$meta', value: { $literal: r.int(1000) } } } } }],
        filter: { meta: { $type: 'object' } },
      },
      // the path stats → example → com next to the literal name: an ambiguous update path
      { update: { $set: { 'stats.example.com': new Int32(r.int(1000)) } }, filter: { stats: { $exists: false } } },
    ];
    return r.pick(variants);
  });
};

const replace: Operation = async (ctx) => {
  const target = ctx.model.pickDocument(ctx.random);
  if (!target) return 'skipped';
  const result = await coll(ctx, target.ns).replaceOne(byId(filterValue(ctx.random, target.id)), body(ctx));
  return result.matchedCount > 0 ? 'applied' : 'skipped';
};

const deleteDocuments: Operation = async (ctx) => {
  const target = ctx.model.pickDocument(ctx.random);
  if (!target) return 'skipped';
  if (ctx.random.int(4) === 0 && target.ns.ids.size > 3) {
    const ids = [...target.ns.ids.values()];
    const chosen = [target.id, ctx.random.pick(ids), ctx.random.pick(ids)];
    const result = await coll(ctx, target.ns).deleteMany(byId({ $in: chosen.map((id) => filterValue(ctx.random, id)) }));
    for (const id of chosen) markDeleted(target.ns, id);
    return result.deletedCount > 0 ? 'applied' : 'skipped';
  }
  const result = await coll(ctx, target.ns).deleteOne(byId(filterValue(ctx.random, target.id)));
  markDeleted(target.ns, target.id);
  return result.deletedCount === 1 ? 'applied' : 'skipped';
};

/** Inserts again an `_id` deleted earlier (or just now), with another body and field order. */
const reinsert: Operation = async (ctx) => {
  const r = ctx.random;
  let ns = ctx.model.pickCollection(r, (candidate) => candidate.deleted.size > 0);
  let id: GeneratedId | undefined;
  if (ns && r.int(2) === 0) {
    id = r.pick([...ns.deleted.values()]);
  } else {
    const target = ctx.model.pickDocument(r);
    if (!target) return 'skipped';
    ns = target.ns;
    id = target.id;
    await coll(ctx, ns).deleteOne(byId(id.value));
    markDeleted(ns, id);
  }
  // a number may come back as another numeric type: the same _id, different bytes
  const value = id.aliases.length && r.int(2) === 0 ? r.pick(id.aliases) : id.value;
  const again: GeneratedId = { kind: id.kind, value, aliases: [id.value, ...id.aliases].filter((alias) => alias !== value) };
  await coll(ctx, ns).insertOne(withId(value, body(ctx)));
  ns.deleted.delete(idKey(id.value));
  ns.ids.set(idKey(value), again);
  return 'applied';
};

const hugeDocument: Operation = async (ctx) => {
  if (ctx.hugeDocuments >= ctx.config.maxHugeDocuments) return 'skipped';
  const ns = ctx.model.pickCollection(ctx.random);
  if (!ns) return 'skipped';
  ctx.hugeDocuments++;
  const id = newId(ctx, ns);
  const doc = withId(id.value, body(ctx, 'huge'));
  await coll(ctx, ns).insertOne(doc);
  ns.ids.set(idKey(id.value), id);
  ns.deleted.delete(idKey(id.value));
  // and, where it still fits, an update that carries a large value in its event
  if (calculateObjectSize(doc) < 15 * 1024 * 1024) {
    await coll(ctx, ns).updateOne(byId(id.value), { $set: { bigNote: 'u'.repeat(512 * 1024) }, $inc: { n: new Int32(1) } });
  }
  return 'applied';
};

const COLLECTION_OPTIONS: Document[] = [
  {},
  { validator: { seq: { $exists: true } }, validationLevel: 'moderate' },
  { validator: { $jsonSchema: { bsonType: 'object', required: ['_id'] } }, validationAction: 'warn' },
  { collation: { locale: 'fr', strength: 2 } },
  { clusteredIndex: { key: { _id: 1 }, unique: true, name: 'clustered_by_id' } },
  { changeStreamPreAndPostImages: { enabled: true } },
];

const ddlCreate: Operation = async (ctx) => {
  const r = ctx.random;
  const db = r.int(4) === 0 ? `cvx${r.int(3)}` : r.pick(BASE_DATABASES);
  const ns = ctx.model.add(db, ctx.model.freshName(r));
  await ctx.client.db(db).createCollection(ns.coll, r.pick(COLLECTION_OPTIONS));
  if (r.int(3) > 0) await insertInto(ctx, ns, 1 + r.int(10));
  return 'applied';
};

const ddlDrop: Operation = async (ctx) => {
  const candidates = [...ctx.model.namespaces.values()];
  if (candidates.length < 2) return 'skipped';
  const ns = ctx.random.pick(candidates);
  await coll(ctx, ns).drop();
  ctx.model.remove(ns);
  return 'applied';
};

function renameTarget(ctx: OperationContext, ns: NamespaceModel): { db: string; coll: string } {
  const db = ctx.random.int(4) === 0 ? ctx.random.pick(BASE_DATABASES.filter((name) => name !== ns.db)) ?? ns.db : ns.db;
  return { db, coll: ctx.model.freshName(ctx.random, 'renamed') };
}

const ddlRename: Operation = async (ctx) => {
  const ns = ctx.model.pickCollection(ctx.random);
  if (!ns) return 'skipped';
  const to = renameTarget(ctx, ns);
  await ctx.client.db('admin').command({ renameCollection: `${ns.db}.${ns.coll}`, to: `${to.db}.${to.coll}` });
  ctx.model.rename(ns, to.db, to.coll);
  return 'applied';
};

const ddlRenameDropTarget: Operation = async (ctx) => {
  const r = ctx.random;
  const ns = ctx.model.pickCollection(r);
  if (!ns) return 'skipped';
  const target = ctx.model.pickCollection(r, (candidate) => candidate !== ns);
  // onto an existing collection (replacing it), or onto a free name with dropTarget anyway
  const to = target && r.int(4) > 0 ? { db: target.db, coll: target.coll } : renameTarget(ctx, ns);
  await ctx.client.db('admin').command({ renameCollection: `${ns.db}.${ns.coll}`, to: `${to.db}.${to.coll}`, dropTarget: true });
  const replaced = ctx.model.get(to.db, to.coll);
  if (replaced) ctx.model.remove(replaced);
  ctx.model.rename(ns, to.db, to.coll);
  return 'applied';
};

const ddlDropDatabase: Operation = async (ctx) => {
  const r = ctx.random;
  const databases = ctx.model.databases();
  const extra = databases.filter((db) => !(BASE_DATABASES as readonly string[]).includes(db));
  let db: string;
  if (extra.length) db = r.pick(extra);
  else if (databases.length > 1 && r.int(3) === 0) db = r.pick(databases);
  else {
    // a database made for the purpose, written to, then dropped
    db = `cvx${r.int(3)}`;
    await insertInto(ctx, ctx.model.add(db, ctx.model.freshName(r, 'doomed')), 1 + r.int(5));
  }
  await ctx.client.db(db).dropDatabase();
  ctx.model.dropDatabase(db);
  return 'applied';
};

interface IndexChoice {
  key: Document;
  options: Document;
}

function indexChoices(r: SeededRandom): IndexChoice[] {
  return [
    { key: { n: 1 }, options: {} },
    { key: { s: 1, seq: -1 }, options: {} },
    { key: { seq: 1 }, options: { unique: true } },
    { key: { 'nested.y': 1 }, options: { sparse: true } },
    { key: { n: -1 }, options: { partialFilterExpression: { n: { $gt: r.int(100) } } } },
    { key: { s: 1 }, options: { collation: { locale: 'en', strength: 2 } } },
    { key: { bits: 1 }, options: { hidden: true } },
    { key: { at: 1 }, options: { expireAfterSeconds: 1_000_000_000 } },
    { key: { 'items.k': 1, at: -1 }, options: {} },
  ];
}

function signatureOf(key: Document, options: Document): string {
  return JSON.stringify([key, options.partialFilterExpression ?? null, options.collation ?? null]);
}

let indexCounter = 0;

async function createIndex(ctx: OperationContext, ns: NamespaceModel, choice: IndexChoice): Promise<boolean> {
  const signature = signatureOf(choice.key, choice.options);
  if ([...ns.indexes.values()].some((index) => index.signature === signature)) return false;
  const name = `ix${++indexCounter}_${Object.keys(choice.key).join('_')}`;
  await coll(ctx, ns).createIndex(choice.key, { ...choice.options, name });
  ns.indexes.set(name, { name, signature, ttl: choice.options.expireAfterSeconds !== undefined });
  return true;
}

const ddlIndex: Operation = async (ctx) => {
  const r = ctx.random;
  const ns = ctx.model.pickCollection(r);
  if (!ns) return 'skipped';
  if (ns.indexes.size > 0 && r.int(3) === 0) {
    const index = r.pick([...ns.indexes.values()]);
    await coll(ctx, ns).dropIndex(index.name);
    ns.indexes.delete(index.name);
    return 'applied';
  }
  return (await createIndex(ctx, ns, r.pick(indexChoices(r)))) ? 'applied' : 'skipped';
};

/** Two indexes on one key pattern, told apart only by their partial filter or collation. */
const ddlIndexSameKey: Operation = async (ctx) => {
  const r = ctx.random;
  const ns = ctx.model.pickCollection(r);
  if (!ns) return 'skipped';
  const pairs: IndexChoice[][] = [
    [
      { key: { seq: 1 }, options: { unique: true, partialFilterExpression: { seq: { $gt: 0 } } } },
      { key: { seq: 1 }, options: {} },
    ],
    [
      { key: { s: 1 }, options: {} },
      { key: { s: 1 }, options: { partialFilterExpression: { s: { $exists: true } } } },
    ],
    [
      { key: { seq: -1 }, options: { unique: true } },
      { key: { seq: -1 }, options: { collation: { locale: 'de' } } },
    ],
  ];
  let created = 0;
  for (const choice of r.pick(pairs)) if (await createIndex(ctx, ns, choice)) created++;
  return created > 0 ? 'applied' : 'skipped';
};

const ddlCollMod: Operation = async (ctx) => {
  const r = ctx.random;
  const ns = ctx.model.pickCollection(r);
  if (!ns) return 'skipped';
  const indexes = [...ns.indexes.values()];
  const ttl = indexes.filter((index) => index.ttl);
  const variants: Document[] = [
    { validator: { seq: { $exists: true } }, validationLevel: r.pick(['strict', 'moderate']) },
    { validator: {}, validationLevel: 'off' },
    { validationAction: r.pick(['warn', 'error']), validator: { _id: { $exists: true } } },
    { changeStreamPreAndPostImages: { enabled: r.int(2) === 0 } },
  ];
  if (indexes.length) variants.push({ index: { name: r.pick(indexes).name, hidden: r.int(2) === 0 } });
  if (ttl.length) variants.push({ index: { name: r.pick(ttl).name, expireAfterSeconds: 900_000_000 + r.int(1000) } });
  await ctx.client.db(ns.db).command({ collMod: ns.coll, ...r.pick(variants) });
  return 'applied';
};

const ddlView: Operation = async (ctx) => {
  const r = ctx.random;
  const on = ctx.model.pickCollection(r);
  if (!on) return 'skipped';
  const view = ctx.model.add(on.db, ctx.model.freshName(r, 'view'), true);
  await ctx.client.db(on.db).createCollection(view.coll, {
    viewOn: on.coll,
    pipeline: [{ $match: { n: { $exists: true } } }, { $project: { arr: 0, [`f${r.int(30)}x`]: 0 } }],
    ...(r.int(3) === 0 ? { collation: { locale: 'en' } } : {}),
  });
  return 'applied';
};

/** `$out` into a new or an existing collection (a real server writes a temporary collection and renames it). */
const ddlOut: Operation = async (ctx) => {
  const r = ctx.random;
  const from = ctx.model.pickCollection(r);
  if (!from) return 'skipped';
  const existing = ctx.model.pickCollection(r, (candidate) => candidate !== from && candidate.db === from.db);
  const target = existing && r.int(2) === 0 ? existing : ctx.model.add(from.db, ctx.model.freshName(r, 'out'));
  await coll(ctx, from).aggregate([{ $match: {} }, { $out: target.coll }]).toArray();
  target.ids = new Map(from.ids);
  target.deleted = new Map();
  return 'applied';
};

/**
 * A multi-document transaction over one or two collections: inserts, updates and deletes that
 * reach the destination together or, one time in five, an abort that must leave no trace.
 */
const transaction: Operation = async (ctx) => {
  const r = ctx.random;
  const first = ctx.model.pickCollection(r);
  if (!first) return 'skipped';
  const second = ctx.model.pickCollection(r, (candidate) => candidate !== first) ?? first;
  const committed: Array<() => void> = [];
  const pending = new Set<string>();
  const session = ctx.client.startSession();
  try {
    session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
    for (let step = 0; step < 2 + r.int(5); step++) {
      const ns = r.int(2) === 0 ? first : second;
      const present = [...ns.ids.values()].filter((id) => !pending.has(`${ns.db}.${ns.coll}/${idKey(id.value)}`));
      const kind = present.length === 0 ? 0 : r.int(3);
      if (kind === 0) {
        const id = newId(ctx, ns);
        const key = `${ns.db}.${ns.coll}/${idKey(id.value)}`;
        if (pending.has(key)) continue;
        pending.add(key);
        await coll(ctx, ns).insertOne(withId(id.value, body(ctx, 'small')), { session });
        committed.push(() => {
          ns.ids.set(idKey(id.value), id);
          ns.deleted.delete(idKey(id.value));
        });
      } else {
        const id = r.pick(present);
        if (kind === 1) {
          await coll(ctx, ns).updateOne(byId(filterValue(r, id)), { $set: { txn: new Int32(ctx.nextSeq()) }, $inc: { txnCount: new Int32(1) } }, { session });
        } else {
          pending.add(`${ns.db}.${ns.coll}/${idKey(id.value)}`);
          await coll(ctx, ns).deleteOne(byId(filterValue(r, id)), { session });
          committed.push(() => markDeleted(ns, id));
        }
      }
    }
    if (r.int(5) === 0) {
      await session.abortTransaction();
      return 'applied';
    }
    await session.commitTransaction();
    for (const apply of committed) apply();
    return 'applied';
  } catch (error) {
    if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
    throw error;
  } finally {
    await session.endSession();
  }
};

export const OPERATIONS: Record<OperationKind, Operation> = {
  insert,
  'update-field': updateField,
  'update-arithmetic': updateArithmetic,
  'update-array': updateArray,
  'update-positional': updatePositional,
  'update-pipeline': updatePipeline,
  'update-many': updateMany,
  'dotted-fields': dottedFields,
  replace,
  delete: deleteDocuments,
  reinsert,
  'huge-document': hugeDocument,
  'ddl-create': ddlCreate,
  'ddl-drop': ddlDrop,
  'ddl-rename': ddlRename,
  'ddl-rename-drop-target': ddlRenameDropTarget,
  'ddl-drop-database': ddlDropDatabase,
  'ddl-index': ddlIndex,
  'ddl-index-same-key': ddlIndexSameKey,
  'ddl-coll-mod': ddlCollMod,
  'ddl-view': ddlView,
  'ddl-out': ddlOut,
  transaction,
};

/** How often each kind is picked, relative to the others. */
export const WEIGHTS: Record<OperationKind, number> = {
  insert: 12,
  'update-field': 8,
  'update-arithmetic': 6,
  'update-array': 6,
  'update-positional': 6,
  'update-pipeline': 5,
  'update-many': 3,
  'dotted-fields': 4,
  replace: 6,
  delete: 6,
  reinsert: 4,
  'huge-document': 0.3,
  'ddl-create': 1.2,
  'ddl-drop': 0.6,
  'ddl-rename': 0.8,
  'ddl-rename-drop-target': 0.6,
  'ddl-drop-database': 0.3,
  'ddl-index': 1.2,
  'ddl-index-same-key': 0.6,
  'ddl-coll-mod': 1,
  'ddl-view': 0.5,
  'ddl-out': 0.5,
  transaction: 2,
};
