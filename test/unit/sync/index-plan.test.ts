import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Double } from 'mongodb';
import { finalizeIndexSteps, indexDifferences, indexIdentity, planIndexBuilds } from '../../../src/sync/index-plan';
import { MAX_TTL_SECONDS } from '../../../src/sync/index-relaxation';

const ID = { v: 2, key: { _id: 1 }, name: '_id_' };

describe('planIndexBuilds', () => {
  it('defers the unique one of a unique/non-unique pair on one key pattern, which relaxing would make identical', () => {
    const plan = planIndexBuilds(
      [
        { v: 2, key: { email: 1 }, name: 'email_unique', unique: true },
        { v: 2, key: { email: 1 }, name: 'email_plain' },
      ],
      [ID],
    );
    assert.deepEqual(plan.build, [{ v: 2, key: { email: 1 }, name: 'email_plain' }]);
    assert.deepEqual(plan.deferred.map((d) => d.name), ['email_unique']);
    assert.match(plan.deferred[0]!.reason, /email_plain/);
  });

  it('builds indexes on one key pattern that differ in collation or partial filter, both relaxed', () => {
    const plan = planIndexBuilds(
      [
        { v: 2, key: { name: 1 }, name: 'name_en', unique: true, collation: { locale: 'en', strength: 2 } },
        { v: 2, key: { name: 1 }, name: 'name_fr', collation: { locale: 'fr' } },
        { v: 2, key: { qty: 1 }, name: 'qty_big', unique: true, partialFilterExpression: { qty: { $gt: 10 } } },
        { v: 2, key: { qty: 1 }, name: 'qty_small', partialFilterExpression: { qty: { $lt: 5 } } },
      ],
      [ID],
    );
    assert.deepEqual(plan.deferred, []);
    assert.deepEqual(plan.build.map((spec) => [spec.name, spec.unique]).sort(), [
      ['name_en', undefined],
      ['name_fr', undefined],
      ['qty_big', undefined],
      ['qty_small', undefined],
    ]);
  });

  it('treats key directions by value, skips an index the destination already has, and defers one whose name holds another index', () => {
    assert.equal(indexIdentity({ key: { a: 1 } }), indexIdentity({ key: { a: new Double(1) } }));
    const plan = planIndexBuilds(
      [
        { v: 2, key: { a: 1 }, name: 'a_1', expireAfterSeconds: 60 },
        { v: 2, key: { b: 1 }, name: 'b_1' },
      ],
      [ID, { v: 2, key: { a: 1 }, name: 'a_1', expireAfterSeconds: MAX_TTL_SECONDS }, { v: 2, key: { c: 1 }, name: 'b_1' }],
    );
    assert.deepEqual(plan.build, []);
    assert.deepEqual(plan.deferred.map((d) => d.name), ['b_1']);
  });
});

describe('finalizeIndexSteps', () => {
  it('builds a deferred index with its exact source options before the destination opens, and restores relaxed ones', () => {
    const source = [
      { v: 2, key: { email: 1 }, name: 'email_unique', unique: true },
      { v: 2, key: { email: 1 }, name: 'email_plain' },
      { v: 2, key: { t: 1 }, name: 'ttl', expireAfterSeconds: 60 },
    ];
    const destination = [
      { v: 2, key: { email: 1 }, name: 'email_plain' },
      { v: 2, key: { t: 1 }, name: 'ttl', expireAfterSeconds: MAX_TTL_SECONDS },
    ];
    assert.deepEqual(finalizeIndexSteps('users', source, destination), [
      { stage: 'beforeCanWrite', kind: 'build', spec: { v: 2, key: { email: 1 }, name: 'email_unique', unique: true } },
      { stage: 'beforeCanWrite', command: { collMod: 'users', index: { name: 'ttl', expireAfterSeconds: 60 } } },
    ]);
  });

  it('drops destination indexes the source lacks, and rebuilds one whose key changed under the same name', () => {
    const steps = finalizeIndexSteps('c', [{ v: 2, key: { b: 1 }, name: 'x' }], [
      { v: 2, key: { a: 1 }, name: 'x' },
      { v: 2, key: { z: 1 }, name: 'stale' },
    ]);
    assert.deepEqual(steps, [
      { stage: 'beforeCanWrite', kind: 'drop', name: 'x' },
      { stage: 'beforeCanWrite', kind: 'drop', name: 'stale' },
      { stage: 'beforeCanWrite', kind: 'build', spec: { v: 2, key: { b: 1 }, name: 'x' } },
    ]);
  });
});

describe('indexDifferences', () => {
  it('names every missing, different or extra index, and nothing when equal', () => {
    const source = [{ v: 2, key: { a: 1 }, name: 'a', unique: true }, { v: 2, key: { b: 1 }, name: 'b' }];
    assert.deepEqual(indexDifferences(source, [{ v: 2, key: { b: 1 }, name: 'b' }, { v: 2, key: { a: 1 }, name: 'a', unique: true }]), []);
    const differences = indexDifferences(source, [{ v: 2, key: { a: 1 }, name: 'a' }, { v: 2, key: { c: 1 }, name: 'c' }]);
    assert.equal(differences.length, 3);
    assert.match(differences[0]!, /index 'a' differs/);
    assert.match(differences[1]!, /index 'b' is missing/);
    assert.match(differences[2]!, /index 'c' is not on the source/);
  });
});
