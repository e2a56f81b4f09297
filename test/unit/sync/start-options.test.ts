import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  StartOptionsError,
  blocksDestinationWrites,
  blocksSourceWritesAtCommit,
  hasNamespaceFilter,
  indexBuildTiming,
  parseStartOptions,
  parseStartOptionsOrThrow,
  skipsHashedIndexes,
  type StartOptions,
} from '../../../src/sync/start-options';

const base = { source: 'cluster0', destination: 'cluster1' };

function ok(body: unknown): StartOptions {
  const result = parseStartOptions(body);
  if (!result.ok) throw new Error(`expected success, got ${result.error.error}: ${result.error.errorDescription}`);
  return result.options;
}

function fails(body: unknown, error: string, description: RegExp): void {
  const result = parseStartOptions(body);
  assert.equal(result.ok, false, 'expected the body to be refused');
  if (!result.ok) {
    assert.equal(result.error.error, error);
    assert.match(result.error.errorDescription, description);
  }
}

describe('parseStartOptions: defaults and normalisation', () => {
  it('fills every default for the minimal body', () => {
    assert.deepEqual(ok(base), {
      source: 'cluster0',
      destination: 'cluster1',
      reversible: false,
      writeBlocking: 'none',
      includeNamespaces: [],
      excludeNamespaces: [],
      buildIndexes: 'afterDataCopy',
      verificationEnabled: true,
      detectRandomId: true,
      skipDiskSpaceCheck: false,
    });
  });

  it('accepts the reverse direction', () => {
    const options = ok({ source: 'cluster1', destination: 'cluster0' });
    assert.equal(options.source, 'cluster1');
    assert.equal(options.destination, 'cluster0');
  });

  it('normalises enableUserWriteBlocking booleans and strings to a mode', () => {
    const cases: [unknown, string][] = [
      [true, 'sourceAndDestination'],
      [false, 'none'],
      ['sourceAndDestination', 'sourceAndDestination'],
      ['none', 'none'],
      ['destinationOnly', 'destinationOnly'],
    ];
    for (const [value, mode] of cases) {
      assert.equal(ok({ ...base, enableUserWriteBlocking: value }).writeBlocking, mode);
    }
  });

  it('accepts every documented buildIndexes value', () => {
    for (const mode of ['beforeDataCopy', 'afterDataCopy', 'excludeHashed', 'excludeHashedAfterCopy', 'never']) {
      assert.equal(ok({ ...base, buildIndexes: mode }).buildIndexes, mode);
    }
  });

  it('records verification, detectRandomId and skipDiskSpaceCheck', () => {
    const options = ok({ ...base, verification: { enabled: false }, detectRandomId: false, skipDiskSpaceCheck: true });
    assert.equal(options.verificationEnabled, false);
    assert.equal(options.detectRandomId, false);
    assert.equal(options.skipDiskSpaceCheck, true);
    assert.equal(ok({ ...base, verification: {} }).verificationEnabled, true);
  });

  it('accepts a reversible body in the 1.12-1.19 style', () => {
    const options = ok({ ...base, reversible: true, enableUserWriteBlocking: 'sourceAndDestination' });
    assert.equal(options.reversible, true);
    assert.equal(options.writeBlocking, 'sourceAndDestination');
  });

  it('normalises filters: regex options default to the empty string', () => {
    const options = ok({
      ...base,
      includeNamespaces: [
        { database: 'sales', collectionsRegex: { pattern: '^accounts_.+$', options: 'i' } },
        { database: 'marketing' },
        { databaseRegex: { pattern: '^shop' }, collections: ['orders'] },
      ],
      excludeNamespaces: [],
    });
    assert.deepEqual(options.includeNamespaces, [
      { database: 'sales', collectionsRegex: { pattern: '^accounts_.+$', options: 'i' } },
      { database: 'marketing' },
      { databaseRegex: { pattern: '^shop', options: '' }, collections: ['orders'] },
    ]);
    assert.equal(hasNamespaceFilter(options), true);
    assert.equal(hasNamespaceFilter(ok(base)), false);
  });

  it('accepts empty filter arrays and destinationDataHandling requireEmptyDestination as no-ops', () => {
    const options = ok({ ...base, includeNamespaces: [], excludeNamespaces: [], destinationDataHandling: 'requireEmptyDestination', copyInNaturalOrder: [] });
    assert.equal(hasNamespaceFilter(options), false);
  });

  it('the result is JSON-serializable and round-trips', () => {
    const options = ok({ ...base, includeNamespaces: [{ database: 'a', collections: ['b'] }], buildIndexes: 'never' });
    assert.deepEqual(JSON.parse(JSON.stringify(options)), options);
  });
});

