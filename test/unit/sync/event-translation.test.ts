import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UUID } from 'mongodb';
import {
  dottedPath,
  pathComponents,
  resyncOperation,
  toBulkWriteOperation,
  translateChangeEvent,
  updatesFromDescription,
  type CrudTranslation,
} from '../../../src/sync/event-translation';
import { UpdateConflict, applyOperatorUpdate, clone, sameContent, sameValue, type Doc } from './support/reference-docs';
import { NAMESPACE, Rng, randomDocument, randomHistory, type SourceEvent } from './support/source-simulation';

const ns = { db: 'app', coll: 'users' };

function crud(event: Record<string, unknown>): CrudTranslation {
  const translation = translateChangeEvent(event);
  assert.equal(translation.kind, 'crud', JSON.stringify(translation));
  return translation as CrudTranslation;
}

interface ApplyStats {
  conflicts: number;
  resyncs: number;
}

/**
 * Applies a translation to the destination's copy of the document the way the applier must:
 * writes in order; an update of a missing document does nothing; an update that conflicts
 * with the document's shape, and a `resync`, take the source's current document.
 */
function applyTranslation(destination: Doc | null, translation: CrudTranslation, sourceNow: Doc | null, stats: ApplyStats, writes = translation.writes): Doc | null {
  let doc = destination;
  for (const write of writes) {
    switch (write.kind) {
      case 'replace':
        doc = clone(write.replacement as Doc);
        break;
      case 'delete':
        doc = null;
        break;
      case 'resync':
        stats.resyncs++;
        return sourceNow && clone(sourceNow);
      case 'update':
        if (doc === null) break;
        try {
          doc = applyOperatorUpdate(doc, write.update);
        } catch (err) {
          if (!(err instanceof UpdateConflict)) throw err;
          stats.conflicts++;
          return sourceNow && clone(sourceNow);
        }
        break;
    }
  }
  return doc;
}

function show(doc: Doc | null): string {
  return JSON.stringify(doc);
}

