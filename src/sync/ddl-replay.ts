// What a source DDL event does to the destination, decided from durable state so that the same
// event can be applied any number of times, onto any later state, and still converge. The
// argument is in docs/ddl-replay.md; in short:
//
// - Every destination collection the sync creates is bound to the source collection's UUID
//   (a binding: source UUID -> destination namespace, live or dropped), stored on the
//   destination. The copy binds what it creates; events bind, move and retire bindings.
// - An event names its collection by UUID (collectionUUID) and acts on where the binding says
//   that collection is, never on whatever happens to hold the event's namespace.
// - A destination namespace held by another live binding belongs to a later state (the copy
//   read the catalog after this event, or a crashed attempt already applied later events):
//   the event leaves it alone, and the later events bring the destination forward.
// - A UUID the destination has no binding for, in a namespace held by nobody, is bound lazily:
//   this is how a reverse sync (which starts from clusters equal by name, with no bindings)
//   and the leftovers of an interrupted step are adopted.
// Pure: no I/O.
import type { Document } from 'mongodb';
import type { DdlOperation, EventNamespace } from './event-translation';
import { compareClusterTimes, type ClusterTime } from './vocabulary';

export interface Binding {
  /** the source collection's UUID, as 32 hex digits */
  uuid: string;
  ns: EventNamespace;
  state: 'live' | 'dropped';
  /** the collection arrived by a rename whose copy must (still) be redone from the source */
  recopyPending?: boolean;
  /** a rename to `ns` is under way: the collection may still be at this namespace */
  renamingFrom?: EventNamespace;
  /** every DDL of this collection up to this source time is reflected on the destination */
  at?: ClusterTime;
}

export type DestinationKind = 'collection' | 'view';

/** What the planner may know: bindings, and the destination's namespaces (of the event's databases). */
export interface DestinationView {
  bindings: ReadonlyMap<string, Binding>;
  /** 'db.coll' -> kind, for every namespace of the databases the event touches */
  namespaces: ReadonlyMap<string, DestinationKind>;
}

export interface DdlEvent {
  operation: DdlOperation;
  /** the event's clusterTime */
  at: ClusterTime;
  /** collectionUUID of the event (null for views, and for dropDatabase) */
  uuid: string | null;
  /** the UUID of the collection a rename dropped as its target */
  dropTargetUuid: string | null;
  /** for renames: the namespace filter's decision */
  renameAction?: 'rename' | 'copyIn' | 'ignore';
  /** for renames: the collection must be copied again from the source (renamed during the copy, or copied in) */
  recopy?: boolean;
}

export type DdlAction =
  | { type: 'createCollection'; ns: EventNamespace; options: Document }
  | { type: 'createView'; ns: EventNamespace; options: Document }
  | { type: 'drop'; ns: EventNamespace }
  | { type: 'rename'; from: EventNamespace; to: EventNamespace; dropTarget: boolean }
  | { type: 'bind'; uuid: string; ns: EventNamespace; recopyPending: boolean; renamingFrom?: EventNamespace; at?: ClusterTime }
  | { type: 'markDropped'; uuid: string; at?: ClusterTime }
  /** copy the source collection with this UUID, as it is now, into `ns` (created if missing) */
  | { type: 'recopy'; uuid: string; ns: EventNamespace }
  | { type: 'createIndexes'; ns: EventNamespace; indexes: Document[] }
  | { type: 'dropIndexes'; ns: EventNamespace; names: string[] }
  | { type: 'collMod'; ns: EventNamespace; operationDescription: Document };

export interface DdlPlan {
  actions: DdlAction[];
  /** why nothing (or less than the event says) is done, for the log */
  note?: string;
}

export function namespaceKey(ns: EventNamespace): string {
  return `${ns.db}.${ns.coll}`;
}

function sameNamespace(a: EventNamespace, b: EventNamespace): boolean {
  return a.db === b.db && a.coll === b.coll;
}

type Occupant = { kind: 'free' } | { kind: 'view' } | { kind: 'unbound' } | { kind: 'bound'; uuid: string };

/**
 * Who holds a destination namespace: a live binding (also while a rename to or from it is under
 * way, and even when an interrupted step has not created it yet), else a view, an unbound
 * collection, or nobody.
 */
