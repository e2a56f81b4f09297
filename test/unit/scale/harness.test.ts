// The pure parts of the scale harness (test/support/scale): its flags, its documents' exact
// size, and the payload walk that finds the largest payload in a workflow history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON } from 'mongodb';
import { DocumentFactory, namespaceOf } from '../../support/scale/data';
import { walkPayloads } from '../../support/scale/history';
import { parseScaleArgs, ScaleUsageError } from '../../support/scale/options';
import { SeededRandom } from '../../support/workload';

test('flags: documents are per collection, counts take k/m suffixes, the seed is kept', () => {
  const options = parseScaleArgs(['--collections', '2k', '--documents=3', '--doc-bytes', '1_024', '--seed', '42']);
  assert.equal(options.collections, 2000);
  assert.equal(options.documentsPerCollection, 3);
  assert.equal(options.docBytes, 1024);
  assert.equal(options.seed, 42);
  assert.equal(parseScaleArgs([], () => 7).seed, 7, 'a random seed when none is given');
  assert.equal(parseScaleArgs([]).verification, true, 'the verifier runs by default, as in mongosync');
  assert.equal(parseScaleArgs(['--verification', 'off']).verification, false);
});

test('flags: every refusal names the flag and what it expected', () => {
  const refusal = (argv: string[]): string => {
    try {
      parseScaleArgs(argv);
    } catch (error) {
      assert.ok(error instanceof ScaleUsageError);
      return error.message;
    }
    assert.fail(`accepted ${argv.join(' ')}`);
  };
  assert.match(refusal(['--collections', '0']), /--collections: expected at least 1 \(got '0'\)/);
  assert.match(refusal(['--doc-bytes', 'big']), /--doc-bytes: expected a number/);
  assert.match(refusal(['--documents', '1.5']), /--documents: expected a whole number/);
  assert.match(refusal(['--colections', '3']), /unknown flag --colections/);
  assert.match(refusal(['--seed']), /--seed needs a value/);
  assert.match(refusal(['--seed', '1', '--seed', '2']), /--seed given twice/);
  assert.match(refusal(['--tuning', '{"copyConcurency":2}']), /--tuning: unknown knob/);
  assert.match(refusal(['--tuning', 'nope']), /--tuning: expected a JSON object/);
  assert.match(refusal(['--verification', 'no']), /--verification: expected 'on' or 'off'/);
  assert.match(refusal(['--collections', '2', '--databases', '3']), /--databases: cannot be more than --collections/);
});

test('documents have exactly --doc-bytes BSON bytes, and the same seed gives the same document', () => {
  for (const size of [64, 100, 1024, 100_000]) {
    const factory = new DocumentFactory(new SeededRandom(3), size);
    for (const id of [0, 7, 2 ** 31 - 1]) assert.equal(BSON.calculateObjectSize(factory.make(5, id, 9)), size, `size ${size}, _id ${id}`);
  }
  const a = new DocumentFactory(new SeededRandom(3), 512).make(1, 2, 0);
  const b = new DocumentFactory(new SeededRandom(3), 512).make(1, 2, 0);
  assert.deepEqual(a, b);
  assert.throws(() => new DocumentFactory(new SeededRandom(3), 10), /--doc-bytes must be at least/);
});

test('collections spread round-robin over the databases, with sortable names', () => {
  assert.deepEqual(namespaceOf({ collections: 12, databases: 3 }, 10), { db: 'scale_1', coll: 'c10' });
  assert.deepEqual(namespaceOf({ collections: 12, databases: 3 }, 2), { db: 'scale_2', coll: 'c02' });
});

test('the payload walk measures every Payloads list and lone Payload with its path', () => {
  const bytes = (n: number) => new Uint8Array(n);
  const found: [number, string][] = [];
  walkPayloads(
    {
      input: { payloads: [{ metadata: { encoding: bytes(16) }, data: bytes(1000) }, { metadata: {}, data: bytes(24) }] },
      header: { fields: { trace: { metadata: { encoding: bytes(4) }, data: bytes(10) } } },
      activityType: { name: 'copyCatalog' },
    },
    '',
    (size, path) => found.push([size, path]),
  );
  assert.deepEqual(found, [
    ['encoding'.length + 16 + 1000 + 24, 'input'],
    ['encoding'.length + 4 + 10, 'header.fields.trace'],
  ]);
});