describe('parseStartOptions: structural errors', () => {
  it('refuses a body that is not an object', () => {
    for (const body of [null, 5, 'x', [], undefined]) fails(body, 'InvalidStartRequest', /object|expected/i);
  });

  it('names a missing required field', () => {
    fails({ destination: 'cluster1' }, 'InvalidStartRequest', /'source' is required/);
    fails({ source: 'cluster0' }, 'InvalidStartRequest', /'destination' is required/);
  });

  it('names an unknown top-level field', () => {
    fails({ ...base, bogus: 1 }, 'InvalidStartRequest', /unknown field 'bogus'/);
  });

  it('names an unknown field inside a filter, with its path', () => {
    fails({ ...base, includeNamespaces: [{ database: 'a', colections: ['x'] }] }, 'InvalidStartRequest', /'colections' in 'includeNamespaces\[0\]'/);
  });

  it('refuses bad labels and bad types, naming the field', () => {
    fails({ source: 'cluster2', destination: 'cluster1' }, 'InvalidStartRequest', /'source' must be 'cluster0' or 'cluster1'/);
    fails({ ...base, reversible: 'yes' }, 'InvalidStartRequest', /'reversible' must be true or false/);
    fails({ ...base, enableUserWriteBlocking: 'sometimes' }, 'InvalidStartRequest', /'enableUserWriteBlocking' must be/);
    fails({ ...base, buildIndexes: 'always' }, 'InvalidStartRequest', /'buildIndexes' must be one of/);
    fails({ ...base, verification: { enabled: 1 } }, 'InvalidStartRequest', /'verification.enabled'/);
    fails({ ...base, verification: { enabled: true, depth: 2 } }, 'InvalidStartRequest', /unknown field 'depth'/);
    fails({ ...base, includeNamespaces: { database: 'a' } }, 'InvalidStartRequest', /'includeNamespaces' must be an array/);
    fails({ ...base, includeNamespaces: [{ database: 7 }] }, 'InvalidStartRequest', /'includeNamespaces\[0\]\.database' must be a string/);
  });

  it('refuses equal source and destination', () => {
    fails({ source: 'cluster1', destination: 'cluster1' }, 'InvalidStartRequest', /different clusters/);
  });
});