export function occupant(view: DestinationView, ns: EventNamespace): Occupant {
  let held: Binding | undefined;
  for (const binding of view.bindings.values()) {
    if (binding.state !== 'live') continue;
    if (binding.renamingFrom && sameNamespace(binding.renamingFrom, ns)) return { kind: 'bound', uuid: binding.uuid };
    if (sameNamespace(binding.ns, ns)) held = binding.renamingFrom ? binding : (held ?? binding);
  }
  if (held) return { kind: 'bound', uuid: held.uuid };
  const kind = view.namespaces.get(namespaceKey(ns));
  if (kind === undefined) return { kind: 'free' };
  return kind === 'view' ? { kind: 'view' } : { kind: 'unbound' };
}

function heldByOther(view: DestinationView, ns: EventNamespace, uuid: string): boolean {
  for (const binding of view.bindings.values()) {
    if (binding.state === 'live' && binding.uuid !== uuid && (sameNamespace(binding.ns, ns) || (binding.renamingFrom && sameNamespace(binding.renamingFrom, ns)))) {
      return true;
    }
  }
  return false;
}

function liveBinding(view: DestinationView, uuid: string | null): Binding | undefined {
  if (uuid === null) return undefined;
  const binding = view.bindings.get(uuid);
  return binding?.state === 'live' ? binding : undefined;
}

/**
 * Where the collection with `uuid` is on the destination: its live binding's namespace, or the
 * event's namespace when that holds an unbound collection (adopted: `adopt` is set), or null
 * when the destination has no such collection (never created, dropped, or a later state).
 */
function locate(view: DestinationView, uuid: string | null, ns: EventNamespace): { ns: EventNamespace; adopt: boolean } | null {
  if (uuid === null) {
    const held = occupant(view, ns);
    return held.kind === 'unbound' || held.kind === 'bound' ? { ns, adopt: false } : null;
  }
  const binding = view.bindings.get(uuid);
  if (binding) return binding.state === 'live' ? { ns: binding.ns, adopt: false } : null;
  return occupant(view, ns).kind === 'unbound' ? { ns, adopt: true } : null;
}

function adoptFirst(uuid: string | null, found: { ns: EventNamespace; adopt: boolean }): DdlAction[] {
  return found.adopt && uuid !== null ? [{ type: 'bind', uuid, ns: found.ns, recopyPending: false }] : [];
}

/**
 * Retires the binding of the collection a rename dropped as its target, dropping it first unless
 * another binding holds its namespace: a crash between the two leaves the binding live, so the
 * replay drops it again. (Marked first, a crash would leave the collection on the destination
 * with nothing left to drop it.)
 */
function retireDropTarget(view: DestinationView, event: DdlEvent): DdlAction[] {
  const target = liveBinding(view, event.dropTargetUuid);
  if (!target) return [];
  const drop: DdlAction[] = heldByOther(view, target.ns, target.uuid) ? [] : [{ type: 'drop', ns: target.ns }];
  return [...drop, { type: 'markDropped', uuid: target.uuid }];
}

function planCreate(op: Extract<DdlOperation, { type: 'create' }>, event: DdlEvent, view: DestinationView): DdlPlan {
  const held = occupant(view, op.ns);
  if (op.options.viewOn !== undefined) {
    return held.kind === 'free'
      ? { actions: [{ type: 'createView', ns: op.ns, options: op.options }] }
      : { actions: [], note: 'the namespace already exists (a replay, or a later state)' };
  }
  if (event.uuid === null) {
    return held.kind === 'free' ? { actions: [{ type: 'createCollection', ns: op.ns, options: op.options }] } : { actions: [] };
  }
  const binding = view.bindings.get(event.uuid);
  if (binding) {
    // Bound first and created second: a crash in between leaves the binding without its collection.
    const unfinished = binding.state === 'live' && sameNamespace(binding.ns, op.ns) && !view.namespaces.has(namespaceKey(op.ns));
    return unfinished
      ? { actions: [{ type: 'createCollection', ns: op.ns, options: op.options }], note: 'finishing an interrupted create' }
      : { actions: [], note: 'the collection was created already (it may have moved or gone since)' };
  }
  switch (held.kind) {
    case 'free':
      return {
        actions: [
          { type: 'bind', uuid: event.uuid, ns: op.ns, recopyPending: false },
          { type: 'createCollection', ns: op.ns, options: op.options },
        ],
      };
    case 'unbound':
      return { actions: [{ type: 'bind', uuid: event.uuid, ns: op.ns, recopyPending: false }], note: 'adopted the existing collection' };
    default:
      return { actions: [], note: 'a later collection holds the namespace' };
  }
}

