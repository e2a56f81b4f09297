import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileNamespaceFilter } from '../../../src/sync/namespace-filter';
import { C2C_METADATA_DB } from '../../../src/sync/namespace-names';
import type { NamespaceFilterSpec } from '../../../src/sync/start-options';
import { COLLECTIONS, DATABASES, filters, namespaces } from './support/namespace-arbitraries';

function matcher(includeNamespaces: NamespaceFilterSpec[] = [], excludeNamespaces: NamespaceFilterSpec[] = []) {
  return compileNamespaceFilter({ includeNamespaces, excludeNamespaces });
}

/** An independent statement of mongosync's filter rules, as an oracle. */
function oracleIncluded(include: NamespaceFilterSpec[], exclude: NamespaceFilterSpec[], db: string, coll: string): boolean {
  const neverSynced =
    ['admin', 'config', 'local'].includes(db) ||
    db.startsWith('__mdb_internal') ||
    db.startsWith('mongosync_reserved_for_internal_use') ||
    db.startsWith('__c2c_sync') ||
    coll.startsWith('system.');
  if (neverSynced) return false;
  const matches = (f: NamespaceFilterSpec): boolean => {
    const dbOk = f.database !== undefined ? f.database === db : new RegExp(f.databaseRegex!.pattern, f.databaseRegex!.options).test(db);
    let collOk = true;
    if (f.collections) collOk = f.collections.includes(coll);
    if (f.collectionsRegex) collOk = new RegExp(f.collectionsRegex.pattern, f.collectionsRegex.options).test(coll);
    return dbOk && collOk;
  };
  return (include.length === 0 || include.some(matches)) && !exclude.some(matches);
}

describe('namespace filter: combination rules', () => {
  it('no filter: everything except never-synced namespaces', () => {
    const m = matcher();
    assert.equal(m.hasFilter, false);
    assert.ok(m.isNamespaceIncluded('app', 'users'));
    assert.ok(!m.isNamespaceIncluded('admin', 'users'));
    assert.ok(!m.isNamespaceIncluded('config', 'x'));
    assert.ok(!m.isNamespaceIncluded('local', 'oplog.rs'));
    assert.ok(!m.isNamespaceIncluded('app', 'system.views'));
    assert.ok(!m.isNamespaceIncluded(C2C_METADATA_DB, 'checkpoints'));
    assert.ok(!m.isNamespaceIncluded('__mdb_internal_mongosync', 'x'));
    assert.ok(!m.isNamespaceIncluded('mongosync_reserved_for_internal_use', 'x'));
    assert.equal(C2C_METADATA_DB, '__c2c_sync');
  });

  it('include only: a named database includes later collections; named collections exclude the rest', () => {
    const m = matcher([{ database: 'sales' }, { database: 'hr', collections: ['people'] }]);
    assert.ok(m.isNamespaceIncluded('sales', 'created_later'));
    assert.ok(m.isNamespaceIncluded('hr', 'people'));
    assert.ok(!m.isNamespaceIncluded('hr', 'payroll'));
    assert.ok(!m.isNamespaceIncluded('other', 'people'));
    assert.ok(!m.isNamespaceIncluded('sales', 'system.js'));
  });

  it('exclude only: everything except the matches', () => {
    const m = matcher([], [{ database: 'tmp' }, { database: 'app', collectionsRegex: { pattern: '^cache_', options: '' } }]);
    assert.ok(m.isNamespaceIncluded('app', 'users'));
    assert.ok(!m.isNamespaceIncluded('app', 'cache_1'));
    assert.ok(!m.isNamespaceIncluded('tmp', 'anything'));
  });

  it('both: include matches minus exclude matches', () => {
    const m = matcher([{ databaseRegex: { pattern: '^shop_', options: 'i' } }], [{ database: 'shop_eu', collections: ['audit'] }]);
    assert.ok(m.isNamespaceIncluded('SHOP_us', 'orders'));
    assert.ok(m.isNamespaceIncluded('shop_eu', 'orders'));
    assert.ok(!m.isNamespaceIncluded('shop_eu', 'audit'));
    assert.ok(!m.isNamespaceIncluded('warehouse', 'orders'));
  });

  it('regexes search anywhere in the name, as $regex does', () => {
    const m = matcher([{ database: 'app', collectionsRegex: { pattern: 'log', options: '' } }]);
    assert.ok(m.isNamespaceIncluded('app', 'changelog_2024'));
    assert.ok(!m.isNamespaceIncluded('app', 'users'));
  });
});