describe('parseStartOptions: filter rules', () => {
  const withInclude = (filter: unknown) => ({ ...base, includeNamespaces: [filter] });

  it('needs exactly one of database and databaseRegex', () => {
    fails(withInclude({ collections: ['a'] }), 'InvalidStartRequest', /exactly one of 'database' and 'databaseRegex'/);
    fails(withInclude({ database: 'a', databaseRegex: { pattern: 'a' } }), 'InvalidStartRequest', /exactly one/);
  });

  it('refuses collections together with collectionsRegex', () => {
    fails(withInclude({ database: 'a', collections: ['x'], collectionsRegex: { pattern: 'y' } }), 'InvalidStartRequest', /both 'collections' and 'collectionsRegex'/);
  });

  it('refuses system databases and system collections', () => {
    for (const db of ['admin', 'config', 'local']) {
      fails(withInclude({ database: db }), 'InvalidStartRequest', new RegExp(`system database '${db}'`));
    }
    fails({ ...base, excludeNamespaces: [{ database: 'a', collections: ['ok', 'system.views'] }] }, 'InvalidStartRequest', /excludeNamespaces\[0\]\.collections\[1\].*system collection/);
  });

  it('refuses reserved metadata databases', () => {
    fails(withInclude({ database: '__c2c_sync' }), 'InvalidStartRequest', /reserved/);
    fails(withInclude({ database: '__mdb_internal_mongosync' }), 'InvalidStartRequest', /reserved/);
    fails(withInclude({ database: 'mongosync_reserved_for_internal_use' }), 'InvalidStartRequest', /reserved/);
  });

  it('refuses invalid names and an empty collections list', () => {
    fails(withInclude({ database: 'a.b' }), 'InvalidStartRequest', /must not contain '\.'/);
    fails(withInclude({ database: '' }), 'InvalidStartRequest', /empty/);
    fails(withInclude({ database: 'a', collections: ['x$y'] }), 'InvalidStartRequest', /'\$'/);
    fails(withInclude({ database: 'a', collections: [] }), 'InvalidStartRequest', /at least one collection/);
  });

  it('refuses names that no server can hold: too many UTF-8 bytes, unpaired surrogates, a leading dot, case twins of system databases', () => {
    // 40 two-byte characters: 40 characters, 80 bytes
    fails(withInclude({ database: 'é'.repeat(40) }), 'InvalidStartRequest', /includeNamespaces\[0\]\.database: .*shorter than 64 bytes \(it has 80/);
    assert.equal(ok(withInclude({ database: 'é'.repeat(31) })).includeNamespaces[0]!.database, 'é'.repeat(31));
    fails(withInclude({ database: 'a\ud800' }), 'InvalidStartRequest', /database: .*unpaired surrogate/);
    fails(withInclude({ database: 'db', collections: ['ok', 'x\udc00'] }), 'InvalidStartRequest', /collections\[1\]: .*unpaired surrogate/);
    fails(withInclude({ database: 'db', collections: ['.x'] }), 'InvalidStartRequest', /collections\[0\]: collection name must not start with '\.'/);
    fails(withInclude({ database: 'db', collections: ['a\u0000b'] }), 'InvalidStartRequest', /NUL/);
    // 'db' + '.' + 253 bytes = 256 bytes; 252 fits exactly
    fails(withInclude({ database: 'db', collections: ['x'.repeat(253)] }), 'InvalidStartRequest', /namespace .*256 bytes.* 255/);
    assert.ok(ok(withInclude({ database: 'db', collections: ['x'.repeat(252)] })));
    fails(withInclude({ databaseRegex: { pattern: '.*' }, collections: ['x'.repeat(254)] }), 'InvalidStartRequest', /longer than any namespace/);
    fails(withInclude({ database: 'Admin' }), 'InvalidStartRequest', /differs only in case from the system database 'admin'/);
    fails({ ...base, excludeNamespaces: [{ database: 'LOCAL' }] }, 'InvalidStartRequest', /system database 'local'/);
    fails(withInclude({ databaseRegex: { pattern: 'a\ud800' } }), 'InvalidStartRequest', /databaseRegex: .*unpaired surrogate/);
    fails(withInclude({ databaseRegex: { pattern: 'a'.repeat(5000) } }), 'InvalidStartRequest', /databaseRegex: regex pattern must be at most/);
  });

  it('shows unknown field names escaped and cut short', () => {
    const result = parseStartOptions({ ...base, ['k\u0000'.repeat(100)]: 1 });
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.ok(result.error.errorDescription.length < 200, result.error.errorDescription);
      assert.ok(!result.error.errorDescription.includes('\u0000'), 'a raw NUL reached the message');
    }
  });

  it('refuses bad regex options and patterns, naming the filter field', () => {
    fails(withInclude({ databaseRegex: { pattern: 'a', options: 'g' } }), 'InvalidStartRequest', /databaseRegex: unsupported regex option 'g'/);
    fails(withInclude({ database: 'a', collectionsRegex: { pattern: '(unclosed' } }), 'InvalidStartRequest', /collectionsRegex: invalid regex/);
    fails(withInclude({ database: 'a', collectionsRegex: { pattern: '(?>atomic)' } }), 'InvalidStartRequest', /collectionsRegex/);
  });
});