function planDrop(op: Extract<DdlOperation, { type: 'drop' }>, event: DdlEvent, view: DestinationView): DdlPlan {
  if (event.uuid === null) {
    // A view (views have no UUID): dropped by name, but never a bound collection.
    const held = occupant(view, op.ns);
    return held.kind === 'view' || held.kind === 'unbound' ? { actions: [{ type: 'drop', ns: op.ns }] } : { actions: [] };
  }
  const binding = view.bindings.get(event.uuid);
  if (binding?.state === 'dropped') return { actions: [], note: 'dropped already' };
  const found = locate(view, event.uuid, op.ns);
  if (!found) return { actions: [{ type: 'markDropped', uuid: event.uuid }], note: 'the destination has no such collection' };
  return { actions: [{ type: 'drop', ns: found.ns }, { type: 'markDropped', uuid: event.uuid }] };
}

function planRename(op: Extract<DdlOperation, { type: 'rename' }>, event: DdlEvent, view: DestinationView): DdlPlan {
  const action = event.renameAction ?? 'rename';
  if (action === 'ignore') return { actions: [] };
  const uuid = event.uuid;
  const recopy = event.recopy === true;
  if (uuid === null) return { actions: [], note: 'a rename event without collectionUUID cannot be placed' };
  const binding = view.bindings.get(uuid);
  if (binding?.state === 'dropped') return { actions: retireDropTarget(view, event), note: 'the collection was dropped later' };
  const found = action === 'copyIn' && !binding ? null : locate(view, uuid, op.from);
  const recopySteps: DdlAction[] = recopy
    ? [
        { type: 'recopy', uuid, ns: op.to },
        { type: 'bind', uuid, ns: op.to, recopyPending: false },
      ]
    : [];

  if (found && sameNamespace(found.ns, op.to)) {
    // Applied already; a recopy an earlier attempt did not finish is redone.
    const pending = binding?.recopyPending === true;
    return {
      actions: [
        ...retireDropTarget(view, event),
        ...(pending ? [{ type: 'recopy', uuid, ns: op.to } as DdlAction, { type: 'bind', uuid, ns: op.to, recopyPending: false } as DdlAction] : []),
      ],
      note: pending ? 'renamed already; finishing its recopy' : 'renamed already',
    };
  }
  if (found && !sameNamespace(found.ns, op.from)) {
    return { actions: retireDropTarget(view, event), note: 'the collection is at a later name' };
  }

  const target = occupant(view, op.to);
  const targetIsDropTarget = target.kind === 'bound' && target.uuid === event.dropTargetUuid;
  const targetReplaceable = target.kind === 'free' || target.kind === 'unbound' || targetIsDropTarget;
  if (!targetReplaceable) {
    return { actions: retireDropTarget(view, event), note: 'a later collection holds the target namespace' };
  }

  if (!found) {
    if (action === 'copyIn') {
      // The collection arrives from outside the filter: it is copied as it is now.
      return {
        actions: [
          ...(target.kind === 'unbound' ? [{ type: 'drop', ns: op.to } as DdlAction] : []),
          { type: 'bind', uuid, ns: op.to, recopyPending: true },
          ...retireDropTarget(view, event).filter((a) => a.type === 'markDropped'),
          ...(targetIsDropTarget ? [{ type: 'drop', ns: op.to } as DdlAction] : []),
          { type: 'recopy', uuid, ns: op.to },
          { type: 'bind', uuid, ns: op.to, recopyPending: false },
        ],
      };
    }
    return { actions: retireDropTarget(view, event), note: 'the destination has no such collection (gone by the copy, or a later state)' };
  }
  if (view.namespaces.get(namespaceKey(op.from)) !== 'collection') {
    return { actions: [], note: 'the collection is missing from the destination' };
  }
  // The binding moves first (with the rename marked under way), so that no other event takes
  // either namespace for its own while the rename runs; recoveryPlan finishes it after a crash.
  return {
    actions: [
      { type: 'bind', uuid, ns: op.to, recopyPending: recopy, renamingFrom: op.from },
      ...retireDropTarget(view, event).filter((a) => a.type === 'markDropped'),
      { type: 'rename', from: op.from, to: op.to, dropTarget: view.namespaces.has(namespaceKey(op.to)) },
      { type: 'bind', uuid, ns: op.to, recopyPending: recopy },
      ...recopySteps,
    ],
  };
}

/**
 * What an interrupted step left to finish, run before anything else: renames under way are
 * completed, and recopies still pending are redone.
 */
