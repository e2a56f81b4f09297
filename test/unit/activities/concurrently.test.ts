// forEachConcurrently: every item once, never more than the limit in flight, the first failure
// stops new steps and is thrown after the ones in flight settle. forEachConcurrentlyInOrder:
// results handed on in the items' order, each once every item before it has finished.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachConcurrently, forEachConcurrentlyInOrder } from '../../../src/activities/concurrently';

/** A step that waits for a later turn of the event loop, tracking how many run at once. */
function trackedSteps() {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  const step = async (item: number): Promise<void> => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(item);
    inFlight--;
  };
  return { step, seen, most: () => most, inFlight: () => inFlight };
}

test('every item is stepped once, with at most the limit in flight', async () => {
  for (const [count, limit] of [[0, 4], [1, 4], [3, 8], [50, 8], [50, 1]] as const) {
    const tracked = trackedSteps();
    const items = Array.from({ length: count }, (_, i) => i);
    await forEachConcurrently(items, limit, tracked.step);
    assert.deepEqual([...tracked.seen].sort((a, b) => a - b), items);
    assert.ok(tracked.most() <= limit, `${tracked.most()} in flight with limit ${limit}`);
    if (count >= limit) assert.equal(tracked.most(), limit, 'the limit is used');
  }
});

test('the first failure stops new steps and is thrown once the steps in flight settled', async () => {
  const tracked = trackedSteps();
  const started: number[] = [];
  const failing = async (item: number): Promise<void> => {
    started.push(item);
    if (item === 5) throw new Error('step 5 failed');
    await tracked.step(item);
  };
  await assert.rejects(forEachConcurrently(Array.from({ length: 100 }, (_, i) => i), 4, failing), /step 5 failed/);
  assert.equal(tracked.inFlight(), 0, 'nothing still running when it throws');
  assert.ok(started.length < 100 && started.length <= 5 + 4, `stopped starting steps (${started.length} started)`);
});

test('results are handed on in the items\' order, only once every item before has finished', async () => {
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 1_000_000));
  console.log(`SEED=${seed}`);
  let state = seed;
  const random = (n: number): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state % n;
  };
  const items = Array.from({ length: 60 }, (_, i) => i);
  const done = new Set<number>();
  const handed: number[] = [];
  await forEachConcurrentlyInOrder(
    items,
    6,
    async (item) => {
      for (let turns = random(5); turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
      done.add(item);
      return item * 10;
    },
    (item, result) => {
      assert.equal(result, item * 10, `SEED=${seed}`);
      for (let before = 0; before <= item; before++) assert.ok(done.has(before), `SEED=${seed}: ${item} handed on before ${before} finished`);
      handed.push(item);
    },
  );
  assert.deepEqual(handed, items, `SEED=${seed}`);
});

test('a failure hands on nothing after the failed item', async () => {
  const handed: number[] = [];
  await assert.rejects(
    forEachConcurrentlyInOrder(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      async (item) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (item === 7) throw new Error('step 7 failed');
        return item;
      },
      (item) => handed.push(item),
    ),
    /step 7 failed/,
  );
  assert.ok(!handed.some((item) => item >= 7), `handed on ${handed.join(',')}`);
});