describe('parseStartOptions: cross-field rules', () => {
  it('reversible needs dual write blocking', () => {
    fails({ ...base, reversible: true }, 'InvalidStartRequest', /'reversible': true requires 'enableUserWriteBlocking': true/);
    fails({ ...base, reversible: true, enableUserWriteBlocking: 'destinationOnly' }, 'InvalidStartRequest', /requires/);
  });

  it('reversible refuses namespace filters and buildIndexes never', () => {
    const reversible = { ...base, reversible: true, enableUserWriteBlocking: true };
    fails({ ...reversible, includeNamespaces: [{ database: 'a' }] }, 'InvalidStartRequest', /filtered sync cannot be reversed/);
    fails({ ...reversible, excludeNamespaces: [{ database: 'a' }] }, 'InvalidStartRequest', /filtered sync cannot be reversed/);
    fails({ ...reversible, buildIndexes: 'never' }, 'InvalidStartRequest', /'buildIndexes': 'never'/);
  });

  it('filters refuse dual write blocking but allow destination-only', () => {
    fails({ ...base, enableUserWriteBlocking: true, includeNamespaces: [{ database: 'a' }] }, 'InvalidStartRequest', /destination-only/);
    assert.equal(ok({ ...base, enableUserWriteBlocking: 'destinationOnly', includeNamespaces: [{ database: 'a' }] }).writeBlocking, 'destinationOnly');
  });

  it('preExistingDestinationData follows mongosync rules, then is refused as unsupported', () => {
    fails({ ...base, preExistingDestinationData: true }, 'InvalidStartRequest', /requires 'includeNamespaces'/);
    fails({ ...base, preExistingDestinationData: true, includeNamespaces: [{ database: 'a' }], enableUserWriteBlocking: 'destinationOnly' }, 'InvalidStartRequest', /write blocking/);
    fails({ ...base, preExistingDestinationData: true, includeNamespaces: [{ database: 'a' }] }, 'UnsupportedStartOption', /preExistingDestinationData/);
    assert.equal(ok({ ...base, preExistingDestinationData: false }).reversible, false);
  });

  it('refuses the options c2c-sync does not implement with UnsupportedStartOption', () => {
    fails({ ...base, copyInNaturalOrder: [{ database: 'a' }] }, 'UnsupportedStartOption', /copyInNaturalOrder/);
    fails({ ...base, sharding: { shardingEntries: [] } }, 'UnsupportedStartOption', /sharding/);
    fails({ ...base, documentFilter: { field: 'a', matchValues: [1] } }, 'UnsupportedStartOption', /documentFilter/);
    fails({ ...base, namespaceRemap: [] }, 'UnsupportedStartOption', /namespaceRemap/);
    fails({ ...base, destinationDataHandling: 'ignorePreExistingNamespaces' }, 'UnsupportedStartOption', /destinationDataHandling/);
  });

  it('parseStartOptionsOrThrow throws a StartOptionsError carrying the name', () => {
    assert.throws(
      () => parseStartOptionsOrThrow({ ...base, bogus: true }),
      (err: unknown) => err instanceof StartOptionsError && err.error === 'InvalidStartRequest' && /bogus/.test(err.errorDescription),
    );
    assert.equal(parseStartOptionsOrThrow(base).source, 'cluster0');
  });

  it('never throws, and every refusal carries a stable name and a description', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            source: fc.constantFrom('cluster0', 'cluster1', 'x'),
            destination: fc.constantFrom('cluster0', 'cluster1'),
            reversible: fc.oneof(fc.boolean(), fc.constant('t')),
            enableUserWriteBlocking: fc.constantFrom(true, false, 'none', 'destinationOnly', 'sourceAndDestination', 'x'),
            buildIndexes: fc.constantFrom('never', 'afterDataCopy', 'beforeDataCopy', 'bad'),
            includeNamespaces: fc.array(fc.record({ database: fc.constantFrom('a', 'admin', 'b.c') }, { requiredKeys: [] }), { maxLength: 2 }),
            preExistingDestinationData: fc.boolean(),
            extra: fc.integer(),
          },
          { requiredKeys: [] },
        ),
        (body) => {
          const result = parseStartOptions(body);
          if (result.ok) {
            assert.notEqual(result.options.source, result.options.destination);
            if (result.options.reversible) {
              assert.equal(result.options.writeBlocking, 'sourceAndDestination');
              assert.equal(hasNamespaceFilter(result.options), false);
              assert.notEqual(result.options.buildIndexes, 'never');
            }
            if (hasNamespaceFilter(result.options)) assert.notEqual(result.options.writeBlocking, 'sourceAndDestination');
          } else {
            assert.ok(['InvalidStartRequest', 'UnsupportedStartOption'].includes(result.error.error));
            assert.ok(result.error.errorDescription.length > 0);
          }
        },
      ),
    );
  });
});

describe('option helpers', () => {
  it('maps buildIndexes modes to timing and hashed handling', () => {
    assert.equal(indexBuildTiming('beforeDataCopy'), 'beforeDataCopy');
    assert.equal(indexBuildTiming('excludeHashed'), 'beforeDataCopy');
    assert.equal(indexBuildTiming('afterDataCopy'), 'afterDataCopy');
    assert.equal(indexBuildTiming('excludeHashedAfterCopy'), 'afterDataCopy');
    assert.equal(indexBuildTiming('never'), 'never');
    assert.equal(skipsHashedIndexes('excludeHashed'), true);
    assert.equal(skipsHashedIndexes('excludeHashedAfterCopy'), true);
    assert.equal(skipsHashedIndexes('afterDataCopy'), false);
  });

  it('maps write blocking modes to what is blocked', () => {
    assert.equal(blocksDestinationWrites('none'), false);
    assert.equal(blocksDestinationWrites('destinationOnly'), true);
    assert.equal(blocksSourceWritesAtCommit('destinationOnly'), false);
    assert.equal(blocksSourceWritesAtCommit('sourceAndDestination'), true);
  });
});
