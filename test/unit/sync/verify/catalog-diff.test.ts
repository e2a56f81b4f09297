// Catalog differences are named by namespace and option or index; bookkeeping (index version,
// namespace, collection uuid) is not a difference, and the sync's relaxations are accepted only
// when asked for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Double, Int32, Long } from 'mongodb';
import { type CatalogEntry, diffCatalogEntry } from '../../../../src/sync/verify/catalog-diff';

const idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };

function collection(options: CatalogEntry['options'], indexes: CatalogEntry['indexes'] = [idIndex]): CatalogEntry {
  return { name: 'c', type: 'collection', options, indexes };
}

const kinds = (entries: ReturnType<typeof diffCatalogEntry>) => entries.map((m) => [m.kind, m.index ?? '', m.option ?? '']);

describe('diffCatalogEntry', () => {
  it('finds nothing between equal entries, whatever the bookkeeping and the numbers\' types', () => {
    const source = collection({ capped: true, size: new Int32(4096), uuid: 'a' }, [idIndex, { v: 2, key: { a: 1 }, name: 'a_1', ns: 'd.c', expireAfterSeconds: 60 }]);
    const destination = collection({ capped: true, size: Long.fromNumber(4096), uuid: 'b' }, [{ ...idIndex, v: 1 }, { v: 2, key: { a: new Double(1) }, name: 'a_1', expireAfterSeconds: Long.fromNumber(60) }]);
    assert.deepEqual(diffCatalogEntry('d', source, destination), []);
  });

  it('names the collection option that differs, with both values', () => {
    const [mismatch] = diffCatalogEntry('d', collection({ validator: { a: { $type: 'string' } }, validationLevel: 'strict' }), collection({ validationLevel: 'strict' }));
    assert.equal(mismatch!.kind, 'optionDiffers');
    assert.equal(mismatch!.option, 'validator');
    assert.equal(mismatch!.source, '{"a":{"$type":"string"}}');
    assert.equal(mismatch!.destination, undefined);
    assert.match(mismatch!.message, /d\.c: option 'validator' is \{"a":\{"\$type":"string"\}\} on the source and absent on the destination/);
  });

  it('compares collation, timeseries and view definitions', () => {
    assert.deepEqual(kinds(diffCatalogEntry('d', collection({ collation: { locale: 'fr', strength: 2 } }), collection({ collation: { locale: 'fr', strength: 3 } }))), [['optionDiffers', '', 'collation']]);
    const view = (pipeline: unknown[]): CatalogEntry => ({ name: 'v', type: 'view', options: { viewOn: 'c', pipeline } });
    assert.deepEqual(diffCatalogEntry('d', view([{ $match: { a: 1 } }]), view([{ $match: { a: 1 } }])), []);
    assert.deepEqual(kinds(diffCatalogEntry('d', view([{ $match: { a: 1 } }]), view([{ $match: { a: 2 } }]))), [['optionDiffers', '', 'pipeline']]);
    assert.deepEqual(kinds(diffCatalogEntry('d', view([]), collection({}))), [['typeDiffers', '', '']]);
    const ts = (granularity: string): CatalogEntry => ({ name: 't', type: 'timeseries', options: { timeseries: { timeField: 't', granularity } }, indexes: [] });
    assert.deepEqual(kinds(diffCatalogEntry('d', ts('seconds'), ts('hours'))), [['optionDiffers', '', 'timeseries']]);
  });

  it('matches indexes by name and compares their meaning: key order, unique, sparse, partial filter, collation, TTL, hidden', () => {
    const source = collection({}, [
      idIndex,
      { v: 2, key: { a: 1, b: -1 }, name: 'ab' },
      { v: 2, key: { u: 1 }, name: 'u', unique: true, sparse: true },
      { v: 2, key: { p: 1 }, name: 'p', partialFilterExpression: { p: { $gt: 1 } }, collation: { locale: 'en' } },
      { v: 2, key: { h: 1 }, name: 'h', hidden: true },
      { v: 2, key: { gone: 1 }, name: 'gone' },
    ]);
    const destination = collection({}, [
      idIndex,
      { v: 2, key: { b: -1, a: 1 }, name: 'ab' },
      { v: 2, key: { u: 1 }, name: 'u', sparse: true },
      { v: 2, key: { p: 1 }, name: 'p', partialFilterExpression: { p: { $gt: 2 } }, collation: { locale: 'en' } },
      { v: 2, key: { h: 1 }, name: 'h' },
      { v: 2, key: { extra: 1 }, name: 'extra' },
    ]);
    assert.deepEqual(kinds(diffCatalogEntry('d', source, destination)), [
      ['indexOptionDiffers', 'ab', 'key'],
      ['indexOptionDiffers', 'u', 'unique'],
      ['indexOptionDiffers', 'p', 'partialFilterExpression'],
      ['indexOptionDiffers', 'h', 'hidden'],
      ['indexMissingOnDestination', 'gone', ''],
      ['indexExtraOnDestination', 'extra', ''],
    ]);
    assert.deepEqual(kinds(diffCatalogEntry('d', source, destination, { expectIndex: (spec) => spec.name !== 'gone' })).filter(([kind]) => kind === 'indexMissingOnDestination'), []);
  });

  it('accepts the sync\'s relaxations only with relaxedDuringSync', () => {
    const source = collection({ capped: true, size: 4096, max: 10 }, [
      idIndex,
      { v: 2, key: { u: 1 }, name: 'u', unique: true },
      { v: 2, key: { t: 1 }, name: 't', expireAfterSeconds: 60 },
      { v: 2, key: { h: 1 }, name: 'h', hidden: true },
    ]);
    const relaxed = collection({ capped: true, size: 1024 ** 5 }, [
      idIndex,
      { v: 2, key: { u: 1 }, name: 'u' },
      { v: 2, key: { t: 1 }, name: 't', expireAfterSeconds: 2147483647 },
      { v: 2, key: { h: 1 }, name: 'h' },
    ]);
    assert.deepEqual(diffCatalogEntry('d', source, relaxed, { relaxedDuringSync: true }), []);
    assert.deepEqual(kinds(diffCatalogEntry('d', source, relaxed)), [
      ['optionDiffers', '', 'max'],
      ['optionDiffers', '', 'size'],
      ['indexOptionDiffers', 'u', 'unique'],
      ['indexOptionDiffers', 't', 'expireAfterSeconds'],
      ['indexOptionDiffers', 'h', 'hidden'],
    ]);
    // the relaxation goes one way only: a unique destination index over a non-unique source one is a difference
    const reversed = diffCatalogEntry('d', relaxed, source, { relaxedDuringSync: true });
    assert.ok(reversed.some((m) => m.index === 'u' && m.option === 'unique'));
    assert.ok(reversed.some((m) => m.option === 'size'));
  });

  it('accepts a unique index prepared for its conversion (before the destination opens) only with uniqueConversionPending', () => {
    const source = collection({}, [idIndex, { v: 2, key: { u: 1 }, name: 'u', unique: true }, { v: 2, key: { t: 1 }, name: 't', expireAfterSeconds: 60 }]);
    const prepared = collection({}, [idIndex, { v: 2, key: { u: 1 }, name: 'u', prepareUnique: true }, { v: 2, key: { t: 1 }, name: 't', expireAfterSeconds: 60 }]);
    assert.deepEqual(diffCatalogEntry('d', source, prepared, { uniqueConversionPending: true }), []);
    assert.deepEqual(kinds(diffCatalogEntry('d', source, prepared)), [
      ['indexOptionDiffers', 'u', 'prepareUnique'],
      ['indexOptionDiffers', 'u', 'unique'],
    ]);
    // only the unique conversion waits: a non-unique index not prepared, or any other relaxation, is a difference
    const notPrepared = collection({}, [idIndex, { v: 2, key: { u: 1 }, name: 'u' }, { v: 2, key: { t: 1 }, name: 't', expireAfterSeconds: 2147483647 }]);
    assert.deepEqual(kinds(diffCatalogEntry('d', source, notPrepared, { uniqueConversionPending: true })), [
      ['indexOptionDiffers', 'u', 'unique'],
      ['indexOptionDiffers', 't', 'expireAfterSeconds'],
    ]);
    // flags the sync builds without when false (as the server itself drops hidden: false) are not a difference then
    const falseFlags = collection({}, [idIndex, { v: 2, key: { f: 1 }, name: 'f', unique: false, hidden: false, sparse: false }]);
    const leftOut = collection({}, [idIndex, { v: 2, key: { f: 1 }, name: 'f', sparse: false }]);
    assert.deepEqual(diffCatalogEntry('d', falseFlags, leftOut, { uniqueConversionPending: true }), []);
    assert.deepEqual(diffCatalogEntry('d', falseFlags, leftOut, { relaxedDuringSync: true }), []);
    assert.deepEqual(kinds(diffCatalogEntry('d', falseFlags, leftOut)), [
      ['indexOptionDiffers', 'f', 'hidden'],
      ['indexOptionDiffers', 'f', 'unique'],
    ]);
    assert.deepEqual(kinds(diffCatalogEntry('d', falseFlags, collection({}, [idIndex, { v: 2, key: { f: 1 }, name: 'f' }]), { uniqueConversionPending: true })), [
      ['indexOptionDiffers', 'f', 'sparse'],
    ], 'sparse is built as the source has it');
    // a prepared index whose source is not unique is a difference too
    const plain = collection({}, [idIndex, { v: 2, key: { u: 1 }, name: 'u' }, { v: 2, key: { t: 1 }, name: 't', expireAfterSeconds: 60 }]);
    assert.deepEqual(kinds(diffCatalogEntry('d', plain, prepared, { uniqueConversionPending: true })), [['indexOptionDiffers', 'u', 'prepareUnique']]);
  });

  it('reports a namespace on one side only', () => {
    assert.deepEqual(kinds(diffCatalogEntry('d', collection({}), undefined)), [['collectionMissingOnDestination', '', '']]);
    assert.deepEqual(kinds(diffCatalogEntry('d', undefined, collection({}))), [['collectionExtraOnDestination', '', '']]);
  });
});
