// Progress of a long install step (a download, a build from source): one line redrawn in place
// on a terminal, plain lines at most every few seconds when the output is a pipe or a log.

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface StepProgress {
  /** the step's current state, e.g. "12.0 of 38.1 MB" */
  update(detail: string): void;
  /** ends the step with a final line */
  done(outcome: string): void;
}

const PLAIN_INTERVAL_MS = 10_000;

/** `plainIntervalMs`: how often a pipe gets a line (default every 10 s). */
export function stepProgress(output: ProgressOutput, title: string, now: () => number = Date.now, plainIntervalMs = PLAIN_INTERVAL_MS): StepProgress {
  const started = now();
  let lastPlainAt = -Infinity;
  let drawn = false;
  const elapsed = (): string => {
    const seconds = Math.round((now() - started) / 1000);
    return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
  };
  return {
    update(detail) {
      const line = `${title}: ${detail} (${elapsed()})`;
      if (output.isTTY) {
        output.write(`\r\x1b[K${line}`);
        drawn = true;
      } else if (now() - lastPlainAt >= plainIntervalMs) {
        output.write(`${line}\n`);
        lastPlainAt = now();
      }
    },
    done(outcome) {
      output.write(`${output.isTTY && drawn ? '\r\x1b[K' : ''}${title}: ${outcome} (${elapsed()})\n`);
    },
  };
}
