import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Binding,
  crudTarget,
  type DdlAction,
  type DdlEvent,
  type DestinationKind,
  type DestinationView,
  planDdl,
  recoveryPlan,
} from '../../../src/sync/ddl-replay';
import type { DdlOperation, EventNamespace } from '../../../src/sync/event-translation';

const ns = (coll: string, db = 'd'): EventNamespace => ({ db, coll });

function view(namespaces: Record<string, DestinationKind>, bindings: Binding[] = []): DestinationView {
  return { namespaces: new Map(Object.entries(namespaces)), bindings: new Map(bindings.map((b) => [b.uuid, b])) };
}
const live = (uuid: string, coll: string): Binding => ({ uuid, ns: ns(coll), state: 'live' });

const T = { t: 100, i: 1 };

/** The plan's actions without the event time each binding records. */
function actionsOf(plan: { actions: DdlAction[] }): unknown[] {
  return plan.actions.map((action) => {
    if (action.type !== 'bind' && action.type !== 'markDropped') return action;
    assert.deepEqual(action.at, T, 'bindings record the event time');
    const { at: _at, ...rest } = action;
    return rest;
  });
}

function rename(from: string, to: string, uuid: string, dropTargetUuid: string | null = null, recopy = false): DdlEvent {
  return { at: T, operation: { type: 'rename', from: ns(from), to: ns(to), dropTarget: dropTargetUuid !== null }, uuid, dropTargetUuid, renameAction: 'rename', recopy };
}

