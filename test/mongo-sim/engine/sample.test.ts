// $sample as mongod documents it: a pseudo-random cursor that reads only the documents it
// returns when $sample is the first stage, asks for fewer than 5% of the documents and the
// collection holds more than 100; otherwise a scan and a random sort of min(N, input) documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import type { CollectionInfo } from './catalog/catalog';
import { sampleFromRandomCursor, sampleByRandomSort, usesRandomCursor } from './query/sample';
import { assertCommandError, firstBatch, testEngine, type TestEngine } from './test-support';

async function filled(documents: number): Promise<TestEngine> {
  const t = testEngine();
  for (let i = 0; i < documents; i += 500) {
    const batch = Array.from({ length: Math.min(500, documents - i) }, (_, k) => ({ _id: i + k, n: i + k }));
    await t.run({ insert: 'docs', documents: batch });
  }
  return t;
}

/** Counts the stored records the server reads (in natural or _id order) while `run` runs. */
async function recordsRead(t: TestEngine, run: () => Promise<Document[]>): Promise<{ docs: Document[]; read: number }> {
  const store = (t.engine.state.catalog.get('test', 'docs') as CollectionInfo).store;
  const index = store.idIndex;
  const ordered = index.ordered.bind(index);
  const natural = store.natural.bind(store);
  let read = 0;
  store.natural = function* () {
    for (const record of natural()) {
      read++;
      yield record;
    }
  };
  index.ordered = () =>
    new Proxy(ordered(), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) read++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  try {
    return { docs: await run(), read };
  } finally {
    index.ordered = ordered;
    store.natural = natural;
  }
}

async function sample(t: TestEngine, pipeline: Document[]): Promise<Document[]> {
  const reply = await t.run({ aggregate: 'docs', pipeline, cursor: { batchSize: 100_000 } });
  return firstBatch(reply);
}

function assertDistinctStored(docs: Document[], documents: number): void {
  const ids = docs.map((doc) => doc._id as number);
  assert.equal(new Set(ids).size, ids.length, `duplicates in ${ids.join(',')}`);
  for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < documents, `unknown _id ${id}`);
}

test('a leading $sample under 5% of a collection of more than 100 documents reads only what it returns', async () => {
  const t = await filled(2_000);
  const { docs, read } = await recordsRead(t, () => sample(t, [{ $sample: { size: 20 } }, { $project: { _id: 1 } }]));
  assert.equal(docs.length, 20);
  assertDistinctStored(docs, 2_000);
  assert.equal(read, 20, 'the random cursor reads one stored document per document returned');
  t.close();
});

test('$sample at or above 5% of the documents scans the collection and returns N distinct documents', async () => {
  const t = await filled(2_000);
  const { docs, read } = await recordsRead(t, () => sample(t, [{ $sample: { size: 100 } }]));
  assert.equal(docs.length, 100);
  assertDistinctStored(docs, 2_000);
  assert.ok(read >= 2_000, `a scan reads every document (read ${read})`);
  t.close();
});

test('$sample on a collection of at most 100 documents scans it, whatever the size asked', async () => {
  const t = await filled(100);
  const { docs, read } = await recordsRead(t, () => sample(t, [{ $sample: { size: 2 } }]));
  assert.equal(docs.length, 2);
  assertDistinctStored(docs, 100);
  assert.ok(read >= 100, `a scan reads every document (read ${read})`);
  t.close();
});

test('$sample larger than its input returns every input document once', async () => {
  const t = await filled(5);
  const docs = await sample(t, [{ $sample: { size: 10 } }]);
  assert.equal(docs.length, 5);
  assertDistinctStored(docs, 5);
  t.close();
});

test('$sample after another stage samples the output of that stage without repeating a document', async () => {
  const t = await filled(2_000);
  const { docs, read } = await recordsRead(t, () => sample(t, [{ $match: { n: { $lt: 30 } } }, { $sample: { size: 25 } }]));
  assert.equal(docs.length, 25);
  assertDistinctStored(docs, 30);
  assert.ok(read >= 2_000, `not the first stage: the collection is scanned (read ${read})`);
  t.close();
});

test('$sample specification errors', async () => {
  const t = await filled(3);
  await assertCommandError(sample(t, [{ $sample: 5 }]), 28745);
  await assertCommandError(sample(t, [{ $sample: { size: 'a' } }]), 28746);
  await assertCommandError(sample(t, [{ $sample: { size: -1 } }]), 28747);
  await assertCommandError(sample(t, [{ $sample: { size: 1, seed: 2 } }]), 28748);
  await assertCommandError(sample(t, [{ $sample: {} }]), 28749);
  await assertCommandError(sample(t, [{ $match: {} }, { $sample: {} }]), 28749);
  t.close();
});

test('when the random cursor applies: first stage, under 5%, more than 100 documents', () => {
  assert.equal(usesRandomCursor(4, 100), false);
  assert.equal(usesRandomCursor(5, 101), true);
  assert.equal(usesRandomCursor(6, 101), false);
  assert.equal(usesRandomCursor(4_999, 100_000), true);
  assert.equal(usesRandomCursor(5_000, 100_000), false);
});

test('the random cursor touches one item per pick; the random sort returns min(N, items) distinct items', () => {
  const items = Array.from({ length: 100_000 }, (_, i) => i);
  let reads = 0;
  const counted = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const picked = sampleFromRandomCursor(counted, 4_999);
  assert.equal(picked.length, 4_999);
  assert.equal(new Set(picked).size, 4_999);
  assert.equal(reads, 4_999);
  const sorted = sampleByRandomSort([1, 2, 3], 5);
  assert.deepEqual([...sorted].sort(), [1, 2, 3]);
});

test('the random cursor gives up after 100 duplicates in a row, as mongod does (28799)', () => {
  let calls = 0;
  const stuck = (): number => (calls++ === 0 ? 0 : 0.0001);
  assert.throws(() => sampleFromRandomCursor(Array.from({ length: 1000 }, (_, i) => i), 3, stuck), (error: Error & { code?: number }) => error.code === 28799);
});

