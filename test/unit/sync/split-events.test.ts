import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  mergeFragments,
  SplitEventAssembler,
  SplitEventError,
  type StreamDocument,
  supportsSplitLargeEvent,
} from '../../../src/sync/split-events';

const token = (n: number): { _data: string } => ({ _data: `82${n.toString(16).padStart(16, '0')}` });

/** A stream document for each fragment of `event`: its fields dealt into `groups` in order. */
function fragmentsOf(event: StreamDocument, groups: string[][], firstToken: number): StreamDocument[] {
  return groups.map((names, index) => ({
    _id: token(firstToken + index),
    splitEvent: { fragment: index + 1, of: groups.length },
    ...Object.fromEntries(names.map((name) => [name, event[name]])),
  }));
}

describe('supportsSplitLargeEvent', () => {
  it('is true from 7.0 and from 6.0.9, false before', () => {
    const cases: [number, number, number, boolean][] = [
      [5, 0, 30, false],
      [6, 0, 0, false],
      [6, 0, 8, false],
      [6, 0, 9, true],
      [6, 0, 19, true],
      [6, 1, 0, true],
      [7, 0, 0, true],
      [8, 0, 13, true],
    ];
    for (const [major, minor, patch, expected] of cases) {
      assert.equal(supportsSplitLargeEvent({ major, minor, patch }), expected, `${major}.${minor}.${patch}`);
    }
  });
});

describe('SplitEventAssembler', () => {
  it('passes unsplit events through and joins fragments into one event with the last token', () => {
    const assembler = new SplitEventAssembler();
    const plain = { _id: token(1), operationType: 'delete', documentKey: { _id: 1 } };
    assert.equal(assembler.push(plain), plain);
    const [first, second] = fragmentsOf(
      { operationType: 'insert', clusterTime: 5, ns: { db: 'a', coll: 'b' }, documentKey: { _id: 2 }, fullDocument: { _id: 2, big: 'x' } },
      [['operationType', 'clusterTime', 'ns', 'documentKey'], ['fullDocument']],
      2,
    );
    assert.equal(assembler.push(first!), null);
    assert.equal(assembler.pending, true);
    const whole = assembler.push(second!);
    assert.equal(assembler.pending, false);
    assert.deepEqual(whole, {
      _id: token(3),
      operationType: 'insert',
      clusterTime: 5,
      ns: { db: 'a', coll: 'b' },
      documentKey: { _id: 2 },
      fullDocument: { _id: 2, big: 'x' },
    });
  });

  it('refuses a stream that begins inside a split event (resumed from a fragment token)', () => {
    const assembler = new SplitEventAssembler();
    const fragments = fragmentsOf({ a: 1, b: 2, c: 3 }, [['a'], ['b'], ['c']], 1);
    assert.throws(() => assembler.push(fragments[1]!), (error: unknown) => error instanceof SplitEventError && /began inside/.test(error.message));
  });

  it('refuses a missing fragment, a fragment count that changes, and an unsplit event amid fragments', () => {
    const fragments = fragmentsOf({ a: 1, b: 2, c: 3 }, [['a'], ['b'], ['c']], 1);
    const skipping = new SplitEventAssembler();
    skipping.push(fragments[0]!);
    assert.throws(() => skipping.push(fragments[2]!), SplitEventError);

    const changing = new SplitEventAssembler();
    changing.push(fragments[0]!);
    assert.throws(() => changing.push({ ...fragments[1]!, splitEvent: { fragment: 2, of: 4 } }), SplitEventError);

    const interrupted = new SplitEventAssembler();
    interrupted.push(fragments[0]!);
    assert.throws(() => interrupted.push({ _id: token(9), operationType: 'insert' }), SplitEventError);
  });

  it('refuses malformed splitEvent marks and a field present in two fragments', () => {
    const assembler = new SplitEventAssembler();
    for (const splitEvent of [{ fragment: 0, of: 1 }, { fragment: 3, of: 2 }, { fragment: 'x', of: 2 }, null]) {
      assert.throws(() => assembler.push({ _id: token(1), splitEvent }), SplitEventError, JSON.stringify(splitEvent));
    }
    assert.throws(
      () => mergeFragments([{ _id: token(1), splitEvent: { fragment: 1, of: 2 }, a: 1 }, { _id: token(2), splitEvent: { fragment: 2, of: 2 }, a: 1 }]),
      SplitEventError,
    );
  });

  it('property: any stream of whole and split events comes back as the whole events, in order', () => {
    const fieldValue = fc.oneof(fc.integer(), fc.string(), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 3 }));
    const eventArb = fc
      .uniqueArray(fc.string({ minLength: 1, maxLength: 6 }).filter((name) => name !== '_id' && name !== 'splitEvent'), {
        minLength: 1,
        maxLength: 8,
      })
      .chain((names) =>
        fc.record({
          fields: fc.tuple(...names.map((name) => fieldValue.map((value) => [name, value] as const))),
          // for each field, the fragment it goes to (relative); 0 everywhere = not split
          cuts: fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }),
          split: fc.boolean(),
        }),
      );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 12 }), (events) => {
        const assembler = new SplitEventAssembler();
        const expected: StreamDocument[] = [];
        const received: StreamDocument[] = [];
        let nextToken = 1;
        for (const { fields, cuts, split } of events) {
          const body: StreamDocument = Object.fromEntries(fields);
          const names = fields.map(([name]) => name);
          if (!split) {
            const whole = { _id: token(nextToken++), ...body };
            expected.push(whole);
            const out = assembler.push(whole);
            assert.ok(out);
            received.push(out);
            continue;
          }
          const groups: string[][] = [[]];
          names.forEach((name, index) => {
            if (cuts[index] && groups[groups.length - 1]!.length > 0) groups.push([]);
            groups[groups.length - 1]!.push(name);
          });
          const fragments = fragmentsOf(body, groups, nextToken);
          nextToken += fragments.length;
          expected.push({ _id: fragments[fragments.length - 1]!._id, ...body });
          fragments.forEach((fragment, index) => {
            const out = assembler.push(fragment);
            assert.equal(out === null, index < fragments.length - 1);
            assert.equal(assembler.pending, index < fragments.length - 1);
            if (out) received.push(out);
          });
        }
        assert.deepEqual(received, expected);
        assert.equal(assembler.pending, false);
      }),
      { numRuns: 300 },
    );
  });
});
