import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BSONSymbol, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb';
import {
  coalesceQueue,
  documentKeyIdentity,
  hasNonSimpleCollation,
  namespacesWithCollatableKeys,
  planApply,
  segmentRounds,
  type ApplyPlan,
  type PlannedWrite,
} from '../../../src/sync/apply-batching';
import { translateChangeEvent, type CrudWrite, type EventTranslation } from '../../../src/sync/event-translation';
import { keyValueIdentity } from '../../../src/sync/key-identity';
import { applyOperatorUpdate, clone, sameValue, type Doc, type Value } from './support/reference-docs';
import { NAMESPACE, Rng, randomDocument, randomHistory } from './support/source-simulation';

const ns = { db: 'app', coll: 'c' };

function crudT(id: unknown, writes: CrudWrite[], coll = 'c'): EventTranslation {
  return { kind: 'crud', operationType: 'update', ns: { db: 'app', coll }, documentKey: { _id: id }, writes };
}

const set = (fields: Record<string, unknown>): CrudWrite => ({ kind: 'update', update: { $set: fields } });
const unset = (...paths: string[]): CrudWrite => ({ kind: 'update', update: { $unset: Object.fromEntries(paths.map((p) => [p, ''])) } });
const ddl: EventTranslation = { kind: 'ddl', operation: { type: 'drop', ns } };

function planned(write: CrudWrite, index: number): PlannedWrite {
  return { write, documentKey: { _id: 1 }, covers: [index] };
}

describe('document key identity', () => {
  it('numbers of any BSON type with the same value are one key', () => {
    const ids = [1, new Int32(1), new Double(1), Long.fromNumber(1), Decimal128.fromString('1.0'), 1n];
    const keys = new Set(ids.map(keyValueIdentity));
    assert.equal(keys.size, 1);
    assert.equal(keyValueIdentity(-0), keyValueIdentity(0));
  });

  it('strings and symbols with the same text are one key; other types differ', () => {
    assert.equal(keyValueIdentity('a'), keyValueIdentity(new BSONSymbol('a')));
    const distinct = ['1', 1, true, null, new Date(1), new ObjectId('000000000000000000000001'), [1], { a: 1 }];
    assert.equal(new Set(distinct.map(keyValueIdentity)).size, distinct.length);
  });

  it('embedded documents compare field by field, in order', () => {
    assert.equal(keyValueIdentity({ a: 1, b: new Int32(2) }), keyValueIdentity({ a: new Double(1), b: 2 }));
    assert.notEqual(keyValueIdentity({ a: 1, b: 2 }), keyValueIdentity({ b: 2, a: 1 }));
  });

  it('includes the namespace', () => {
    assert.notEqual(documentKeyIdentity({ db: 'a', coll: 'b' }, { _id: 1 }), documentKeyIdentity({ db: 'a', coll: 'c' }, { _id: 1 }));
    assert.notEqual(documentKeyIdentity({ db: 'a.b', coll: 'c' }, { _id: 1 }), documentKeyIdentity({ db: 'a', coll: 'b.c' }, { _id: 1 }));
  });
});