describe('namespace filter: database-level questions', () => {
  it('isDatabaseIncluded: can some collection of it be included', () => {
    const m = matcher([{ database: 'a', collections: ['x'] }, { database: 'b' }], [{ database: 'b' }]);
    assert.ok(m.isDatabaseIncluded('a'));
    assert.ok(!m.isDatabaseIncluded('b'));
    assert.ok(!m.isDatabaseIncluded('c'));
    assert.ok(!m.isDatabaseIncluded('admin'));
    assert.ok(matcher().isDatabaseIncluded('anything'));
  });

  it('isDatabaseFullyIncluded: every collection, including later ones', () => {
    const m = matcher([{ database: 'a' }, { database: 'b', collections: ['x'] }, { database: 'c' }], [{ database: 'c', collections: ['secret'] }]);
    assert.ok(m.isDatabaseFullyIncluded('a'));
    assert.ok(!m.isDatabaseFullyIncluded('b'));
    assert.ok(!m.isDatabaseFullyIncluded('c'));
    assert.ok(!m.isDatabaseFullyIncluded('d'));
    assert.ok(matcher().isDatabaseFullyIncluded('d'));
    assert.ok(!matcher().isDatabaseFullyIncluded('local'));
  });
});

describe('namespace filter: renames', () => {
  const m = matcher([{ database: 'full' }, { database: 'part', collections: ['a', 'b'] }]);

  it('within a fully included database: allowed', () => {
    assert.deepEqual(m.checkRenameAllowed({ db: 'full', coll: 'x' }, { db: 'full', coll: 'y' }), { ok: true, action: 'rename' });
  });

  it('within a partly included database: only when both names are included', () => {
    assert.deepEqual(m.checkRenameAllowed({ db: 'part', coll: 'a' }, { db: 'part', coll: 'b' }), { ok: true, action: 'rename' });
    const outOf = m.checkRenameAllowed({ db: 'part', coll: 'a' }, { db: 'part', coll: 'c' });
    assert.equal(outOf.ok, false);
    if (!outOf.ok) assert.match(outOf.error, /'part\.a'.*'part\.c'.*excludes/);
    const into = m.checkRenameAllowed({ db: 'part', coll: 'c' }, { db: 'part', coll: 'a' });
    assert.equal(into.ok, false);
    if (!into.ok) assert.match(into.error, /both names/);
  });

  it('renaming a synced collection out of the filter is an error', () => {
    const result = m.checkRenameAllowed({ db: 'full', coll: 'x' }, { db: 'elsewhere', coll: 'x' });
    assert.equal(result.ok, false);
  });

  it('across databases: only into a wholly included database', () => {
    assert.deepEqual(m.checkRenameAllowed({ db: 'outside', coll: 'x' }, { db: 'full', coll: 'x' }), { ok: true, action: 'copyIn' });
    assert.deepEqual(m.checkRenameAllowed({ db: 'part', coll: 'a' }, { db: 'full', coll: 'a' }), { ok: true, action: 'rename' });
    const intoPart = m.checkRenameAllowed({ db: 'full', coll: 'x' }, { db: 'part', coll: 'a' });
    assert.equal(intoPart.ok, false);
    if (!intoPart.ok) assert.match(intoPart.error, /whole database 'part'/);
  });

  it('renames that involve no synced name are ignored', () => {
    assert.deepEqual(m.checkRenameAllowed({ db: 'outside', coll: 'x' }, { db: 'outside', coll: 'y' }), { ok: true, action: 'ignore' });
  });
});

describe('namespace filter: properties', () => {
  it('agrees with an independent statement of the rules', () => {
    fc.assert(
      fc.property(filters, namespaces, ({ include, exclude }, { db, coll }) => {
        assert.equal(matcher(include, exclude).isNamespaceIncluded(db, coll), oracleIncluded(include, exclude, db, coll));
      }),
      { numRuns: 2000 },
    );
  });

  it('an included namespace implies an included database; a fully included database includes every collection', () => {
    fc.assert(
      fc.property(filters, fc.constantFrom(...DATABASES), fc.string({ minLength: 1, maxLength: 6 }), ({ include, exclude }, db, randomColl) => {
        const m = matcher(include, exclude);
        for (const coll of [...COLLECTIONS, randomColl]) {
          if (m.isNamespaceIncluded(db, coll)) assert.ok(m.isDatabaseIncluded(db));
          if (m.isDatabaseFullyIncluded(db) && !coll.startsWith('system.')) assert.ok(m.isNamespaceIncluded(db, coll));
        }
        if (m.isDatabaseFullyIncluded(db)) assert.ok(m.isDatabaseIncluded(db));
      }),
      { numRuns: 1000 },
    );
  });

  it('rename decisions are consistent with inclusion', () => {
    fc.assert(
      fc.property(filters, namespaces, namespaces, ({ include, exclude }, from, to) => {
        const m = matcher(include, exclude);
        const fromIn = m.isNamespaceIncluded(from.db, from.coll);
        const toIn = m.isNamespaceIncluded(to.db, to.coll);
        const decision = m.checkRenameAllowed(from, to);
        if (!decision.ok) {
          assert.ok(fromIn || toIn);
          assert.ok(decision.error.length > 0);
          return;
        }
        switch (decision.action) {
          case 'ignore':
            assert.ok(!fromIn && !toIn);
            break;
          case 'rename':
            assert.ok(fromIn && toIn);
            if (from.db !== to.db) assert.ok(m.isDatabaseFullyIncluded(to.db));
            break;
          case 'copyIn':
            assert.ok(!fromIn && toIn && from.db !== to.db && m.isDatabaseFullyIncluded(to.db));
            break;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
