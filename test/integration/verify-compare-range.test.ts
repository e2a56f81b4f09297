// compareRange against two simulated clusters: documents compared by their exact bytes, in the
// server's _id order across types, within bounds, resumable, with mismatches capped but counted.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, type Collection, Decimal128, type Document, Double, Int32, Long, MaxKey, MinKey, ObjectId } from 'mongodb';
import { CollationMismatchError, compareRange, type DocumentMismatch, type RangePosition } from '../../src/verify/compare-range';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';

let pair: ClusterPair;

before(async () => {
  pair = await startClusterPair();
});

after(async () => {
  await pair?.close();
});

beforeEach(async () => {
  await pair.reset();
});

// Documents whose _id may be of any type (the driver's default schema wants an ObjectId).
type AnyIdCollection = Collection<Document> & { insertMany(docs: Document[]): Promise<unknown>; insertOne(doc: Document): Promise<unknown> };

function sides(coll = 'items'): [AnyIdCollection, AnyIdCollection] {
  return [pair.admin.cluster0.db('verify').collection(coll) as AnyIdCollection, pair.admin.cluster1.db('verify').collection(coll) as AnyIdCollection];
}

const ejson = (value: unknown) => BSON.EJSON.stringify(value, { relaxed: false });
const summary = (mismatches: DocumentMismatch[]) => mismatches.map((m) => `${m.kind} ${ejson(m.id)}`);

/** _ids of many types, so the merge and the bounds cross type boundaries. */
function mixedDocuments(): Document[] {
  const ids: unknown[] = [
    // (no null: the driver gives a document whose _id is null a new ObjectId)
    new MinKey(),
    new Double(-1.5),
    new Int32(0),
    Long.fromString('9007199254740993'),
    Decimal128.fromString('9007199254740994.5'),
    'A',
    'a',
    'é',
    { x: 1 },
    new ObjectId('0000000000000000000000aa'),
    false,
    true,
    new Date(5),
    new MaxKey(),
  ];
  for (let i = 1; i <= 60; i++) ids.push(new Int32(i * 10));
  return ids.map((_id, i) => ({ _id, n: i, payload: 'x'.repeat(i % 7) }));
}

