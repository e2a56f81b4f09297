// find with a hint of the _id index and min/max on _id seeks the index bounds (as mongod's index
// scan) instead of testing every record; the result must be exactly what a scan of the whole
// index cut at the bounds gives: min inclusive, max exclusive, BSON order across types, after
// inserts out of order and deletes, with and without a filter. Randomized: the seed is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, ObjectId, type Document } from 'bson';
import { compareValues } from './bson/compare';
import { firstBatch, testEngine } from './test-support';

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomId(random: () => number, n: number): unknown {
  switch (Math.floor(random() * 7)) {
    case 0:
      return new Int32(Math.floor(random() * 200) - 100);
    case 1:
      return Long.fromNumber(Math.floor(random() * 200) - 100 + n * 1000);
    case 2:
      return new Double(random() * 200 - 100);
    case 3:
      return new Decimal128(String(Math.floor(random() * 200) - 100 + n));
    case 4:
      return `s${Math.floor(random() * 1000)}-${n}`;
    case 5:
      return new ObjectId();
    default:
      return { k: Math.floor(random() * 50), n };
  }
}

test('min/max on the hinted _id index: the same documents, in the same order, as the whole index cut at the bounds', async () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  console.log(`seed ${seed}`);
  const random = mulberry(seed);
  const t = testEngine();
  const ids: unknown[] = [];
  for (let batch = 0; batch < 6; batch++) {
    const documents: Document[] = [];
    for (let i = 0; i < 40; i++) {
      const id = randomId(random, batch * 40 + i);
      if (ids.some((known) => compareValues(known, id) === 0)) continue;
      ids.push(id);
      documents.push({ _id: id, x: Math.floor(random() * 3) });
    }
    await t.run({ insert: 'c', documents, ordered: false });
    // deletes between inserts leave removed records in the index until its next ordered read
    const victim = ids.splice(Math.floor(random() * ids.length), 1)[0];
    await t.run({ delete: 'c', deletes: [{ q: { _id: victim }, limit: 1 }] });
  }
  const all = firstBatch(await t.run({ find: 'c', hint: { _id: 1 }, sort: { _id: 1 }, batchSize: 10_000 }));
  assert.equal(all.length, ids.length);
  for (let round = 0; round < 60; round++) {
    const pick = () => (random() < 0.8 ? all[Math.floor(random() * all.length)]!._id : randomId(random, 10_000 + round));
    const min = random() < 0.85 ? { _id: pick() } : undefined;
    const max = random() < 0.85 ? { _id: pick() } : undefined;
    const filter = random() < 0.3 ? { x: 1 } : {};
    const expected = all.filter(
      (d) => (!min || compareValues(d._id, min._id) >= 0) && (!max || compareValues(d._id, max._id) < 0) && (!('x' in filter) || d.x === 1),
    );
    const found = firstBatch(await t.run({ find: 'c', filter, hint: { _id: 1 }, batchSize: 10_000, ...(min ? { min } : {}), ...(max ? { max } : {}) }));
    assert.deepEqual(found, expected, `seed ${seed} round ${round}: min ${JSON.stringify(min)} max ${JSON.stringify(max)} filter ${JSON.stringify(filter)}`);
  }
  t.close();
});