describe('planApply', () => {
  it('DDL events are barriers between CRUD steps, in stream order', () => {
    const plan = planApply([crudT(1, [set({ a: 1 })]), crudT(2, [set({ a: 1 })]), ddl, crudT(1, [set({ a: 2 })])]);
    assert.deepEqual(
      plan.steps.map((s) => s.kind),
      ['crud', 'ddl', 'crud'],
    );
    assert.deepEqual(plan.steps[1], { kind: 'ddl', operation: { type: 'drop', ns }, covers: [2] });
    assert.equal(plan.stop, null);
  });

  it('an unsupported event ends the plan after flushing what came before', () => {
    const plan = planApply([crudT(1, [set({ a: 1 })]), { kind: 'unsupported', operationType: 'invalidate', reason: 'r' }, crudT(2, [set({ a: 1 })])]);
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(plan.stop, { index: 1, operationType: 'invalidate', reason: 'r' });
  });

  it('ignored events and empty updates are noops', () => {
    const plan = planApply([{ kind: 'ignore', operationType: 'createSearchIndexes', reason: 'x' }, crudT(1, [])]);
    assert.deepEqual(plan.noop, [0, 1]);
  });

  it('groups by normalised key; numerically equal _ids share a queue', () => {
    const plan = planApply([crudT(1, [set({ a: 1 })]), crudT(new Double(1), [unset('b')]), crudT('1', [set({ c: 1 })])], { coalesce: false });
    const step = plan.steps[0];
    assert.equal(step.kind, 'crud');
    if (step.kind === 'crud') {
      assert.equal(step.queues.length, 2);
      assert.deepEqual(step.queues[0].writes.map((w) => w.covers), [[0], [1]]);
    }
  });

  it('serialized namespaces put every key holding a string in one queue, in order, without coalescing', () => {
    const plan = planApply(
      [crudT('a', [set({ a: 1 })]), crudT('A', [{ kind: 'delete' }]), crudT(7, [set({ a: 1 })]), crudT({ k: 'a' }, [{ kind: 'delete' }]), crudT('a', [{ kind: 'delete' }])],
      { serializedNamespaces: new Set(['app.c']) },
    );
    const step = plan.steps[0];
    assert.ok(step.kind === 'crud');
    assert.equal(step.queues.length, 2);
    assert.equal(step.queues[0].serialized, true);
    assert.deepEqual(step.queues[0].writes.map((w) => [w.documentKey._id, w.covers]), [['a', [0]], ['A', [1]], [{ k: 'a' }, [3]], ['a', [4]]]);
    // a key without strings cannot be equal to another key under any collation
    assert.equal(step.queues[1].serialized, false);
    assert.deepEqual(step.queues[1].writes.map((w) => [w.documentKey._id, w.covers]), [[7, [2]]]);
  });

  it('collations: only a non-simple one counts, and only namespaces with string keys are looked up', () => {
    assert.equal(hasNonSimpleCollation({}), false);
    assert.equal(hasNonSimpleCollation({ collation: { locale: 'simple' } }), false);
    assert.equal(hasNonSimpleCollation({ collation: { locale: 'en', strength: 2 } }), true);
    const found = namespacesWithCollatableKeys([crudT(1, [set({ a: 1 })], 'n'), crudT({ k: 's' }, [set({ a: 1 })], 's'), crudT('x', [], 's'), ddl]);
    assert.deepEqual(found, [{ db: 'app', coll: 's' }]);
  });

  it('a multi-write event covers its index with its last write only', () => {
    const push: CrudWrite = { kind: 'update', update: { $push: { a: { $each: [], $slice: 1 } } } };
    const plan = planApply([crudT(1, [push, set({ 'a.0': 1 })])]);
    const step = plan.steps[0];
    assert.ok(step.kind === 'crud');
    assert.deepEqual(step.queues[0].writes.map((w) => w.covers), [[], [0]]);
  });

  it('rounds take the r-th write of every queue, grouped by namespace', () => {
    const plan = planApply([crudT(1, [set({ a: 1 })]), crudT(2, [set({ a: 1 })], 'd'), crudT(1, [{ kind: 'resync' }]), crudT(3, [set({ a: 1 })])]);
    const step = plan.steps[0];
    assert.ok(step.kind === 'crud');
    const rounds = segmentRounds(step);
    assert.equal(rounds.length, 2);
    assert.deepEqual(rounds[0].map((g) => [g.ns.coll, g.writes.map((w) => w.documentKey._id)]), [['c', [1, 3]], ['d', [2]]]);
    assert.deepEqual(rounds[1].map((g) => [g.ns.coll, g.writes.map((w) => w.covers)]), [['c', [[2]]]]);
  });
});

describe('coalesceQueue', () => {
  it('a replace or delete supersedes earlier writes and covers their events', () => {
    const out = coalesceQueue([planned(set({ a: 1 }), 0), planned({ kind: 'resync' }, 1), planned({ kind: 'replace', replacement: { _id: 1 } }, 2), planned(set({ b: 1 }), 3), planned({ kind: 'delete' }, 4)]);
    assert.deepEqual(out, [{ write: { kind: 'delete' }, documentKey: { _id: 1 }, covers: [0, 1, 2, 3, 4] }]);
  });

  it('merges an update that only touches paths the previous one set', () => {
    const out = coalesceQueue([planned(set({ n: 1, m: 1 }), 0), planned(set({ n: 2 }), 1), planned(unset('m'), 2)]);
    assert.deepEqual(out, [{ write: { kind: 'update', update: { $set: { n: 2 }, $unset: { m: '' } } }, documentKey: { _id: 1 }, covers: [0, 1, 2] }]);
  });

  it('does not merge a new path, a re-set of an unset path, or truncations', () => {
    assert.equal(coalesceQueue([planned(set({ n: 1 }), 0), planned(set({ o: 1 }), 1)]).length, 2);
    assert.equal(coalesceQueue([planned(unset('n'), 0), planned(set({ n: 1 }), 1)]).length, 2);
    const push: CrudWrite = { kind: 'update', update: { $push: { a: { $each: [], $slice: 0 } } } };
    assert.equal(coalesceQueue([planned(push, 0), planned(push, 1)]).length, 2);
    assert.equal(coalesceQueue([planned(unset('n'), 0), planned(unset('n'), 1)]).length, 1);
  });
});

// ------------------------------------------------------------------ execution against a model

type Store = Map<string, Doc>;

interface Source {
  /** source state of each document after each event index */
  statesAfter: Map<number, { key: string; doc: Doc | null }>;
}

function executeWrite(store: Store, key: string, write: CrudWrite, resyncState: Doc | null): void {
  const current = store.get(key) ?? null;
  switch (write.kind) {
    case 'replace':
      store.set(key, clone(write.replacement as Doc));
      return;
    case 'delete':
      store.delete(key);
      return;
    case 'resync':
      if (resyncState) store.set(key, clone(resyncState));
      else store.delete(key);
      return;
    case 'update':
      if (current) store.set(key, applyOperatorUpdate(current, write.update));
  }
}

