// Change events over 16 MB during change event application, end to end (real Temporal dev
// server, simulated replica sets): an insert of a document near 16 MB whose event carries a
// large _id twice, and an update whose event lists a near-16 MB $set and many removed fields.
// A 7.0 source splits such events ($changeStreamSplitLargeEvent, reassembled by the engine); a
// 6.0.8 source cannot, answers BSONObjectTooLarge, and the engine takes the documents from the
// source. Both write documents whose statements the driver would refuse whole. Clusters end equal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BSON, type Document } from 'mongodb';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { compareClusters } from '../support/compare-clusters';
import { startSyncHarness, waitForProgress, type SyncHarness } from '../support/sync-harness';
import { createTemporalTestEnv } from '../support/temporal';

const MiB = 1024 * 1024;
/** What a server can put in one event: BSONObjMaxInternalSize. */
const MAX_EVENT_BYTES = 16 * MiB + 16 * 1024;

let env: TestWorkflowEnvironment;

before(async () => {
  env = await createTemporalTestEnv();
});

after(async () => {
  await env?.teardown();
});

/** A string that makes `doc` exactly `bytes` long once set as its `payload`. */
function payloadFor(doc: Document, bytes: number): string {
  return 'p'.repeat(bytes - BSON.calculateObjectSize({ ...doc, payload: '' }));
}

const LONG_NAMES = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'n'.repeat(1000)}`);

for (const version of ['7.0', '6.0.8']) {
  describe(`a ${version} source`, () => {
    let pair: ClusterPair;
    let h: SyncHarness | undefined;

    before(async () => {
      pair = await startClusterPair({ version });
    });

    after(async () => {
      await h?.close();
      await pair?.close();
    });

    test('oversized insert and update events during event application: the clusters end equal', { timeout: 300_000 }, async () => {
      const coll = pair.app.cluster0.db('big').collection<Document>('docs');
      const growing: Document = { _id: 'g'.repeat(24 * 1024), tag: 'grow', ...Object.fromEntries(LONG_NAMES.map((n) => [n, 1])) };
      await coll.insertMany([{ _id: 1, small: true } as Document, growing]);
      h = await startSyncHarness(env, pair);
      await h.controller.start({ source: 'cluster0', destination: 'cluster1' });
      await waitForProgress(h.controller, (p) => p.state === 'RUNNING' && p.info === 'change event application', 120_000);

      // The insert's event holds the document and its 20 KB _id again in documentKey.
      const inserted: Document = { _id: 'i'.repeat(20 * 1024) };
      inserted.payload = payloadFor(inserted, 16 * MiB - 100);
      assert.ok(BSON.calculateObjectSize(inserted) + BSON.calculateObjectSize({ _id: inserted._id }) > MAX_EVENT_BYTES);
      await coll.insertOne(inserted);

      // The update's event holds the new payload, the 20 removed 1 KB names and the 24 KB _id.
      const grownPayload = payloadFor({ _id: growing._id, tag: 'grow' }, 16 * MiB - 100);
      const update = { $set: { payload: grownPayload }, $unset: Object.fromEntries(LONG_NAMES.map((n) => [n, ''])) };
      assert.ok(BSON.calculateObjectSize(update) + BSON.calculateObjectSize({ _id: growing._id }) > MAX_EVENT_BYTES);
      await coll.updateOne({ tag: 'grow' }, update);
      await coll.insertOne({ _id: 2, after: 'the large events' } as Document);

      await waitForProgress(h.controller, (p) => p.canCommit === true, 120_000);
      await h.controller.commit();
      await waitForProgress(h.controller, (p) => p.state === 'COMMITTED', 120_000);
      assert.deepEqual(await compareClusters(pair.admin.cluster0, pair.admin.cluster1), []);
      const copy = await pair.admin.cluster1.db('big').collection<Document>('docs').findOne({ tag: 'grow' });
      assert.equal(copy?.payload, grownPayload);
    });
  });
}
