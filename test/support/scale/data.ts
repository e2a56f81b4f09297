// The data of a scale run: N collections of M documents of an exact BSON size, seeded in
// bounded batches (the harness never holds more than one batch), and their names.
import { BSON, type MongoClient } from 'mongodb';
import { SeededRandom } from '../workload';

export interface DataShape {
  collections: number;
  databases: number;
  documentsPerCollection: number;
  docBytes: number;
}

export interface Namespace {
  db: string;
  coll: string;
}

/** Collection `i` of the run: spread round-robin over the databases. */
export function namespaceOf(shape: Pick<DataShape, 'collections' | 'databases'>, i: number): Namespace {
  const dbWidth = String(shape.databases - 1).length;
  const collWidth = String(shape.collections - 1).length;
  return { db: `scale_${String(i % shape.databases).padStart(dbWidth, '0')}`, coll: `c${String(i).padStart(collWidth, '0')}` };
}

export interface ScaleDocument {
  _id: number;
  n: number;
  v: number;
  at: Date;
  pad: string;
  touched?: Date;
}

const PAD_POOL_EXTRA = 64 * 1024;

/** Makes documents of exactly `docBytes` BSON bytes: a few typed fields and a seeded padding string. */
export class DocumentFactory {
  private readonly pool: string;
  private readonly padLength: number;

  constructor(random: SeededRandom, docBytes: number) {
    const overhead = BSON.calculateObjectSize(this.shell(0, 0, ''));
    this.padLength = docBytes - overhead;
    if (this.padLength < 0) throw new Error(`--doc-bytes must be at least ${overhead}`);
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const chars: string[] = [];
    for (let i = 0; i < this.padLength + PAD_POOL_EXTRA; i++) chars.push(alphabet[random.int(alphabet.length)]!);
    this.pool = chars.join('');
  }

  /**
   * The padding depends only on (collection, _id, version), so a seed gives the same data
   * whatever order the lanes insert in. `_id` is an integer below 2^31: every document has
   * the same size.
   */
  make(collection: number, id: number, version: number): ScaleDocument {
    const start = new SeededRandom((Math.imul(collection, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b) ^ Math.imul(version, 0xc2b2ae35)) >>> 0).int(PAD_POOL_EXTRA);
    return this.shell(id, version, this.pool.slice(start, start + this.padLength));
  }

  private shell(id: number, version: number, pad: string): ScaleDocument {
    return { _id: id, n: id, v: version, at: new Date(1_700_000_000_000 + id * 1000), pad };
  }
}

/** Inserts `count` documents with _id 0..count-1 in batches bounded by count and bytes. */
async function fillCollection(client: MongoClient, index: number, ns: Namespace, count: number, factory: DocumentFactory, docBytes: number): Promise<void> {
  const batchDocuments = Math.max(1, Math.min(1000, Math.floor((8 * 1024 * 1024) / docBytes)));
  const collection = client.db(ns.db).collection<ScaleDocument>(ns.coll);
  for (let first = 0; first < count; first += batchDocuments) {
    const batch: ScaleDocument[] = [];
    for (let id = first; id < Math.min(count, first + batchDocuments); id++) batch.push(factory.make(index, id, 0));
    await collection.insertMany(batch, { ordered: false });
  }
}

/**
 * Creates every collection (with one secondary index, as real collections have) and fills it.
 * `onProgress` is told the number of collections done, for a progress line.
 */
export async function seedSource(
  client: MongoClient,
  shape: DataShape,
  seed: number,
  onProgress: (collectionsDone: number) => void = () => {},
): Promise<void> {
  const factory = new DocumentFactory(new SeededRandom(seed), shape.docBytes);
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < shape.collections) {
      const index = next++;
      const ns = namespaceOf(shape, index);
      const db = client.db(ns.db);
      await db.createCollection(ns.coll);
      await db.collection(ns.coll).createIndex({ n: 1 }, { name: 'n_1' });
      await fillCollection(client, index, ns, shape.documentsPerCollection, factory, shape.docBytes);
      onProgress(++done);
    }
  };
  await Promise.all([lane(), lane(), lane()]);
}