describe('compareRange', () => {
  test('identical collections: every document compared, no mismatch', async () => {
    const [source, destination] = sides();
    const docs = mixedDocuments();
    await source.insertMany(docs.map((d) => ({ ...d })));
    await destination.insertMany(docs.map((d) => ({ ...d })));
    const result = await compareRange(source, destination, {}, { batchSize: 7 });
    assert.equal(result.sourceDocuments, docs.length);
    assert.equal(result.destinationDocuments, docs.length);
    assert.equal(result.mismatchCount, 0);
    assert.deepEqual(result.mismatches, []);
    assert.ok(result.lastId instanceof MaxKey, 'the last _id in server order is MaxKey');
  });

  test('missing, extra and different documents, Int32 against Int64 and field order count', async () => {
    const [source, destination] = sides();
    await source.insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 1 },
      { _id: 3, a: new Int32(7) },
      { _id: 4, a: 1, b: 2 },
      { _id: 5, a: 'same' },
    ]);
    await destination.insertMany([
      { _id: 2, a: 1 },
      { _id: 3, a: Long.fromNumber(7) },
      { _id: 4, b: 2, a: 1 },
      { _id: 5, a: 'same' },
      { _id: 6, a: 1 },
    ]);
    const result = await compareRange(source, destination, {});
    assert.deepEqual(summary(result.mismatches), [
      'missingOnDestination {"$numberInt":"1"}',
      'different {"$numberInt":"3"}',
      'different {"$numberInt":"4"}',
      'extraOnDestination {"$numberInt":"6"}',
    ]);
    assert.deepEqual(result.mismatches[0], { db: 'verify', coll: 'items', id: new Int32(1), kind: 'missingOnDestination' });
    assert.equal(result.mismatchCount, 4);
    assert.equal(result.sourceDocuments, 5);
    assert.equal(result.destinationDocuments, 5);
  });

  test('an _id stored as Int32 on one side and Int64 on the other is the same document, whose bytes differ', async () => {
    const [source, destination] = sides();
    await source.insertOne({ _id: new Int32(9), v: 1 });
    await destination.insertOne({ _id: Long.fromNumber(9), v: 1 });
    const result = await compareRange(source, destination, {});
    assert.deepEqual(summary(result.mismatches), ['different {"$numberInt":"9"}']);
  });

  test('bounds are respected across types: min inclusive, max exclusive', async () => {
    const [source, destination] = sides();
    const docs = mixedDocuments();
    await source.insertMany(docs.map((d) => ({ ...d })));
    // every destination document differs, so the mismatches list exactly the range's _ids
    await destination.insertMany(docs.map((d) => ({ ...d, changed: true })));
    const result = await compareRange(source, destination, { min: new Int32(0), max: 'é' }, { maxMismatches: 1000 });
    assert.deepEqual(
      result.mismatches.map((m) => ejson(m.id)),
      ['{"$numberInt":"0"}', ...Array.from({ length: 60 }, (_, i) => `{"$numberInt":"${(i + 1) * 10}"}`), '{"$numberLong":"9007199254740993"}', '{"$numberDecimal":"9007199254740994.5"}', '"A"', '"a"'],
    );
    const open = await compareRange(source, destination, { max: new Double(0) }, { maxMismatches: 1000 });
    assert.deepEqual(open.mismatches.map((m) => ejson(m.id)), ['{"$minKey":1}', '{"$numberDouble":"-1.5"}']);
    const tail = await compareRange(source, destination, { min: true }, { maxMismatches: 1000 });
    assert.deepEqual(tail.mismatches.map((m) => ejson(m.id)), ['true', '{"$date":{"$numberLong":"5"}}', '{"$maxKey":1}']);
  });

  test('resuming after any reported position gives the same result as one pass', async () => {
    const [source, destination] = sides();
    const docs = mixedDocuments();
    await source.insertMany(docs.map((d) => ({ ...d })));
    const changed = docs.filter((_, i) => i % 9 !== 4).map((d, i) => (i % 5 === 0 ? { ...d, v: 2 } : { ...d }));
    await destination.insertMany([...changed, { _id: new Int32(15) }, { _id: 'b' }]);
    const positions: RangePosition[] = [];
    const whole = await compareRange(source, destination, {}, { batchSize: 8, maxMismatches: 1000, onBatch: (p) => void positions.push(p) });
    assert.ok(positions.length >= docs.length / 8, `onBatch after each batch (${positions.length} calls)`);
    assert.ok(whole.mismatchCount > 0);
    assert.deepEqual(positions.flatMap((p) => p.mismatches), whole.mismatches, 'each mismatch is reported once, with its batch');
    for (const at of [0, 3, Math.floor(positions.length / 2), positions.length - 2]) {
      const checkpoint = positions[at]!;
      const before = positions.slice(0, at + 1).flatMap((p) => p.mismatches);
      const rest = await compareRange(source, destination, {}, { after: checkpoint.lastId, batchSize: 5, maxMismatches: 1000 });
      assert.deepEqual(summary([...before, ...rest.mismatches]), summary(whole.mismatches), `resumed after ${ejson(checkpoint.lastId)}`);
      assert.equal(checkpoint.sourceDocuments + rest.sourceDocuments, whole.sourceDocuments);
      assert.equal(checkpoint.destinationDocuments + rest.destinationDocuments, whole.destinationDocuments);
      assert.equal(checkpoint.mismatchCount + rest.mismatchCount, whole.mismatchCount);
    }
  });

  test('mismatches are capped but all counted', async () => {
    const [source, destination] = sides();
    await source.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, v: 1 })));
    await destination.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, v: 2 })));
    const result = await compareRange(source, destination, {}, { maxMismatches: 3 });
    assert.equal(result.mismatchCount, 50);
    assert.deepEqual(result.mismatches.map((m) => m.id), [new Int32(0), new Int32(1), new Int32(2)]);
  });

  test('a collection missing on the destination: every document is missing there', async () => {
    const [source, destination] = sides();
    await source.insertMany([{ _id: 1 }, { _id: 2 }]);
    const result = await compareRange(source, destination, {});
    assert.deepEqual(summary(result.mismatches), ['missingOnDestination {"$numberInt":"1"}', 'missingOnDestination {"$numberInt":"2"}']);
    assert.equal(result.destinationDocuments, 0);
  });

  test('a collection with a case-insensitive default collation: both sides sort alike and the merge agrees', async () => {
    const [source, destination] = sides('ci');
    const collation = { locale: 'en', strength: 2 };
    await pair.admin.cluster0.db('verify').createCollection('ci', { collation });
    await pair.admin.cluster1.db('verify').createCollection('ci', { collation });
    const ids = ['b', 'A', 'é', 'e', 'Z', 'ä', 'a1', 'A2', '10', '9', new Int32(3), { k: 'B' }, { k: 'c' }];
    await source.insertMany(ids.map((_id) => ({ _id, v: 1 })));
    // the destination holds 'B' where the source holds 'b': one document under this collation
    await destination.insertMany(ids.map((_id) => ({ _id: _id === 'b' ? 'B' : _id, v: _id === 'Z' ? 2 : 1 })));
    const result = await compareRange(source, destination, {}, { batchSize: 3 });
    assert.deepEqual(summary(result.mismatches).sort(), ['different "Z"', 'different "b"'].sort());
    assert.equal(result.sourceDocuments, ids.length);
    const bounded = await compareRange(source, destination, { min: 'B', max: 'z' }, {});
    assert.deepEqual(summary(bounded.mismatches).sort(), ['different "Z"', 'different "b"'].sort());
    assert.ok(!summary(bounded.mismatches).includes('"a1"'));
  });

  test('different default collations on the two sides are refused, naming the namespace', async () => {
    const [source, destination] = sides('mixed');
    await pair.admin.cluster0.db('verify').createCollection('mixed', { collation: { locale: 'en', strength: 2 } });
    await pair.admin.cluster1.db('verify').createCollection('mixed');
    await assert.rejects(compareRange(source, destination, {}), (error: unknown) => error instanceof CollationMismatchError && /verify\.mixed/.test(error.message));
  });

  test('an aborted comparison stops with the signal', async () => {
    const [source, destination] = sides();
    await source.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i })));
    const controller = new AbortController();
    await assert.rejects(
      compareRange(source, destination, {}, { batchSize: 5, signal: controller.signal, onBatch: () => controller.abort(new Error('stop here')) }),
      /stop here/,
    );
  });
});
