import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Query } from 'mingo';
import { buildChangeStreamMatchStage, buildChangeStreamPipeline, REQUIRED_CHANGE_STREAM_OPTIONS } from '../../../src/sync/change-stream-filter';
import { compileNamespaceFilter } from '../../../src/sync/namespace-filter';
import type { NamespaceFilterSpec } from '../../../src/sync/start-options';
import { filterSpecFrom, filtersFrom, namespaces } from './support/namespace-arbitraries';

// Patterns whose translation differs from the input (anchors, dots, x-mode, \Q, classes), so
// the agreement below covers the translated forms the server receives.
const PCRE_PATTERNS = ['^a', 'b$', '^(a|b)$', 'S', '^x', 'a.', '\\Aa\\z', '^ a b # comment', '[[:upper:]]', '\\Qx\\E', '(?i)^s', '^[]x]'];
const pcreFilters = filtersFrom(filterSpecFrom(PCRE_PATTERNS, ['', 'i', 'x', 'ix', 's', 'm']));

const CRUD_AND_DDL = ['insert', 'update', 'replace', 'delete', 'drop', 'create', 'createIndexes', 'dropIndexes', 'modify', 'shardCollection', 'someFutureType'];

function passes(match: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return new Query(match).test(event);
}

function stageFor(include: NamespaceFilterSpec[], exclude: NamespaceFilterSpec[]) {
  const matcher = compileNamespaceFilter({ includeNamespaces: include, excludeNamespaces: exclude });
  return { matcher, match: buildChangeStreamMatchStage(matcher).$match };
}

describe('change stream $match', () => {
  it('is the only stage of the pipeline, and the stream needs showExpandedEvents', () => {
    const matcher = compileNamespaceFilter({ includeNamespaces: [], excludeNamespaces: [] });
    const pipeline = buildChangeStreamPipeline(matcher);
    assert.equal(pipeline.length, 1);
    assert.ok('$match' in pipeline[0]);
    assert.deepEqual(REQUIRED_CHANGE_STREAM_OPTIONS, { showExpandedEvents: true });
  });

  it('without filters drops only never-synced namespaces', () => {
    const { match } = stageFor([], []);
    assert.ok(passes(match, { operationType: 'insert', ns: { db: 'app', coll: 'users' } }));
    assert.ok(!passes(match, { operationType: 'insert', ns: { db: 'config', coll: 'users' } }));
    assert.ok(!passes(match, { operationType: 'insert', ns: { db: 'app', coll: 'system.views' } }));
    assert.ok(!passes(match, { operationType: 'insert', ns: { db: '__c2c_sync', coll: 'x' } }));
    assert.ok(passes(match, { operationType: 'dropDatabase', ns: { db: 'app' } }));
    assert.ok(passes(match, { operationType: 'invalidate' }));
  });

  it('keeps renames into and out of the filter, so the engine can judge them', () => {
    const { match } = stageFor([{ database: 'in' }], []);
    assert.ok(passes(match, { operationType: 'rename', ns: { db: 'out', coll: 'x' }, to: { db: 'in', coll: 'x' } }));
    assert.ok(passes(match, { operationType: 'rename', ns: { db: 'in', coll: 'x' }, to: { db: 'out', coll: 'x' } }));
    assert.ok(!passes(match, { operationType: 'rename', ns: { db: 'out', coll: 'x' }, to: { db: 'out', coll: 'y' } }));
    assert.ok(!passes(match, { operationType: 'insert', ns: { db: 'out', coll: 'x' }, to: { db: 'in', coll: 'x' } }));
  });

  it('is plain JSON (safe to log and to send as a BSON document)', () => {
    const { match } = stageFor([{ databaseRegex: { pattern: '^a.', options: 'ix' }, collections: ['x'] }], [{ database: 'b' }]);
    assert.deepEqual(JSON.parse(JSON.stringify(match)), match);
  });

  it('agrees with the namespace matcher for every event shape', () => {
    const outcomes = { kept: 0, dropped: 0 };
    fc.assert(
      fc.property(
        pcreFilters,
        namespaces,
        namespaces,
        fc.constantFrom(...CRUD_AND_DDL),
        fc.string({ unit: fc.constantFrom('a', 'b', 'x', 'S', '.', '_'), minLength: 1, maxLength: 4 }),
        ({ include, exclude }, ns, to, operationType, randomName) => {
          const { matcher, match } = stageFor(include, exclude);
          for (const coll of [ns.coll, randomName]) {
            const kept = passes(match, { operationType, ns: { db: ns.db, coll } });
            assert.equal(kept, matcher.isNamespaceIncluded(ns.db, coll));
            outcomes[kept ? 'kept' : 'dropped']++;
          }
          assert.equal(
            passes(match, { operationType: 'rename', ns, to }),
            matcher.isNamespaceIncluded(ns.db, ns.coll) || matcher.isNamespaceIncluded(to.db, to.coll),
          );
          for (const db of [ns.db, randomName]) {
            assert.equal(passes(match, { operationType: 'dropDatabase', ns: { db } }), matcher.isDatabaseIncluded(db));
          }
        },
      ),
      { numRuns: 1500 },
    );
    // the generators must produce both outcomes, or the agreement says little
    assert.ok(outcomes.kept > 100 && outcomes.dropped > 100, JSON.stringify(outcomes));
  });
});