describe('CRUD translation', () => {
  it('insert and replace become an upserting replace by documentKey', () => {
    for (const operationType of ['insert', 'replace']) {
      const t = crud({ operationType, ns, documentKey: { _id: 7 }, fullDocument: { _id: 7, a: 1 } });
      assert.deepEqual(t.writes, [{ kind: 'replace', replacement: { _id: 7, a: 1 } }]);
      assert.deepEqual(toBulkWriteOperation(t.documentKey, t.writes[0]), {
        replaceOne: { filter: { _id: 7 }, replacement: { _id: 7, a: 1 }, upsert: true },
      });
    }
  });

  it('delete becomes deleteOne by documentKey', () => {
    const t = crud({ operationType: 'delete', ns, documentKey: { _id: 'k' } });
    assert.deepEqual(t.writes, [{ kind: 'delete' }]);
    assert.deepEqual(toBulkWriteOperation(t.documentKey, t.writes[0]), { deleteOne: { filter: { _id: 'k' } } });
  });

  it('update becomes $set/$unset of dotted paths, without upsert', () => {
    const t = crud({
      operationType: 'update',
      ns,
      documentKey: { _id: 1 },
      updateDescription: { updatedFields: { 'profile.name': 'x', 'tags.2': 't' }, removedFields: ['old'], truncatedArrays: [], disambiguatedPaths: {} },
    });
    assert.deepEqual(t.writes, [{ kind: 'update', update: { $set: { 'profile.name': 'x', 'tags.2': 't' }, $unset: { old: '' } } }]);
    assert.deepEqual(toBulkWriteOperation(t.documentKey, t.writes[0]), {
      updateOne: { filter: { _id: 1 }, update: { $set: { 'profile.name': 'x', 'tags.2': 't' }, $unset: { old: '' } }, upsert: false },
    });
  });

  it('a truncation touching the same array as a $set becomes two updates, truncation first', () => {
    const updates = updatesFromDescription({
      updatedFields: { 'a.1': 5, b: 1 },
      removedFields: [],
      truncatedArrays: [{ field: 'a', newSize: 2 }],
      disambiguatedPaths: {},
    });
    assert.deepEqual(updates, [{ $push: { a: { $each: [], $slice: 2 } } }, { $set: { 'a.1': 5, b: 1 } }]);
    const separate = updatesFromDescription({ updatedFields: { b: 1 }, removedFields: [], truncatedArrays: [{ field: 'a', newSize: 0 }] });
    assert.deepEqual(separate, [{ $push: { a: { $each: [], $slice: 0 } }, $set: { b: 1 } }]);
  });

  it('an empty update description changes nothing', () => {
    assert.deepEqual(updatesFromDescription({ updatedFields: {}, removedFields: [], truncatedArrays: [] }), []);
  });

  it('uses disambiguatedPaths: numeric components stay, dotted field names cannot be written', () => {
    assert.deepEqual(pathComponents('a.0', { 'a.0': ['a', '0'] }), ['a', '0']);
    assert.deepEqual(pathComponents('a.0', {}), ['a', '0']);
    assert.deepEqual(pathComponents('x.y', { 'x.y': ['x.y'] }), ['x.y']);
    assert.equal(dottedPath(['a', 0, 'b']), 'a.0.b');
    assert.equal(dottedPath(['x.y']), null);
    assert.equal(dottedPath(['$weird']), null);
    assert.equal(dottedPath(['']), null);
    assert.equal(updatesFromDescription({ updatedFields: { 'x.y': 1 }, removedFields: [], disambiguatedPaths: { 'x.y': ['x.y'] } }), null);
  });

  it('without disambiguatedPaths (6.0), a path with a dot is ambiguous and the document is taken from the source', () => {
    // {"stats.example.com": 1} at the top level, or {stats: {example: {com: 1}}}: 6.0 reports both as one path
    assert.equal(pathComponents('stats.example.com', undefined), null);
    assert.equal(pathComponents('a.0', undefined), null, 'an array element or a field named "0"');
    assert.deepEqual(pathComponents('stats', undefined), ['stats']);
    assert.deepEqual(pathComponents('0', undefined), ['0'], 'a top-level numeric name is a field');
    const event = (updateDescription: Record<string, unknown>) => ({ operationType: 'update', ns, documentKey: { _id: 1 }, updateDescription });
    assert.deepEqual(crud(event({ updatedFields: { 'stats.example.com': 2 }, removedFields: [], truncatedArrays: [] })).writes, [{ kind: 'resync' }]);
    assert.deepEqual(crud(event({ updatedFields: {}, removedFields: ['stats.example.com'], truncatedArrays: [] })).writes, [{ kind: 'resync' }]);
    assert.deepEqual(crud(event({ updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'a.b', newSize: 1 }] })).writes, [{ kind: 'resync' }]);
    assert.deepEqual(crud(event({ updatedFields: { stats: 2, '0': 1 }, removedFields: ['old'], truncatedArrays: [] })).writes, [
      { kind: 'update', update: { $set: { stats: 2, '0': 1 }, $unset: { old: '' } } },
    ]);
    // 6.1+ lists what is ambiguous; an unlisted dotted path is nested fields and array indexes
    assert.deepEqual(crud(event({ updatedFields: { 'stats.example.com': 2 }, removedFields: [], truncatedArrays: [], disambiguatedPaths: {} })).writes, [
      { kind: 'update', update: { $set: { 'stats.example.com': 2 } } },
    ]);
  });

  it('falls back to a resync (never to fullDocument) for paths it cannot express', () => {
    const event = {
      operationType: 'update',
      ns,
      documentKey: { _id: 1 },
      updateDescription: { updatedFields: { 'x.y': 1 }, removedFields: [], truncatedArrays: [], disambiguatedPaths: { 'x.y': ['x.y'] } },
    };
    assert.deepEqual(crud(event).writes, [{ kind: 'resync' }]);
    assert.deepEqual(crud({ ...event, fullDocument: { _id: 1, 'x.y': 1 } }).writes, [{ kind: 'resync' }], 'fullDocument is not trusted by default');
    assert.equal(toBulkWriteOperation({ _id: 1 }, { kind: 'resync' }), null);
    assert.deepEqual(resyncOperation({ _id: 1 }, null), { deleteOne: { filter: { _id: 1 } } });
    assert.deepEqual(resyncOperation({ _id: 1 }, { _id: 1, a: 2 }), { replaceOne: { filter: { _id: 1 }, replacement: { _id: 1, a: 2 }, upsert: true } });
  });

  it('reports malformed CRUD events as unsupported', () => {
    assert.equal(translateChangeEvent({ operationType: 'insert', ns }).kind, 'unsupported');
    assert.equal(translateChangeEvent({ operationType: 'update', documentKey: { _id: 1 } }).kind, 'unsupported');
    assert.equal(translateChangeEvent({}).kind, 'unsupported');
  });

});

