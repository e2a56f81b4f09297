// The embedded verifier's first-pass activity (verifyWorkUnit) on two simulated clusters (or real
// ones with TEST_CLUSTER0_URI/TEST_CLUSTER1_URI): a span of work units, one of many small
// collections packed together (compared ahead of the checkpoint, a first batch at a time) and one
// of a collection's partition, is compared call after call, each call cut short by its deadline and
// resumed either from the workflow's resume point or from the durable checkpoint alone. Every
// difference, in a first batch or after it, becomes a candidate, and every document is counted
// exactly once on each side, however the calls were cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Document, MongoClient } from 'mongodb';
import {
  AHEAD_BATCH_SIZE,
  beginVerification,
  PARTITIONS_AHEAD,
  verifyWorkUnit,
  type VerifyWorkUnitInput,
  type VerifyWorkUnitResult,
} from '../../src/activities/verify';
import type { ClusterClients } from '../../src/mongo/cluster-clients';
import { C2C_METADATA_DB, C2C_VERIFIER_DB } from '../../src/sync/namespace-names';
import type { PartitionRange } from '../../src/sync/vocabulary';
import type { ClusterPair } from '../support/cluster-pair';
import { useClusterClients } from '../support/shared-clusters';

let pair: ClusterPair;
let clusters: ClusterClients;

useClusterClients((started) => ({ pair, clusters } = started));

const name = (i: number) => `c${String(i).padStart(2, '0')}`;
/** Documents per packed collection: empty ones, small ones, and ones past a look-ahead's first batch. */
const SIZES = [3, 0, AHEAD_BATCH_SIZE + 37, 1, AHEAD_BATCH_SIZE, 2 * AHEAD_BATCH_SIZE + 5, 5, AHEAD_BATCH_SIZE + 1, 0, 40, 3 * AHEAD_BATCH_SIZE, 7, 2, 60];
const SPLIT = 700;

interface Planted {
  db: string;
  coll: string;
  id: number;
}

/**
 * Seeds both clusters and the copy plan (unit 0: every packed collection, one partition each;
 * unit 1: the first half of a split collection; unit 2: its second half). Returns the
 * differences planted on the destination and the document counts of each side.
 */
async function seedBoth(): Promise<{ planted: Planted[]; sourceDocuments: number; destinationDocuments: number }> {
  const planted: Planted[] = [];
  let sourceDocuments = 0;
  let destinationDocuments = 0;
  const doc = (id: number, tag = 'same') => ({ _id: id, tag, pad: 'x'.repeat(40) });
  const fill = async (client: MongoClient, db: string, coll: string, docs: Document[]) => {
    await client.db(db).createCollection(coll);
    if (docs.length > 0) await client.db(db).collection(coll).insertMany(docs);
  };
  for (const [i, size] of SIZES.entries()) {
    const docs = Array.from({ length: size }, (_, n) => doc(n));
    const onDestination = docs.map((d) => ({ ...d }));
    // A difference in the first batch, one past it, a document missing and one extra, spread over the collections.
    if (size > 0 && i % 3 === 0) {
      onDestination[0] = doc(0, 'changed');
      planted.push({ db: 'packed', coll: name(i), id: 0 });
    }
    if (size > AHEAD_BATCH_SIZE) {
      const late = size - 1;
      onDestination[late] = doc(late, 'changed');
      planted.push({ db: 'packed', coll: name(i), id: late });
      onDestination.splice(AHEAD_BATCH_SIZE, 1);
      planted.push({ db: 'packed', coll: name(i), id: AHEAD_BATCH_SIZE });
    }
    if (i % 4 === 1) {
      onDestination.push(doc(10_000, 'extra'));
      planted.push({ db: 'packed', coll: name(i), id: 10_000 });
    }
    await fill(pair.admin.cluster0, 'packed', name(i), docs);
    await fill(pair.admin.cluster1, 'packed', name(i), onDestination);
    sourceDocuments += docs.length;
    destinationDocuments += onDestination.length;
  }
  const split = Array.from({ length: 2 * SPLIT }, (_, n) => doc(n));
  const splitOnDestination = split.map((d) => (d._id === SPLIT - 1 || d._id === SPLIT + 333 ? doc(d._id, 'changed') : d));
  planted.push({ db: 'big', coll: 'split', id: SPLIT - 1 }, { db: 'big', coll: 'split', id: SPLIT + 333 });
  await fill(pair.admin.cluster0, 'big', 'split', split);
  await fill(pair.admin.cluster1, 'big', 'split', splitOnDestination);
  sourceDocuments += split.length;
  destinationDocuments += splitOnDestination.length;

  const units: PartitionRange[][] = [
    SIZES.map((_, i) => ({ db: 'packed', coll: name(i), min: null, max: null })),
    [{ db: 'big', coll: 'split', min: null, max: `{"$numberInt":"${SPLIT}"}` }],
    [{ db: 'big', coll: 'split', min: `{"$numberInt":"${SPLIT}"}`, max: null }],
  ];
  await pair.admin.cluster1
    .db(C2C_METADATA_DB)
    .collection<Document>('copyUnits')
    .insertMany(units.map((partitions, unit) => ({ _id: unit as never, partitions, estimatedBytes: 0 })));
  return { planted, sourceDocuments, destinationDocuments };
}

