// Source data and concurrent writes for sync tests: documents of every common BSON type, and a
// writer that keeps inserting, updating (each operator kind), replacing, deleting and running
// DDL until stopped. Seeded, so a failing run can be repeated.
import {
  type CollationOptions,
  Binary,
  Decimal128,
  type Document,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  type MongoClient,
  ObjectId,
  Timestamp,
} from 'mongodb';

/** A document whose _id is a number or a string (what these tests use) or an ObjectId. */
export interface AnyDocument {
  _id: number | string | ObjectId;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test documents carry any field
  [field: string]: any;
}

/** A small deterministic generator (mulberry32). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A document with many BSON types and nested structure; `n` makes it unique. */
export function sampleDocument(random: SeededRandom, n: number): AnyDocument {
  return {
    _id: n,
    seq: new Int32(n),
    ratio: new Double(n + 0.5),
    whole: new Double(n),
    big: Long.fromNumber(n * 1_000_003),
    price: Decimal128.fromString(`${n}.25`),
    name: `doc-${n}-${random.int(1_000_000)}`,
    tags: ['a', 'b', 'c'].slice(0, 1 + random.int(3)),
    nested: { level: { deep: n % 7, when: new Date(1_700_000_000_000 + n * 1000) }, flag: n % 2 === 0 },
    oid: ObjectId.createFromHexString(n.toString(16).padStart(24, '0')),
    bin: new Binary(Buffer.from([n & 0xff, 1, 2, 3]), 0),
    uuid: new Binary(Buffer.alloc(16, n & 0xff), 4),
    ts: new Timestamp({ t: 1_700_000_000 + n, i: 1 }),
    nothing: null,
    counters: [new Int32(1), new Int32(2), new Int32(3)],
    ...(n % 11 === 0 ? { bounds: [new MinKey(), new MaxKey()] } : {}),
  };
}

export interface SeedSpec {
  db: string;
  coll: string;
  documents: number;
  options?: Document;
  indexes?: { key: Document; name?: string; unique?: boolean; expireAfterSeconds?: number; hidden?: boolean; sparse?: boolean; partialFilterExpression?: Document; collation?: CollationOptions }[];
}

/** `onInserted` hears the documents inserted so far, after each batch. */
export async function seed(client: MongoClient, specs: SeedSpec[], random = new SeededRandom(1), onInserted?: (inserted: number) => void): Promise<void> {
  let inserted = 0;
  for (const spec of specs) {
    const db = client.db(spec.db);
    await db.createCollection(spec.coll, spec.options ?? {});
    const collection = db.collection<AnyDocument>(spec.coll);
    for (const index of spec.indexes ?? []) {
      const { key, ...options } = index;
      await collection.createIndex(key, options);
    }
    const docs: AnyDocument[] = [];
    for (let n = 0; n < spec.documents; n++) docs.push(sampleDocument(random, n));
    for (let i = 0; i < docs.length; i += 1000) {
      const batch = docs.slice(i, i + 1000);
      await collection.insertMany(batch);
      inserted += batch.length;
      onInserted?.(inserted);
    }
  }
}

export interface WriterStats {
  inserts: number;
  updates: number;
  replaces: number;
  deletes: number;
  ddl: number;
  errors: string[];
}

export interface UpdateSpec {
  update: Document | Document[];
  arrayFilters?: Document[];
}

/** The update kinds the writer cycles through: every operator family. */
export function updateFor(random: SeededRandom, n: number): UpdateSpec {
  const variants: UpdateSpec['update'][] = [
    { $set: { name: `renamed-${n}`, 'nested.level.deep': random.int(100) } },
    { $unset: { nothing: '' } },
    { $inc: { seq: 1, big: Long.fromNumber(7) } },
    { $mul: { ratio: 2 } },
    { $min: { whole: -1 } },
    { $max: { whole: 1e9 } },
    { $push: { tags: { $each: ['x', 'y'], $slice: -4 } } },
    { $addToSet: { tags: 'z' } },
    { $pull: { tags: 'a' } },
    { $pop: { counters: 1 } },
    { $rename: { name: 'title' } },
    { $currentDate: { touched: true } },
    { $set: { 'counters.$[c]': new Int32(99) } },
    [{ $set: { computed: { $add: ['$seq', 1] } } }],
    { $setOnInsert: { created: true }, $set: { upserted: true } },
  ];
  const update = variants[n % variants.length]!;
  return n % variants.length === 12 ? { update, arrayFilters: [{ c: { $gte: 2 } }] } : { update };
}

