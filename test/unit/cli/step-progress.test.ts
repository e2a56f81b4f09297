// Progress of a long step (the install's download or build, the demo's loading): one line
// redrawn in place on a terminal, plain lines at most every interval through a pipe.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countProgress } from '../../../src/cli/progress-display';
import { stepProgress } from '../../../src/temporal/install-progress';

function output(isTTY: boolean) {
  const written: string[] = [];
  return { written, isTTY, write: (text: string) => written.push(text) };
}

describe('countProgress', () => {
  it('draws a bar for a terminal and plain words for a pipe', () => {
    assert.equal(countProgress(12_000, 23_000, 'documents', false), '12,000 of 23,000 documents (52%)');
    const drawn = countProgress(12_000, 23_000, 'documents', true);
    assert.match(drawn, /^\[█{16}░{14}\] 12,000 of 23,000 documents \(52%\)$/);
    assert.equal(countProgress(5, 0, 'documents', false), '5 of 0 documents (100%)', 'nothing to do counts as done');
    assert.match(countProgress(30, 20, 'documents', true), /^\[█{30}\] 30 of 20 documents \(100%\)$/, 'never past full');
  });
});

describe('stepProgress', () => {
  it('on a terminal redraws one line in place and ends it with the outcome', () => {
    let now = 0;
    const tty = output(true);
    const step = stepProgress(tty, 'loading', () => now, 3_000);
    step.update('1 of 3');
    now = 500;
    step.update('2 of 3');
    now = 2_000;
    step.done('3 loaded');
    assert.deepEqual(tty.written, ['\r\x1b[Kloading: 1 of 3 (0s)', '\r\x1b[Kloading: 2 of 3 (1s)', '\r\x1b[Kloading: 3 loaded (2s)\n']);
  });

  it('through a pipe writes a plain line at most every interval, and no terminal codes', () => {
    let now = 0;
    const pipe = output(false);
    const step = stepProgress(pipe, 'loading', () => now, 3_000);
    for (now = 0; now <= 7_000; now += 500) step.update(`at ${now}`);
    step.done('done');
    assert.deepEqual(pipe.written, ['loading: at 0 (0s)\n', 'loading: at 3000 (3s)\n', 'loading: at 6000 (6s)\n', 'loading: done (8s)\n']);
    assert.ok(pipe.written.every((line) => !line.includes('\x1b')));
  });
});