/** Runs a plan: steps in order; inside a CRUD step, rounds in order, writes of a round in `shuffle` order. */
function executePlan(plan: ApplyPlan, store: Store, source: Source, shuffle: (n: number) => number[], appliedEvents: number[]): void {
  for (const step of plan.steps) {
    if (step.kind === 'ddl') {
      appliedEvents.push(...step.covers);
      continue;
    }
    for (const round of segmentRounds(step)) {
      const writes = round.flatMap((g) => g.writes.map((w) => ({ ns: g.ns, w })));
      for (const i of shuffle(writes.length)) {
        const { ns: writeNs, w } = writes[i];
        const key = documentKeyIdentity(writeNs, w.documentKey);
        const last = Math.max(-1, ...w.covers);
        const resyncState = last >= 0 ? (source.statesAfter.get(last)?.doc ?? null) : null;
        executeWrite(store, key, w.write, resyncState);
        appliedEvents.push(...w.covers);
      }
    }
  }
}

function interleavedHistory(seed: number) {
  const g = new Rng(seed);
  const ids: Value[] = [1, 2, 'k', { x: 1 }].slice(0, g.int(1, 4));
  const histories = ids.map((id) => {
    const initial = g.bool() ? randomDocument(g, id) : null;
    return { id, initial, events: randomHistory(g, id, initial, g.int(1, 8)) };
  });
  const cursors = histories.map(() => 0);
  const merged: { event: Record<string, unknown> | null; after: Doc | null; key: string }[] = [];
  for (;;) {
    const open = histories.map((_h, i) => i).filter((i) => cursors[i] < histories[i].events.length);
    if (open.length === 0) break;
    if (g.int(0, 6) === 0) merged.push({ event: null, after: null, key: '' }); // a DDL barrier
    const i = g.pick(open);
    const { event, after } = histories[i].events[cursors[i]++];
    merged.push({ event, after, key: documentKeyIdentity(NAMESPACE, { _id: histories[i].id }) });
  }
  return { histories, merged, g };
}

describe('planned execution (property)', () => {
  it('any execution of the plan ends where applying the events one by one ends, and accounts for every event once', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), (seed, coalesce) => {
        const { histories, merged, g } = interleavedHistory(seed);
        const translations: EventTranslation[] = merged.map(({ event }) =>
          event === null ? { kind: 'ddl', operation: { type: 'createIndexes', ns: NAMESPACE, indexes: [] } } : translateChangeEvent(event),
        );
        const source: Source = { statesAfter: new Map(merged.map((m, i) => [i, { key: m.key, doc: m.after }])) };

        const initialStore = (): Store => {
          const store: Store = new Map();
          for (const h of histories) if (h.initial) store.set(documentKeyIdentity(NAMESPACE, { _id: h.id }), clone(h.initial));
          return store;
        };

        // reference: one event at a time, in stream order
        const sequential = initialStore();
        merged.forEach((m, i) => {
          const t = translations[i];
          if (t.kind !== 'crud') return;
          for (const w of t.writes) executeWrite(sequential, m.key, w, source.statesAfter.get(i)?.doc ?? null);
        });

        const plan = planApply(translations, { coalesce });
        const store = initialStore();
        const applied: number[] = [...plan.noop];
        const shuffle = (n: number) => {
          const order = [...Array(n).keys()];
          for (let k = n - 1; k > 0; k--) {
            const j = g.int(0, k);
            [order[k], order[j]] = [order[j], order[k]];
          }
          return order;
        };
        executePlan(plan, store, source, shuffle, applied);

        for (const h of histories) {
          const key = documentKeyIdentity(NAMESPACE, { _id: h.id });
          const expected = h.events.length ? h.events[h.events.length - 1].after : h.initial;
          assert.ok(sameValue(store.get(key) ?? null, expected), `doc ${JSON.stringify(h.id)}: got ${JSON.stringify(store.get(key))} want ${JSON.stringify(expected)}`);
          assert.ok(sameValue(sequential.get(key) ?? null, expected));
        }
        assert.deepEqual([...applied].sort((a, b) => a - b), [...merged.keys()], 'every event is applied exactly once');
      }),
      { numRuns: 1500 },
    );
  });

  it('coalescing never adds writes, and usually removes some', () => {
    let saved = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { merged } = interleavedHistory(seed);
        const translations = merged.filter((m) => m.event !== null).map((m) => translateChangeEvent(m.event!));
        const count = (plan: ApplyPlan) => plan.steps.reduce((n, s) => n + (s.kind === 'crud' ? s.queues.reduce((q, x) => q + x.writes.length, 0) : 1), 0);
        const plain = count(planApply(translations, { coalesce: false }));
        const coalesced = count(planApply(translations));
        assert.ok(coalesced <= plain);
        saved += plain - coalesced;
      }),
      { numRuns: 300 },
    );
    assert.ok(saved > 0);
  });
});