/** Runs writes against `db` until stop() is called. */
export class ConcurrentWriter {
  readonly stats: WriterStats = { inserts: 0, updates: 0, replaces: 0, deletes: 0, ddl: 0, errors: [] };
  private stopped = false;
  private loop: Promise<void> | undefined;
  private nextId: number;
  private step = 0;

  constructor(
    private readonly client: MongoClient,
    private readonly db: string,
    private readonly colls: string[],
    private readonly options: {
      firstId: number;
      maxId: number;
      seed: number;
      /** run DDL too, with this client (DDL such as collMod needs more than readWrite) */
      ddlClient?: MongoClient;
      pauseMs?: number;
    },
  ) {
    this.nextId = options.firstId;
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<WriterStats> {
    this.stopped = true;
    await this.loop;
    return this.stats;
  }

  private async run(): Promise<void> {
    const random = new SeededRandom(this.options.seed);
    while (!this.stopped) {
      try {
        await this.once(random);
      } catch (error) {
        this.stats.errors.push((error as Error).message);
      }
      if (this.options.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
  }

  private async once(random: SeededRandom): Promise<void> {
    this.step++;
    const coll = this.client.db(this.db).collection<AnyDocument>(random.pick(this.colls));
    const target = random.int(this.options.maxId);
    const kind = random.int(100);
    if (this.options.ddlClient && this.step % 50 === 0) {
      await this.ddl(random, this.options.ddlClient);
      this.stats.ddl++;
    } else if (kind < 30) {
      await coll.insertOne(sampleDocument(random, this.nextId++));
      this.stats.inserts++;
    } else if (kind < 70) {
      const { update, arrayFilters } = updateFor(random, this.step);
      // Array updates need the array: documents upserted by earlier steps may lack it.
      const filter = arrayFilters ? { _id: target, counters: { $type: 'array' } } : { _id: target };
      await coll.updateOne(filter, update, { ...(arrayFilters ? { arrayFilters } : {}), upsert: !arrayFilters && this.step % 15 === 14 });
      this.stats.updates++;
    } else if (kind < 85) {
      await coll.replaceOne({ _id: target }, { ...sampleDocument(random, target), replaced: this.step });
      this.stats.replaces++;
    } else {
      await coll.deleteOne({ _id: target });
      this.stats.deletes++;
    }
  }

  private async ddl(random: SeededRandom, client: MongoClient): Promise<void> {
    const db = client.db(this.db);
    const temp = `ddl_${this.step}`;
    switch (random.int(5)) {
      case 0:
        await db.createCollection(temp, { validator: { seq: { $exists: true } } });
        await db.collection<AnyDocument>(temp).insertMany([sampleDocument(random, 1), sampleDocument(random, 2)]);
        break;
      case 1:
        await db.collection(random.pick(this.colls)).createIndex({ [`f${this.step}`]: 1 }, { name: `idx_${this.step}` });
        break;
      case 2: {
        await db.createCollection(temp);
        await db.collection<AnyDocument>(temp).insertOne(sampleDocument(random, 3));
        await db.collection(temp).rename(`${temp}_renamed`);
        break;
      }
      case 3:
        await db.createCollection(temp);
        await db.collection(temp).createIndex({ name: 1 }, { unique: true });
        await db.collection(temp).drop();
        break;
      default:
        await db.createCollection(temp, { capped: true, size: 65536, max: 100 });
        await db.collection<AnyDocument>(temp).insertOne({ _id: 1, capped: true });
        await db.command({ collMod: temp, validator: { capped: { $exists: true } } });
    }
  }
}