describe('planDdl', () => {
  it('renames over a free target and records where the collection went', () => {
    const plan = planDdl(rename('a', 'b', 'u1'), view({ 'd.a': 'collection' }, [live('u1', 'a')]));
    assert.deepEqual(actionsOf(plan), [
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false, renamingFrom: ns('a') },
      { type: 'rename', from: ns('a'), to: ns('b'), dropTarget: false },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
  });

  it('finishes a rename interrupted after its binding moved, before anything else', () => {
    const interrupted = view({ 'd.a': 'collection', 'd.b': 'collection' }, [
      { ...live('u1', 'b'), renamingFrom: ns('a') },
      live('u2', 'b'),
    ]);
    assert.deepEqual(recoveryPlan(interrupted), [
      { type: 'rename', from: ns('a'), to: ns('b'), dropTarget: true },
      { type: 'markDropped', uuid: 'u2' },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
    const renamed = view({ 'd.b': 'collection' }, [{ ...live('u1', 'b'), renamingFrom: ns('a'), recopyPending: true }]);
    assert.deepEqual(recoveryPlan(renamed), [
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: true },
      { type: 'recopy', uuid: 'u1', ns: ns('b') },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
    assert.deepEqual(recoveryPlan(view({ 'd.b': 'collection' }, [live('u1', 'b')])), []);
  });

  it('does nothing for a rename the copy already saw (target holds the renamed collection), even with a replayed create at the old name', () => {
    // The copy read the catalog after A was renamed to B; a replayed create made an A of its own.
    const state = view({ 'd.a': 'collection', 'd.b': 'collection' }, [live('u1', 'b')]);
    const create = planDdl({ at: T, operation: { type: 'create', ns: ns('a'), options: {} }, uuid: 'u1', dropTargetUuid: null }, state);
    assert.deepEqual(create.actions, []);
    assert.deepEqual(actionsOf(planDdl(rename('a', 'b', 'u1'), state)), []);
  });

  it('never renames a later collection over the target: dropTarget replays drop only the collection the event dropped', () => {
    // Source: rename A(u1) -> B dropping B(u2); later C(u5) renamed to A. The copy saw B=u1, A=u5.
    const state = view({ 'd.a': 'collection', 'd.b': 'collection' }, [live('u1', 'b'), live('u5', 'a')]);
    const plan = planDdl(rename('a', 'b', 'u1', 'u2'), state);
    assert.deepEqual(plan.actions, []);
  });

  it('renames with dropTarget when the target holds the collection the event dropped', () => {
    const state = view({ 'd.a': 'collection', 'd.b': 'collection' }, [live('u1', 'a'), live('u2', 'b')]);
    assert.deepEqual(actionsOf(planDdl(rename('a', 'b', 'u1', 'u2'), state)), [
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false, renamingFrom: ns('a') },
      { type: 'markDropped', uuid: 'u2' },
      { type: 'rename', from: ns('a'), to: ns('b'), dropTarget: true },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
  });

  it('leaves the target alone when a later collection holds it', () => {
    const state = view({ 'd.a': 'collection', 'd.b': 'collection' }, [live('u1', 'a'), live('u7', 'b')]);
    assert.deepEqual(actionsOf(planDdl(rename('a', 'b', 'u1'), state)), []);
  });

  it('recopies a collection renamed during the copy, and finishes a recopy an earlier attempt left pending', () => {
    const first = planDdl(rename('a', 'b', 'u1', null, true), view({ 'd.a': 'collection' }, [live('u1', 'a')]));
    assert.deepEqual(actionsOf(first).slice(2), [
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: true },
      { type: 'recopy', uuid: 'u1', ns: ns('b') },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
    const pending = view({ 'd.b': 'collection' }, [{ ...live('u1', 'b'), recopyPending: true }]);
    assert.deepEqual(actionsOf(planDdl(rename('a', 'b', 'u1', null, true), pending)), [
      { type: 'recopy', uuid: 'u1', ns: ns('b') },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
    const done = view({ 'd.b': 'collection' }, [live('u1', 'b')]);
    assert.deepEqual(actionsOf(planDdl(rename('a', 'b', 'u1', null, true), done)), []);
  });

  it('does not recreate a collection dropped later, and drops by UUID, never by name', () => {
    const dropped: Binding = { uuid: 'u1', ns: ns('a'), state: 'dropped' };
    assert.deepEqual(actionsOf(planDdl({ at: T, operation: { type: 'create', ns: ns('a'), options: {} }, uuid: 'u1', dropTargetUuid: null }, view({}, [dropped]))), []);
    // A replayed drop of u1 meets a later collection u3 at the same name: it stays.
    const later = view({ 'd.a': 'collection' }, [dropped, live('u3', 'a')]);
    assert.deepEqual(actionsOf(planDdl({ at: T, operation: { type: 'drop', ns: ns('a') }, uuid: 'u1', dropTargetUuid: null }, later)), []);
  });

  it('adopts an unbound collection by name (a reverse sync, or a step interrupted before its binding was written)', () => {
    const plan = planDdl({ at: T, operation: { type: 'createIndexes', ns: ns('a'), indexes: [{ key: { x: 1 }, name: 'x_1' }] }, uuid: 'u9', dropTargetUuid: null }, view({ 'd.a': 'collection' }));
    assert.deepEqual(actionsOf(plan), [
      { type: 'bind', uuid: 'u9', ns: ns('a'), recopyPending: false },
      { type: 'createIndexes', ns: ns('a'), indexes: [{ key: { x: 1 }, name: 'x_1' }] },
      { type: 'bind', uuid: 'u9', ns: ns('a'), recopyPending: false },
    ]);
  });

  it('applies index and collMod events where the collection is now, not at the event namespace', () => {
    const state = view({ 'd.b': 'collection' }, [live('u1', 'b')]);
    const plan = planDdl({ at: T, operation: { type: 'modify', ns: ns('a'), operationDescription: { validator: { x: 1 } } }, uuid: 'u1', dropTargetUuid: null }, state);
    assert.deepEqual(actionsOf(plan), [
      { type: 'collMod', ns: ns('b'), operationDescription: { validator: { x: 1 } } },
      { type: 'bind', uuid: 'u1', ns: ns('b'), recopyPending: false },
    ]);
  });

  it('skips an event the destination already reflects (its collection recorded a later or equal time)', () => {
    const state = view({ 'd.a': 'collection', 'd.x': 'collection' }, [{ ...live('u1', 'a'), at: { t: 100, i: 5 } }, live('u2', 'x')]);
    // A -> B -> A happened before the copy read the catalog: replaying A -> B must not move A.
    assert.deepEqual(planDdl(rename('a', 'b', 'u1'), state).actions, []);
    // ...but a collection that rename dropped goes, wherever a replayed event put it.
    assert.deepEqual(actionsOf(planDdl(rename('a', 'b', 'u1', 'u2'), state)), [
      // dropped before its binding is retired: a crash in between leaves it to drop again
      { type: 'drop', ns: ns('x') },
      { type: 'markDropped', uuid: 'u2' },
    ]);
  });

  it('dropDatabase keeps collections of a later state and drops views and leftovers', () => {
    const state = view({ 'd.a': 'collection', 'd.v': 'view', 'd.g': 'collection', 'e.x': 'collection' }, [live('u1', 'a')]);
    assert.deepEqual(actionsOf(planDdl({ at: T, operation: { type: 'dropDatabase', db: 'd' }, uuid: null, dropTargetUuid: null }, state)), [
      { type: 'drop', ns: ns('v') },
      { type: 'drop', ns: ns('g') },
    ]);
  });

  it('routes CRUD writes to the collection by UUID and drops writes of a gone collection', () => {
    const bindings = new Map<string, Binding>([
      ['u1', live('u1', 'b')],
      ['u2', { uuid: 'u2', ns: ns('c'), state: 'dropped' }],
      ['u3', live('u3', 'x')],
    ]);
    assert.deepEqual(crudTarget({ bindings }, 'u1', ns('a')), ns('b'));
    assert.equal(crudTarget({ bindings }, 'u2', ns('c')), null);
    assert.equal(crudTarget({ bindings }, 'u4', ns('x')), null);
    assert.deepEqual(crudTarget({ bindings }, 'u4', ns('y')), ns('y'));
    assert.deepEqual(crudTarget({ bindings }, null, ns('y')), ns('y'));
  });
});

// --- a model of the source, the copy and a crashing applier -----------------------------------

interface SourceEvent {
  operation: DdlOperation;
  uuid: string | null;
  dropTargetUuid: string | null;
}

interface History {
  /** namespaces -> uuid before the first event */
  initial: Map<string, string>;
  events: SourceEvent[];
  /** state after each prefix: states[i] is the state before events[i] */
  states: Map<string, string>[];
}

const NAMES = ['a', 'b', 'c', 'd'];

/** Builds a source history from random choices: creates, drops, renames (with dropTarget), dropDatabase. */
function buildHistory(initialCount: number, choices: number[][]): History {
  let next = 0;
  const fresh = (): string => `u${next++}`;
  const state = new Map<string, string>();
  for (const name of NAMES.slice(0, initialCount)) state.set(`d.${name}`, fresh());
  const initial = new Map(state);
  const events: SourceEvent[] = [];
  const states: Map<string, string>[] = [];
  const emit = (event: SourceEvent): void => {
    states.push(new Map(state));
    events.push(event);
  };
  for (const [kind, x, y] of choices) {
    const occupied = [...state.keys()];
    const free = NAMES.map((n) => `d.${n}`).filter((key) => !state.has(key));
    const coll = (key: string): EventNamespace => ns(key.slice(2));
    if (kind! % 4 === 0 && free.length > 0) {
      const key = free[x! % free.length]!;
      const uuid = fresh();
      emit({ operation: { type: 'create', ns: coll(key), options: {} }, uuid, dropTargetUuid: null });
      state.set(key, uuid);
    } else if (kind! % 4 === 1 && occupied.length > 0) {
      const key = occupied[x! % occupied.length]!;
      emit({ operation: { type: 'drop', ns: coll(key) }, uuid: state.get(key)!, dropTargetUuid: null });
      state.delete(key);
    } else if (kind! % 4 === 2 && occupied.length > 0) {
      const from = occupied[x! % occupied.length]!;
      const targets = NAMES.map((n) => `d.${n}`).filter((key) => key !== from);
      const to = targets[y! % targets.length]!;
      const uuid = state.get(from)!;
      const dropped = state.get(to) ?? null;
      emit({ operation: { type: 'rename', from: coll(from), to: coll(to), dropTarget: dropped !== null }, uuid, dropTargetUuid: dropped });
      state.delete(from);
      state.set(to, uuid);
    } else if (kind! % 4 === 3 && x! % 5 === 0) {
      for (const key of occupied) {
        emit({ operation: { type: 'drop', ns: coll(key) }, uuid: state.get(key)!, dropTargetUuid: null });
        state.delete(key);
      }
      emit({ operation: { type: 'dropDatabase', db: 'd' }, uuid: null, dropTargetUuid: null });
    }
  }
  states.push(new Map(state));
  return { initial, events, states };
}

/** A destination collection: whose data it holds, and whether that data is whole. */
interface Content {
  uuid: string;
  whole: boolean;
}

class ModelDestination {
  readonly collections = new Map<string, Content>();
  readonly bindings = new Map<string, Binding>();

  view(): DestinationView {
    return { bindings: this.bindings, namespaces: new Map([...this.collections.keys()].map((key) => [key, 'collection' as const])) };
  }

  run(action: DdlAction, event: SourceEvent, finalSource: Map<string, string>): void {
    const key = (n: EventNamespace): string => `${n.db}.${n.coll}`;
    switch (action.type) {
      case 'createCollection':
        if (!this.collections.has(key(action.ns))) this.collections.set(key(action.ns), { uuid: event.uuid!, whole: true });
        return;
      case 'drop':
        this.collections.delete(key(action.ns));
        return;
      case 'rename': {
        const moved = this.collections.get(key(action.from));
        assert.ok(moved, `rename of missing ${key(action.from)}`);
        assert.ok(action.dropTarget || !this.collections.has(key(action.to)), `rename onto existing ${key(action.to)} without dropTarget`);
        this.collections.delete(key(action.from));
        this.collections.set(key(action.to), moved);
        return;
      }
      case 'bind':
        this.bindings.set(action.uuid, {
          uuid: action.uuid,
          ns: action.ns,
          state: 'live',
          ...(action.at ? { at: action.at } : {}),
          ...(action.recopyPending ? { recopyPending: true } : {}),
          ...(action.renamingFrom ? { renamingFrom: action.renamingFrom } : {}),
        });
        return;
      case 'markDropped': {
        const old = this.bindings.get(action.uuid);
        this.bindings.set(action.uuid, { uuid: action.uuid, ns: old?.ns ?? ns(''), state: 'dropped', ...(action.at ? { at: action.at } : {}) });
        return;
      }
      case 'recopy': {
        // Reads the source as it is at the end (the applier runs after every source change).
        const alive = [...finalSource.values()].includes(action.uuid);
        if (alive) this.collections.set(key(action.ns), { uuid: action.uuid, whole: true });
        return;
      }
      default:
        return;
    }
  }
}

interface Scenario {
  history: History;
  /** the stream starts before events[start] */
  start: number;
  /** the copy read the catalog before events[snapshot] (>= start) */
  snapshot: number;
  /** the time the copy noted before reading the catalog (events up to it are in the catalog) */
  catalogNotedAt: number;
  /** the copy finished before events[copyDone] */
  copyDone: number;
  /** crash after this many actions, then resume from an earlier event */
  crashes: { afterActions: number; resumeBack: number }[];
  /** reverse-style start: the destination equals the source by name at `start`, with no bindings */
  reverse: boolean;
}

function runScenario(s: Scenario): { destination: ModelDestination; expected: Map<string, string> } {
  const { history } = s;
  const finalSource = history.states[history.states.length - 1]!;
  const destination = new ModelDestination();
  const atSnapshot = history.states[s.reverse ? s.start : s.snapshot]!;
  const renamedDuringCopy = new Set(
    history.events.slice(s.snapshot, s.copyDone).flatMap((e) => (e.operation.type === 'rename' ? [e.uuid!] : [])),
  );
  for (const [key, uuid] of atSnapshot) {
    destination.collections.set(key, { uuid, whole: s.reverse || !renamedDuringCopy.has(uuid) });
    // The copy records a time noted before it read the catalog: at most one event earlier.
    if (!s.reverse) destination.bindings.set(uuid, { uuid, ns: ns(key.slice(2)), state: 'live', at: { t: s.catalogNotedAt, i: 0 } });
  }
  const crashes = [...s.crashes];
  let actionsRun = 0;
  let i = s.start;
  while (i < history.events.length) {
    const event = history.events[i]!;
    const ddl: DdlEvent = { ...event, at: { t: i + 1, i: 0 }, renameAction: 'rename', recopy: !s.reverse && i < s.copyDone };
    const recovery = recoveryPlan(destination.view());
    const plan = recovery.length > 0 ? { actions: recovery } : planDdl(ddl, destination.view());
    let crashed = false;
    for (const action of plan.actions) {
      destination.run(action, event, finalSource);
      actionsRun++;
      if (crashes.length > 0 && actionsRun >= crashes[0]!.afterActions) {
        const crash = crashes.shift()!;
        i = Math.max(s.start, i - crash.resumeBack);
        crashed = true;
        break;
      }
    }
    if (!crashed && recovery.length === 0) i++;
  }
  return { destination, expected: finalSource };
}

const scenarios = fc
  .record({
    initialCount: fc.integer({ min: 0, max: 4 }),
    choices: fc.array(fc.tuple(fc.nat(7), fc.nat(11), fc.nat(11)), { maxLength: 14 }),
    marks: fc.tuple(fc.nat(100), fc.nat(100), fc.nat(100)),
    notedEarlier: fc.boolean(),
    crashes: fc.array(fc.record({ afterActions: fc.integer({ min: 1, max: 30 }), resumeBack: fc.nat(8) }), { maxLength: 3 }),
    reverse: fc.boolean(),
  })
  .map(({ initialCount, choices, marks, notedEarlier, crashes, reverse }): Scenario => {
    const history = buildHistory(initialCount, choices);
    const n = history.events.length;
    const start = Math.floor((marks[0] / 100) * (n + 1)) % (n + 1);
    const snapshot = reverse ? start : start + (Math.floor((marks[1] / 100) * (n - start + 1)) % (n - start + 1));
    const copyDone = snapshot + (Math.floor((marks[2] / 100) * (n - snapshot + 1)) % (n - snapshot + 1));
    crashes.sort((a, b) => a.afterActions - b.afterActions);
    // Event i has time i + 1; the catalog read before events[snapshot] reflects times <= snapshot.
    const catalogNotedAt = Math.max(start, snapshot - (notedEarlier ? 1 : 0));
    return { history, start, snapshot, catalogNotedAt, copyDone, crashes, reverse };
  });

describe('DDL replay convergence (model)', () => {
  it('ends with the source catalog, every collection holding whole data of the right source collection, for any replay', () => {
    const seed = Number(process.env.DDL_REPLAY_SEED ?? Date.now() % 1_000_000);
    console.log(`ddl-replay property seed: ${seed} (DDL_REPLAY_SEED=${seed} repeats it)`);
    fc.assert(
      fc.property(scenarios, (s) => {
        const { destination, expected } = runScenario(s);
        const actual = new Map([...destination.collections].map(([key, content]) => [key, content]));
        assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'namespaces');
        for (const [key, uuid] of expected) {
          const content = actual.get(key)!;
          assert.equal(content.uuid, uuid, `${key} holds the data of ${content.uuid}, not ${uuid}`);
          assert.ok(content.whole, `${key} lost documents the copy missed`);
          const binding = destination.bindings.get(uuid);
          if (binding) assert.deepEqual({ ...binding, at: undefined }, { uuid, ns: ns(key.slice(2)), state: 'live', at: undefined }, `binding of ${uuid}`);
        }
      }),
      { seed, numRuns: 3000 },
    );
  });
});
