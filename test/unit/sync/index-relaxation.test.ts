import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Double, Int32, Long } from 'mongodb';
import {
  MAX_TTL_SECONDS,
  RELAXED_CAPPED_SIZE,
  cappedRestoreSteps,
  indexRestoreSteps,
  isHashedIndexSpec,
  relaxCollModForSync,
  relaxCollectionOptions,
  relaxIndexSpec,
  shouldBuildIndex,
} from '../../../src/sync/index-relaxation';

describe('relaxIndexSpec', () => {
  it('builds unique indexes non-unique, TTL at the maximum, hidden visible', () => {
    const result = relaxIndexSpec({ v: 2, key: { email: 1 }, name: 'email_1', unique: true, hidden: true, expireAfterSeconds: 3600, sparse: true });
    assert.deepEqual(result.buildSpec, { v: 2, key: { email: 1 }, name: 'email_1', expireAfterSeconds: MAX_TTL_SECONDS, sparse: true });
    assert.deepEqual(result.relaxed, { unique: true, hidden: true, expireAfterSeconds: 3600 });
    assert.equal(result.isIdIndex, false);
  });

  it('leaves the _id index alone', () => {
    const result = relaxIndexSpec({ v: 2, key: { _id: 1 }, name: '_id_', ns: 'a.b' });
    assert.deepEqual(result.buildSpec, { v: 2, key: { _id: 1 }, name: '_id_' });
    assert.deepEqual(result.relaxed, {});
    assert.equal(result.isIdIndex, true);
    assert.deepEqual(result.droppedOptions, ['ns']);
  });

  it('rewrites legacy key values to 1 and drops obsolete options', () => {
    const result = relaxIndexSpec({ v: 0, key: { a: 0, b: '', c: -1, d: 'text', e: true, f: new Int32(0), g: new Double(2) }, name: 'legacy', background: true, dropDups: true, safe: null });
    assert.deepEqual(result.buildSpec.key, { a: 1, b: 1, c: -1, d: 'text', e: 1, f: 1, g: new Double(2) });
    assert.deepEqual(result.rewrittenKeys, ['a', 'b', 'e', 'f']);
    assert.deepEqual(result.droppedOptions.sort(), ['background', 'dropDups', 'safe', 'v']);
    assert.equal('v' in result.buildSpec, false);
  });

  it('keeps special index options', () => {
    const spec = { v: 2, key: { loc: '2dsphere' }, name: 'loc', '2dsphereIndexVersion': 3, partialFilterExpression: { a: { $gt: 1 } }, collation: { locale: 'fr' } };
    assert.deepEqual(relaxIndexSpec(spec).buildSpec, spec);
  });

  it('drops prepareUnique for the build and records it', () => {
    const result = relaxIndexSpec({ v: 2, key: { a: 1 }, name: 'a_1', prepareUnique: true });
    assert.deepEqual(result.buildSpec, { v: 2, key: { a: 1 }, name: 'a_1' });
    assert.deepEqual(result.relaxed, { prepareUnique: true });
  });

  it('respects buildIndexes modes', () => {
    const hashed = { key: { a: 'hashed' }, name: 'a_hashed' };
    const plain = { key: { a: 1 }, name: 'a_1' };
    const id = { key: { _id: 1 }, name: '_id_' };
    assert.ok(isHashedIndexSpec(hashed) && !isHashedIndexSpec(plain));
    assert.ok(shouldBuildIndex(hashed, 'afterDataCopy'));
    assert.ok(!shouldBuildIndex(hashed, 'excludeHashed'));
    assert.ok(!shouldBuildIndex(hashed, 'excludeHashedAfterCopy'));
    assert.ok(shouldBuildIndex(plain, 'excludeHashed'));
    assert.ok(!shouldBuildIndex(plain, 'never'));
    assert.ok(shouldBuildIndex(id, 'never'));
  });
});