export function recoveryPlan(view: DestinationView): DdlAction[] {
  const actions: DdlAction[] = [];
  for (const binding of view.bindings.values()) {
    if (binding.state !== 'live') continue;
    const { uuid, ns } = binding;
    if (binding.renamingFrom) {
      if (view.namespaces.get(namespaceKey(binding.renamingFrom)) === 'collection') {
        actions.push({ type: 'rename', from: binding.renamingFrom, to: ns, dropTarget: view.namespaces.has(namespaceKey(ns)) });
      }
      for (const other of view.bindings.values()) {
        if (other.state === 'live' && other.uuid !== uuid && sameNamespace(other.ns, ns)) actions.push({ type: 'markDropped', uuid: other.uuid });
      }
      actions.push({ type: 'bind', uuid, ns, recopyPending: binding.recopyPending === true, ...(binding.at ? { at: binding.at } : {}) });
    }
    if (binding.recopyPending) {
      actions.push({ type: 'recopy', uuid, ns }, { type: 'bind', uuid, ns, recopyPending: false, ...(binding.at ? { at: binding.at } : {}) });
    }
  }
  return actions;
}

function planDropDatabase(db: string, view: DestinationView): DdlPlan {
  // The source reports a drop for each collection before dropDatabase; what is left on the
  // destination is views, unbound leftovers, or collections of a later state (kept).
  const actions: DdlAction[] = [];
  for (const [key, kind] of view.namespaces) {
    if (!key.startsWith(`${db}.`)) continue;
    const ns = { db, coll: key.slice(db.length + 1) };
    const held = occupant(view, ns);
    if (kind === 'view' || held.kind === 'unbound') actions.push({ type: 'drop', ns });
  }
  return { actions };
}

function planOnCollection(
  event: DdlEvent,
  ns: EventNamespace,
  view: DestinationView,
  make: (at: EventNamespace) => DdlAction,
): DdlPlan {
  const found = locate(view, event.uuid, ns);
  if (!found) return { actions: [], note: 'the destination has no such collection (dropped, or a later state)' };
  const actions = [...adoptFirst(event.uuid, found), make(found.ns)];
  if (event.uuid !== null) {
    // Recorded, so that a replay does not build again an index a later event dropped.
    actions.push({ type: 'bind', uuid: event.uuid, ns: found.ns, recopyPending: view.bindings.get(event.uuid)?.recopyPending === true });
  }
  return { actions };
}

/** The destination actions for one DDL event, in order. */
export function planDdl(event: DdlEvent, view: DestinationView): DdlPlan {
  const plan = planUnstamped(event, view);
  // Every binding the event writes records that the event is reflected.
  const actions = plan.actions.map((action) =>
    (action.type === 'bind' || action.type === 'markDropped') && action.at === undefined ? { ...action, at: event.at } : action,
  );
  return { ...plan, actions };
}

function planUnstamped(event: DdlEvent, view: DestinationView): DdlPlan {
  const op = event.operation;
  const subject = event.uuid === null ? undefined : view.bindings.get(event.uuid);
  if (op.type !== 'create' && subject?.at && compareClusterTimes(event.at, subject.at) <= 0) {
    // A collection the rename dropped may have been created by a replayed event: it goes.
    return { actions: op.type === 'rename' ? retireDropTarget(view, event) : [], note: 'the destination already reflects this event' };
  }
  switch (op.type) {
    case 'create':
      return planCreate(op, event, view);
    case 'drop':
      return planDrop(op, event, view);
    case 'rename':
      return planRename(op, event, view);
    case 'dropDatabase':
      return planDropDatabase(op.db, view);
    case 'createIndexes':
      return planOnCollection(event, op.ns, view, (ns) => ({ type: 'createIndexes', ns, indexes: op.indexes }));
    case 'dropIndexes':
      return planOnCollection(event, op.ns, view, (ns) => ({ type: 'dropIndexes', ns, names: op.names }));
    case 'modify':
      if (event.uuid === null) {
        return occupant(view, op.ns).kind === 'view'
          ? { actions: [{ type: 'collMod', ns: op.ns, operationDescription: op.operationDescription }] }
          : { actions: [] };
      }
      return planOnCollection(event, op.ns, view, (ns) => ({ type: 'collMod', ns, operationDescription: op.operationDescription }));
  }
}

/**
 * Where a CRUD write of the collection with `uuid`, seen at `ns`, goes on the destination: the
 * collection's bound namespace; null when it was dropped or a later collection holds `ns`
 * (the write belongs to a collection that no longer exists); `ns` when nothing is known.
 */
export function crudTarget(view: Pick<DestinationView, 'bindings'>, uuid: string | null, ns: EventNamespace): EventNamespace | null {
  if (uuid === null) return ns;
  const binding = view.bindings.get(uuid);
  if (binding) return binding.state === 'live' ? binding.ns : null;
  for (const other of view.bindings.values()) {
    if (other.state === 'live' && sameNamespace(other.ns, ns)) return null;
  }
  return ns;
}
