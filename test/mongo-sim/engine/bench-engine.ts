// Engine-level micro-benchmark: insert and find throughput of ~1 KB documents, measured through
// Engine.runCommand with documents typed as the server layer hands them over (numeric wrappers).
// Run: node --import tsx test/mongo-sim/engine/bench-engine.ts [documentCount]
import { Double, Int32, Long, ObjectId, deserialize, serialize, type Document } from 'bson';
import type { RequestContext } from './types';
import { createEngine } from './index';

const TOTAL = Number(process.argv[2] ?? 100_000);
const BATCH = 1000;
const PARTITIONS = 16;

function makeDoc(i: number): Document {
  return {
    _id: new ObjectId(),
    seq: new Int32(i),
    amount: new Double(i * 1.25),
    big: Long.fromNumber(i * 1000),
    name: `customer-${i}`,
    tags: ['alpha', 'beta', 'gamma'],
    address: { street: `${i} Main Street`, city: 'Springfield', zip: new Int32(10000 + (i % 9000)) },
    // pad to about 1 KB of BSON
    note: 'x'.repeat(780),
  };
}

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')} docs/s`;
}

async function time<T>(label: string, n: number, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const out = await fn();
  const ms = performance.now() - start;
  console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${rate(n, ms)}`);
  return out;
}

async function drain(engine: ReturnType<typeof createEngine>, ctx: RequestContext, first: Document, coll: string): Promise<number> {
  let cursor = first.cursor as Document;
  let n = (cursor.firstBatch as unknown[]).length;
  while (!(cursor.id as Long).isZero()) {
    const more = await engine.runCommand({ getMore: cursor.id, collection: coll }, ctx);
    cursor = more.cursor as Document;
    n += (cursor.nextBatch as unknown[]).length;
  }
  return n;
}

async function main(): Promise<void> {
  const engine = createEngine({ periodicNoopIntervalMs: 0, ttlMonitorIntervalMs: 0 });
  const ctx: RequestContext = { db: 'bench', mayBypassWriteBlocking: false, signal: new AbortController().signal };
  const batches: Document[][] = [];
  for (let i = 0; i < TOTAL; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, TOTAL - i) }, (_, j) => makeDoc(i + j)));
  console.log(`documents: ${TOTAL}, ${serialize(batches[0][0]).length} bytes each`);

  await time('insert (batches of 1000)', TOTAL, async () => {
    for (const docs of batches) await engine.runCommand({ insert: 'c', documents: docs, ordered: true }, ctx);
  });

  const total = await time('find {} (101 + getMore until done)', TOTAL, async () => drain(engine, ctx, await engine.runCommand({ find: 'c', filter: {} }, ctx), 'c'));
  if (total !== TOTAL) throw new Error(`find returned ${total}`);

  const ids = (await engine.runCommand({ find: 'c', filter: {}, projection: { _id: 1 }, sort: { _id: 1 }, batchSize: TOTAL }, ctx)).cursor.firstBatch as Document[];
  const bounds = Array.from({ length: PARTITIONS + 1 }, (_, p) => (p === PARTITIONS ? undefined : ids[Math.floor((p * ids.length) / PARTITIONS)]._id));
  await time(`find by _id ranges (${PARTITIONS} partitions, sorted)`, TOTAL, async () => {
    let n = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const filter = bounds[p + 1] === undefined ? { _id: { $gte: bounds[p] } } : { _id: { $gte: bounds[p], $lt: bounds[p + 1] } };
      n += await drain(engine, ctx, await engine.runCommand({ find: 'c', filter, sort: { _id: 1 }, hint: { _id: 1 } }, ctx), 'c');
    }
    if (n !== TOTAL) throw new Error(`ranges returned ${n}`);
  });

  await time('find with a non-_id filter (mingo scan)', TOTAL, async () =>
    drain(engine, ctx, await engine.runCommand({ find: 'c', filter: { seq: { $gte: 0 } } }, ctx), 'c'),
  );

  // for scale: what serializing and parsing the same documents costs (the server layer's share)
  const flat = batches.flat();
  await time('reference: bson serialize of every document', TOTAL, async () => {
    for (const d of flat) serialize(d);
  });
  const bytes = flat.map((d) => serialize(d));
  await time('reference: bson deserialize (promoteValues false)', TOTAL, async () => {
    for (const b of bytes) deserialize(b, { promoteValues: false });
  });
  engine.close();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