describe('indexRestoreSteps', () => {
  it('restores TTL and hidden before canWrite, unique in two steps around it', () => {
    const source = { v: 2, key: { a: 1 }, name: 'a_1', unique: true, hidden: true, expireAfterSeconds: 60 };
    const destination = relaxIndexSpec(source).buildSpec;
    assert.deepEqual(indexRestoreSteps('c', source, destination), [
      { stage: 'beforeCanWrite', command: { collMod: 'c', index: { name: 'a_1', expireAfterSeconds: 60 } } },
      { stage: 'beforeCanWrite', command: { collMod: 'c', index: { name: 'a_1', hidden: true } } },
      { stage: 'beforeCanWrite', command: { collMod: 'c', index: { name: 'a_1', prepareUnique: true } } },
      { stage: 'afterCanWrite', command: { collMod: 'c', index: { name: 'a_1', unique: true } } },
    ]);
  });

  it('is empty when the destination already matches, and resumes a half-done conversion', () => {
    const source = { key: { a: 1 }, name: 'a_1', unique: true };
    assert.deepEqual(indexRestoreSteps('c', source, source), []);
    assert.deepEqual(indexRestoreSteps('c', source, { key: { a: 1 }, name: 'a_1', prepareUnique: true }), [
      { stage: 'afterCanWrite', command: { collMod: 'c', index: { name: 'a_1', unique: true } } },
    ]);
  });

  it('unhides an index the source made visible during the sync', () => {
    assert.deepEqual(indexRestoreSteps('c', { key: { a: 1 }, name: 'a_1' }, { key: { a: 1 }, name: 'a_1', hidden: true }), [
      { stage: 'beforeCanWrite', command: { collMod: 'c', index: { name: 'a_1', hidden: false } } },
    ]);
  });

  it('refuses to compare different indexes', () => {
    assert.throws(() => indexRestoreSteps('c', { name: 'a' }, { name: 'b' }));
  });

  it('property: restoring a relaxed index leaves nothing to restore', () => {
    fc.assert(
      fc.property(
        fc.record({ unique: fc.boolean(), hidden: fc.boolean(), ttl: fc.option(fc.integer({ min: 0, max: 1e6 })) }),
        ({ unique, hidden, ttl }) => {
          const source: Record<string, unknown> = { v: 2, key: { a: 1 }, name: 'a_1' };
          if (unique) source.unique = true;
          if (hidden) source.hidden = true;
          if (ttl !== null) source.expireAfterSeconds = ttl;
          let destination = { ...relaxIndexSpec(source).buildSpec };
          for (const step of indexRestoreSteps('c', source, destination)) {
            const { name: _name, ...change } = step.command.index as Record<string, unknown>;
            destination = { ...destination, ...change };
            if (change.unique === true) delete destination.prepareUnique;
          }
          assert.deepEqual(indexRestoreSteps('c', source, destination), []);
        },
      ),
    );
  });
});

describe('collection options', () => {
  it('relaxes capped collections and restores them at commit', () => {
    const source = { capped: true, size: 4096, max: 100, validator: { a: { $exists: true } } };
    const relaxed = relaxCollectionOptions(source);
    assert.deepEqual(relaxed.createOptions, { capped: true, size: RELAXED_CAPPED_SIZE, validator: { a: { $exists: true } } });
    assert.deepEqual(relaxed.relaxedCapped, { size: 4096, max: 100 });
    assert.deepEqual(cappedRestoreSteps('c', source, relaxed.createOptions), [{ stage: 'beforeCanWrite', command: { collMod: 'c', cappedSize: 4096, cappedMax: 100 } }]);
    assert.deepEqual(cappedRestoreSteps('c', source, source), []);
    assert.deepEqual(cappedRestoreSteps('c', { validator: {} }, {}), []);
  });

  it('handles capped collections without max, and Long sizes', () => {
    const relaxed = relaxCollectionOptions({ capped: true, size: Long.fromNumber(1 << 20) });
    assert.deepEqual(relaxed.relaxedCapped, { size: 1 << 20 });
    assert.deepEqual(cappedRestoreSteps('c', { capped: true, size: Long.fromNumber(1 << 20) }, relaxed.createOptions), [
      { stage: 'beforeCanWrite', command: { collMod: 'c', cappedSize: 1 << 20 } },
    ]);
  });

  it('drops internal options, strips ns from idIndex, flags unsupported collections', () => {
    const relaxed = relaxCollectionOptions({ idIndex: { v: 2, key: { _id: 1 }, name: '_id_', ns: 'a.b' }, temp: true, autoIndexId: true });
    assert.deepEqual(relaxed.createOptions, { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } });
    assert.deepEqual(relaxed.droppedOptions.sort(), ['autoIndexId', 'temp']);
    assert.equal(relaxed.unsupported, null);
    assert.match(relaxCollectionOptions({ timeseries: { timeField: 't' } }).unsupported ?? '', /time-series/);
    assert.match(relaxCollectionOptions({ clusteredIndex: { key: { _id: 1 }, unique: true }, expireAfterSeconds: 5 }).unsupported ?? '', /clustered/);
    assert.equal(relaxCollectionOptions({ viewOn: 'c', pipeline: [] }).unsupported, null);
  });
});

describe('relaxCollModForSync', () => {
  it('defers index TTL, hidden and unique changes to commit', () => {
    assert.deepEqual(relaxCollModForSync('c', { index: { name: 'a_1', expireAfterSeconds: 10 } }), { command: null, deferred: ['index.expireAfterSeconds'] });
    assert.deepEqual(relaxCollModForSync('c', { index: { keyPattern: { a: 1 }, hidden: true, unique: true } }), { command: null, deferred: ['index.hidden', 'index.unique'] });
  });

  it('applies the rest now, dropping stateBeforeChange', () => {
    const result = relaxCollModForSync('c', { validator: { x: 1 }, validationLevel: 'moderate', cappedSize: 10, stateBeforeChange: { collectionOptions: {} } });
    assert.deepEqual(result, { command: { collMod: 'c', validator: { x: 1 }, validationLevel: 'moderate' }, deferred: ['cappedSize'] });
  });

  it('applies a view pipeline change', () => {
    assert.deepEqual(relaxCollModForSync('v', { viewOn: 'c', pipeline: [{ $match: {} }] }).command, { collMod: 'v', viewOn: 'c', pipeline: [{ $match: {} }] });
  });
});