const key = (p: Planted) => `${p.db}.${p.coll} ${p.id}`;
/** The planted differences' keys, each once (a document changed, then removed, is one difference). */
const plantedKeys = (planted: Planted[]) => [...new Set(planted.map(key))].sort();

async function recordedCandidates(): Promise<string[]> {
  const entries = await pair.admin.cluster1
    .db(C2C_VERIFIER_DB)
    .collection<{ _id: { db: string; coll: string; id: number } }>('candidates')
    .find({}, { promoteValues: true })
    .toArray();
  return entries.map((entry) => key(entry._id)).sort();
}

/**
 * Runs the span [0, 3) call after call until it is done, each call with the next of `deadlines`
 * (ms); a call given `fromCheckpoint` gets no resume point, as a workflow that lost it (the
 * activity resumes from its durable checkpoint). Returns the last result and the calls made.
 */
async function runSpan(deadlines: number[], fromCheckpoint: (call: number) => boolean): Promise<{ last: VerifyWorkUnitResult; calls: number }> {
  await new MockActivityEnvironment().run(beginVerification, clusters, { destination: 'cluster1' as const, runKey: 'verify-work-unit-test' });
  let resume: VerifyWorkUnitInput['resume'] = null;
  for (let call = 0; call < 10_000; call++) {
    const input: VerifyWorkUnitInput = {
      source: 'cluster0',
      destination: 'cluster1',
      unit: 0,
      units: 3,
      resume: fromCheckpoint(call) ? null : resume,
      maxDurationMs: deadlines[call % deadlines.length]!,
      batchSize: 25,
      syncId: 'verify-work-unit-test',
    };
    const last = (await new MockActivityEnvironment().run(verifyWorkUnit, clusters, input)) as VerifyWorkUnitResult;
    if (last.done) return { last, calls: call + 1 };
    resume = last.resume;
  }
  throw new Error('the span never finished');
}

test('a span compared in one call: every difference a candidate, every document counted once', async () => {
  assert.ok(SIZES.length > PARTITIONS_AHEAD + 1, 'the packed unit holds more collections than are compared ahead');
  const seeded = await seedBoth();
  const { last, calls } = await runSpan([600_000], () => false);
  assert.equal(calls, 1);
  assert.equal(last.sourceDocuments, seeded.sourceDocuments);
  assert.equal(last.destinationDocuments, seeded.destinationDocuments);
  assert.equal(last.collectionsScanned, SIZES.length + 1);
  assert.deepEqual(await recordedCandidates(), plantedKeys(seeded.planted));
});

test('a span cut by deadlines and resumed from results or from the checkpoint alone: the same candidates and counts', async () => {
  const seeded = await seedBoth();
  // Deadlines from "at once" (one batch per call, nothing compared ahead) to long enough for a few collections.
  const { last, calls } = await runSpan([0, 3, 1, 15, 0, 40, 250], (call) => call % 3 === 2);
  assert.ok(calls > 3, `the calls were cut short (${calls} calls)`);
  assert.equal(last.sourceDocuments, seeded.sourceDocuments, 'every source document counted once');
  assert.equal(last.destinationDocuments, seeded.destinationDocuments, 'every destination document counted once');
  assert.equal(last.collectionsScanned, SIZES.length + 1);
  assert.deepEqual(await recordedCandidates(), plantedKeys(seeded.planted), 'every difference recorded');
  const checkpoint = await pair.admin.cluster1.db(C2C_VERIFIER_DB).collection<{ _id: number; done: boolean; sourceDocuments: number }>('checkpoints').findOne({ _id: 0 });
  assert.equal(checkpoint?.done, true);
  assert.equal(checkpoint?.sourceDocuments, seeded.sourceDocuments);
});