describe('DDL translation', () => {
  it('create keeps the options, and flags time-series as unsupported', () => {
    const t = translateChangeEvent({ operationType: 'create', ns, collectionUUID: new UUID(), operationDescription: { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' }, capped: true, size: 100 } });
    assert.deepEqual(t, { kind: 'ddl', operation: { type: 'create', ns, options: { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' }, capped: true, size: 100 } } });
    const view = translateChangeEvent({ operationType: 'create', ns, operationDescription: { viewOn: 'users', pipeline: [], nsType: 'view' } });
    assert.deepEqual(view, { kind: 'ddl', operation: { type: 'create', ns, options: { viewOn: 'users', pipeline: [] } } });
    assert.equal(translateChangeEvent({ operationType: 'create', ns, nsType: 'timeseries', operationDescription: {} }).kind, 'unsupported');
    assert.equal(translateChangeEvent({ operationType: 'create', ns, operationDescription: { timeseries: { timeField: 't' } } }).kind, 'unsupported');
    assert.equal(translateChangeEvent({ operationType: 'create', ns }).kind, 'unsupported', 'needs showExpandedEvents');
  });

  it('drop, dropDatabase and rename', () => {
    assert.deepEqual(translateChangeEvent({ operationType: 'drop', ns }), { kind: 'ddl', operation: { type: 'drop', ns } });
    assert.deepEqual(translateChangeEvent({ operationType: 'dropDatabase', ns: { db: 'app' } }), { kind: 'ddl', operation: { type: 'dropDatabase', db: 'app' } });
    const to = { db: 'app', coll: 'people' };
    assert.deepEqual(translateChangeEvent({ operationType: 'rename', ns, to, operationDescription: { to } }), {
      kind: 'ddl',
      operation: { type: 'rename', from: ns, to, dropTarget: false },
    });
    assert.deepEqual(translateChangeEvent({ operationType: 'rename', ns, operationDescription: { to, dropTarget: new UUID() } }), {
      kind: 'ddl',
      operation: { type: 'rename', from: ns, to, dropTarget: true },
    });
    assert.equal(translateChangeEvent({ operationType: 'rename', ns }).kind, 'unsupported');
  });

  it('createIndexes, dropIndexes and modify', () => {
    const spec = { v: 2, key: { x: 1 }, name: 'x_1', unique: true };
    assert.deepEqual(translateChangeEvent({ operationType: 'createIndexes', ns, operationDescription: { indexes: [spec] } }), {
      kind: 'ddl',
      operation: { type: 'createIndexes', ns, indexes: [spec] },
    });
    assert.deepEqual(translateChangeEvent({ operationType: 'dropIndexes', ns, operationDescription: { indexes: [spec] } }), {
      kind: 'ddl',
      operation: { type: 'dropIndexes', ns, names: ['x_1'] },
    });
    assert.deepEqual(
      translateChangeEvent({ operationType: 'modify', ns, operationDescription: { index: { name: 'x_1', expireAfterSeconds: 200 }, stateBeforeChange: {} }, stateBeforeChange: {} }),
      { kind: 'ddl', operation: { type: 'modify', ns, operationDescription: { index: { name: 'x_1', expireAfterSeconds: 200 } } } },
    );
    assert.equal(translateChangeEvent({ operationType: 'createIndexes', ns }).kind, 'unsupported');
  });

  it('ignores search index events; refuses sharding events, invalidate and unknown types', () => {
    assert.equal(translateChangeEvent({ operationType: 'createSearchIndexes', ns }).kind, 'ignore');
    for (const operationType of ['shardCollection', 'reshardCollection', 'refineCollectionShardKey', 'invalidate', 'somethingNew']) {
      const t = translateChangeEvent({ operationType, ns });
      assert.equal(t.kind, 'unsupported', operationType);
      if (t.kind === 'unsupported') assert.ok(t.reason.length > 0);
    }
  });
});

describe('convergence (property tests against a reference server)', () => {
  const history = fc.integer().map((seed) => {
    const g = new Rng(seed);
    const initial = g.bool() ? randomDocument(g, 1) : null;
    const events = randomHistory(g, 1, initial, g.int(1, 12));
    return { initial, events };
  });
  const finalState = (initial: Doc | null, events: SourceEvent[]) => (events.length ? events[events.length - 1].after : initial);

  it('in order, every event reproduces the source state exactly (field order included)', () => {
    fc.assert(
      fc.property(history, ({ initial, events }) => {
        const stats = { conflicts: 0, resyncs: 0 };
        let destination = initial && clone(initial);
        for (const { event, after } of events) {
          // a resync reads the source as it is right after the event
          destination = applyTranslation(destination, crud(event), after, stats);
          assert.ok(sameValue(destination, after), `after ${JSON.stringify(event)}\n  got  ${show(destination)}\n  want ${show(after)}`);
        }
        assert.equal(stats.conflicts, 0, 'in-order application never conflicts');
      }),
      { numRuns: 1500 },
    );
  });

  it('from a 6.0 source (no disambiguatedPaths), every event in order reproduces the source state exactly', () => {
    let resyncs = 0;
    fc.assert(
      fc.property(history, ({ initial, events }) => {
        const stats = { conflicts: 0, resyncs: 0 };
        let destination = initial && clone(initial);
        for (const { event, after } of events) {
          const description = event.updateDescription as Record<string, unknown> | undefined;
          const { disambiguatedPaths: _resolved, ...unresolved } = description ?? {};
          const as60 = description ? { ...event, updateDescription: unresolved } : event;
          destination = applyTranslation(destination, crud(as60), after, stats);
          assert.ok(sameValue(destination, after), `after ${JSON.stringify(as60)}\n  got  ${show(destination)}\n  want ${show(after)}`);
        }
        assert.equal(stats.conflicts, 0);
        resyncs += stats.resyncs;
      }),
      { numRuns: 1500 },
    );
    assert.ok(resyncs > 0, 'ambiguous paths were generated');
  });

  it('replaying from any earlier checkpoint after a crash converges to the same values', () => {
    let conflicts = 0;
    fc.assert(
      fc.property(history, fc.nat(), fc.nat(), fc.boolean(), ({ initial, events }, crashSeed, restartSeed, halfApplied) => {
        const stats = { conflicts: 0, resyncs: 0 };
        const final = finalState(initial, events);
        const crashAt = crashSeed % (events.length + 1);
        const restartFrom = restartSeed % (crashAt + 1);
        let destination = initial && clone(initial);
        for (let k = 0; k < crashAt; k++) destination = applyTranslation(destination, crud(events[k].event), final, stats);
        if (halfApplied && crashAt < events.length) {
          const t = crud(events[crashAt].event);
          destination = applyTranslation(destination, t, final, stats, t.writes.slice(0, 1));
        }
        // restart from the checkpoint: events restartFrom.. are applied again
        for (let k = restartFrom; k < events.length; k++) destination = applyTranslation(destination, crud(events[k].event), final, stats);
        conflicts += stats.conflicts;
        // Field order may differ after a multi-event replay: a field removed and added again
        // inside the replayed window moves to the end (documented in event-translation.ts).
        assert.ok(sameContent(destination, final), `got  ${show(destination)}\nwant ${show(final)}`);
      }),
      { numRuns: 2000 },
    );
    assert.ok(conflicts > 0, 'replays onto later states must have exercised the conflict fallback');
  });

  it('replaying only the event in flight at the crash is exact, field order included', () => {
    fc.assert(
      fc.property(history, fc.nat(), fc.boolean(), ({ initial, events }, crashSeed, halfApplied) => {
        fc.pre(events.length > 0);
        const stats = { conflicts: 0, resyncs: 0 };
        const final = finalState(initial, events);
        const crashAt = crashSeed % events.length;
        let destination = initial && clone(initial);
        for (let k = 0; k < crashAt; k++) destination = applyTranslation(destination, crud(events[k].event), events[k].after, stats);
        // the event in flight was applied wholly or partly (first write only)
        const inFlight = crud(events[crashAt].event);
        destination = applyTranslation(destination, inFlight, events[crashAt].after, stats, halfApplied ? inFlight.writes.slice(0, 1) : inFlight.writes);
        for (let k = crashAt; k < events.length; k++) destination = applyTranslation(destination, crud(events[k].event), events[k].after, stats);
        assert.ok(sameValue(destination, final), `got  ${show(destination)}\nwant ${show(final)}`);
        assert.equal(stats.conflicts, 0);
      }),
      { numRuns: 1500 },
    );
  });

  it('applying every event twice in a row is exact', () => {
    fc.assert(
      fc.property(history, ({ initial, events }) => {
        const stats = { conflicts: 0, resyncs: 0 };
        let destination = initial && clone(initial);
        for (const { event, after } of events) {
          const t = crud(event);
          destination = applyTranslation(destination, t, after, stats);
          destination = applyTranslation(destination, t, after, stats);
          assert.ok(sameValue(destination, after), `got  ${show(destination)}\nwant ${show(after)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the histories exercise every kind of write', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(history, ({ events }) => {
        for (const { event } of events) {
          const t = crud(event);
          for (const w of t.writes) seen.add(w.kind === 'update' ? `update:${Object.keys(w.update).join('+')}` : w.kind);
          if (t.writes.length > 1) seen.add('multi-write');
        }
      }),
      { numRuns: 1500 },
    );
    for (const kind of ['replace', 'delete', 'resync', 'update:$set', 'update:$unset', 'multi-write']) assert.ok(seen.has(kind), `${kind} never generated: ${[...seen].join(', ')}`);
    assert.ok([...seen].some((k) => k.includes('$push')), 'truncations never generated');
    assert.equal(NAMESPACE.db, 'app');
  });
});
