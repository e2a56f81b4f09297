// The one polling helper of the tests: asks `probe` until it returns a value (anything but
// undefined), and fails after `timeoutMs` with what it was waiting for and the last thing seen.
import type { Progress } from '../../src/sync/progress';

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** what is awaited, for the timeout message */
  what?: string;
  /** treat a probe that throws as "not yet" (e.g. a server still starting) */
  ignoreErrors?: boolean;
}

export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 100, what = 'a condition', ignoreErrors = false } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (!ignoreErrors) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls until `check` holds. */
export async function waitUntil(check: () => Promise<boolean>, options: PollOptions = {}): Promise<void> {
  await pollUntil(async () => ((await check()) ? true : undefined), options);
}

/** Reads progress until `done` holds (`read` answers null while progress cannot be read yet); a timeout shows the last progress read. */
export async function pollProgress(read: () => Promise<Progress | null>, done: (progress: Progress) => boolean, timeoutMs: number): Promise<Progress> {
  let last: Progress | null = null;
  try {
    return await pollUntil(
      async () => {
        const progress = await read();
        if (progress === null) return undefined;
        last = progress;
        return done(progress) ? progress : undefined;
      },
      { timeoutMs, intervalMs: 250, what: 'progress' },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last: ${JSON.stringify(last)}`);
  }
}
