// Throughput of the simulator through the official driver, next to a raw baseline measured in
// the same run: `npx tsx test/mongo-sim/bench.ts [documentCount] [--in-process]`.
// By default the simulator runs in its own process, as mongod does, so the driver and the
// server do not share one core; --in-process runs both in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { deserialize, serialize, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import type { Loose } from './conformance/target';
import { startMongoSim } from './index';

const args = process.argv.slice(2);
const IN_PROCESS = args.includes('--in-process');
const DOC_COUNT = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const BATCH = 1000;
const INSERT_TARGET = 30_000;
const FIND_TARGET = 60_000;

/** A document of about 1 KB: a few typed fields and a padding string. */
function makeDocument(i: number): Document {
  return { _id: i, name: `user-${i}`, group: i % 100, score: i * 1.5, createdAt: new Date(1_700_000_000_000 + i), tags: ['a', 'b', 'c'], payload: 'x'.repeat(900) };
}

function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

/** What the same documents cost to encode and decode once, with no server or network. */
function bsonBaseline(docs: Document[]): number {
  const started = performance.now();
  for (let i = 0; i < docs.length; i += BATCH) {
    const bytes = serialize({ documents: docs.slice(i, i + BATCH) });
    deserialize(bytes);
  }
  return rate(docs.length, performance.now() - started);
}

/** Starts the simulator's CLI as a child process; resolves with its URI once it listens. */
async function startSimulatorProcess(): Promise<{ uri: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'cli.ts'), '--periodicNoopIntervalMs', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    uri: firstLine.trim(),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  const docs = Array.from({ length: DOC_COUNT }, (_, i) => makeDocument(i));
  const sim = IN_PROCESS ? await startMongoSim({ periodicNoopIntervalMs: 0 }) : await startSimulatorProcess();
  const client = new MongoClient(sim.uri);
  try {
    const coll = client.db('bench').collection<Loose>('docs');
    await coll.insertOne({ _id: -1 });
    const baseline = bsonBaseline(docs);

    let started = performance.now();
    for (let i = 0; i < docs.length; i += BATCH) await coll.insertMany(docs.slice(i, i + BATCH), { ordered: true });
    const inserts = rate(docs.length, performance.now() - started);

    started = performance.now();
    let found = 0;
    for await (const doc of coll.find({}, { batchSize: BATCH })) if (doc) found++;
    const finds = rate(found, performance.now() - started);

    const line = (what: string, value: number, target: number) =>
      `${what.padEnd(28)} ${String(value).padStart(9)} docs/s  (target >= ${target}, ${(value / baseline).toFixed(3)} x baseline)${value >= target ? '' : '  BELOW TARGET'}`;
    console.log(`documents: ${docs.length} of ~${serialize(docs[0]).length} bytes, batches of ${BATCH}, simulator ${IN_PROCESS ? 'in this process' : 'in its own process'}`);
    console.log(`${'baseline bson encode+decode'.padEnd(28)} ${String(baseline).padStart(9)} docs/s`);
    console.log(line('insertMany through driver', inserts, INSERT_TARGET));
    console.log(line('find (full scan) via driver', finds, FIND_TARGET));
  } finally {
    await client.close();
    await sim.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
