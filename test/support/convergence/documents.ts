// Document bodies for the workload: many BSON types, nesting, arrays of values and of
// documents, fields in a random order (the destination must keep it), optionally field names
// with dots and dollars, and sizes from a few bytes to near the 16 MB limit.
//
// Fields the update operations rely on keep their type in every body: `seq` (a unique Int32,
// never updated, so unique indexes on it hold), `n` (a number), `bits` (an integer), `arr`
// (an array of Int32), `items` (an array of {k, v} documents), `nested` (a document), `at`
// (a date after 2000, so TTL indexes never expire it). Integer-like field names are avoided: the
// simulator cannot keep their order (see test/mongo-sim/README.md).
import { Binary, Decimal128, type Document, type OptionalId, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'mongodb';
import type { SeededRandom } from '../workload';

export type BodySize = 'tiny' | 'small' | 'medium' | 'huge';

export interface BodyOptions {
  size: BodySize;
  /** add field names with dots and dollars (where the server allows them) */
  dottedNames: boolean;
}

export function randomNumber(random: SeededRandom, n: number): unknown {
  switch (random.int(4)) {
    case 0:
      return new Int32(n);
    case 1:
      return Long.fromNumber(n * 3);
    case 2:
      return new Double(n + 0.25);
    default:
      return Decimal128.fromString(`${n}.5`);
  }
}

function shuffle<T>(random: SeededRandom, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function scalar(random: SeededRandom): unknown {
  const options: (() => unknown)[] = [
    () => `v${random.int(1000)}`,
    () => randomNumber(random, random.int(1000)),
    () => random.int(2) === 0,
    () => null,
    () => new Date(946_684_800_000 + random.int(1_000_000) * 1_000_000),
    () => new ObjectId(Buffer.from(Array.from({ length: 12 }, () => random.int(256)))),
    () => new Binary(Buffer.from([random.int(256), random.int(256)]), 0),
    () => new Timestamp({ t: 1_700_000_000 + random.int(1000), i: 1 + random.int(5) }),
    () => (random.int(2) === 0 ? new MinKey() : new MaxKey()),
    () => ({ deep: { deeper: [random.int(5), { leaf: 'x' }] } }),
  ];
  return random.pick(options)();
}

/** Padding of a huge body: 4-15 MB, or (one time in three) just under the 16 MiB limit. */
function hugePadding(random: SeededRandom): number {
  return random.int(3) === 0 ? 16 * 1024 * 1024 - 4 * 1024 : 4 * 1024 * 1024 + random.int(11 * 1024 * 1024);
}

/**
 * A body (without `_id`) whose field order is random. `seq` must be unique in the run.
 */
export function documentBody(random: SeededRandom, seq: number, options: BodyOptions): Document {
  if (options.size === 'tiny') return { seq: new Int32(seq) };
  const entries: [string, unknown][] = [
    ['seq', new Int32(seq)],
    ['n', randomNumber(random, random.int(10_000))],
    ['bits', random.int(2) === 0 ? new Int32(random.int(1 << 20)) : Long.fromNumber(random.int(1 << 30))],
    ['arr', Array.from({ length: random.int(6) }, () => new Int32(random.int(100)))],
    ['items', Array.from({ length: random.int(4) }, (_, i) => ({ k: new Int32(i), v: scalar(random) }))],
    ['nested', Object.fromEntries(shuffle(random, [['x', scalar(random)], ['y', scalar(random)], ['list', [scalar(random), scalar(random)]]]))],
    ['at', new Date(946_684_800_000 + random.int(900_000_000) * 1000)],
    ['s', `text-${seq}-${'ab'.repeat(random.int(20))}`],
  ];
  for (let extra = random.int(4); extra > 0; extra--) entries.push([`f${random.int(30)}x`, scalar(random)]);
  if (options.dottedNames) {
    entries.push(['stats.example.com', new Int32(random.int(100))]);
    entries.push(['meta', { 'a.b': new Int32(1), $price: new Double(9.5), 'ver.sion': 'x' }]);
  }
  if (options.size === 'medium') entries.push(['pad', 'm'.repeat(2_000 + random.int(30_000))]);
  if (options.size === 'huge') entries.push(['pad', 'h'.repeat(hugePadding(random))]);
  // later entries win in Object.fromEntries: keep each name once, then shuffle
  const unique = [...new Map(entries).entries()];
  return Object.fromEntries(shuffle(random, unique));
}

/** `_id` first, then the body: what insertOne/replaceOne send. */
export function withId(id: unknown, body: Document): OptionalId<Document> {
  // the driver's types expect an ObjectId _id; the server takes any non-array, non-regex value
  return { _id: id, ...body } as OptionalId<Document>;
}
