// The verify command's progress: a bar redrawn in place on a terminal, plain lines at most every
// few seconds in a pipe; and its flags, refused with a message naming the flag.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseNamespaceArgument, parseVerifyFlags, verifyProgressDisplay } from '../../../src/cli/verify-command';
import type { VerifyProgress } from '../../../src/verify/verify-clusters';

const progress = (compared: number): VerifyProgress => ({ phase: 'documents', comparedDocuments: compared, estimatedDocuments: 200, mismatches: 1, collectionsDone: 1, collectionsTotal: 2 });

describe('verifyProgressDisplay', () => {
  it('redraws one bar in place on a terminal', () => {
    let out = '';
    let clock = 0;
    const display = verifyProgressDisplay({ isTTY: true, columns: 120, write: (text: string) => (out += text) }, () => clock);
    display.update(progress(50));
    clock = 1000;
    display.update(progress(100));
    display.end();
    assert.equal(out.split('\r\x1b[K').length - 1, 3, 'each update redraws the line');
    assert.match(out, /verify \[█+░+\]  50%  100 of ~200 documents  1\/2 collections  1 mismatches/);
    assert.ok(out.endsWith('\n'));
  });

  it('writes plain lines at most every 5 seconds in a pipe, and a last one at the end', () => {
    let out = '';
    let clock = 0;
    const display = verifyProgressDisplay({ isTTY: false, write: (text: string) => (out += text) }, () => clock);
    for (let t = 0; t <= 12_000; t += 1000) {
      clock = t;
      display.update(progress(t / 100));
    }
    display.end();
    assert.deepEqual(out.trim().split('\n').map((line) => line.split('  ')[0]), ['verify 0%', 'verify 25%', 'verify 50%', 'verify 60%']);
    assert.doesNotMatch(out, /\x1b/);
  });
});

describe('parseVerifyFlags', () => {
  const uris = { cluster0: 'mongodb://a:27017', cluster1: 'mongodb://b:27017' };
  it('reads namespaces, parallelism and the mismatch cap', () => {
    const options = parseVerifyFlags({ ...uris, include: ['sales', 'hr.people', 'x.*'], exclude: ['sales.tmp.old'], parallelism: '8', 'max-mismatches': '5' });
    assert.deepEqual(options.include, [{ database: 'sales' }, { database: 'hr', collections: ['people'] }, { database: 'x' }]);
    assert.deepEqual(options.exclude, [{ database: 'sales', collections: ['tmp.old'] }]);
    assert.equal(options.parallelism, 8);
    assert.equal(options.maxMismatches, 5);
    assert.equal(parseVerifyFlags(uris).parallelism, 4);
  });
  it('names the flag that is wrong', () => {
    assert.throws(() => parseVerifyFlags({ cluster0: uris.cluster0 }), /--cluster1 URI is required/);
    assert.throws(() => parseVerifyFlags({ ...uris, parallelism: '1.5' }), /--parallelism must be an integer from 1 to 64/);
    assert.throws(() => parseVerifyFlags({ ...uris, 'max-mismatches': '-1' }), /--max-mismatches/);
    assert.throws(() => parseNamespaceArgument('exclude', 'a b$'), /--exclude "a b\$"/);
    assert.throws(() => parseNamespaceArgument('include', 'db.'), /--include "db\."/);
  });
});
