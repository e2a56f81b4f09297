// Runs independent async steps with at most `limit` of them in flight at once.

/**
 * Calls `step` for every item, at most `limit` at a time, and settles once all have. The first
 * failure stops new steps from starting; it is thrown once the steps in flight have settled.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, step: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await step(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.error;
}

/**
 * As forEachConcurrently, and calls `finished` with each item's result in the items' order, as
 * soon as the item and every one before it have finished: a resume point given to `finished`
 * moves only over work done, whatever order the steps end in.
 */
export async function forEachConcurrentlyInOrder<T, R>(
  items: readonly T[],
  limit: number,
  step: (item: T) => Promise<R>,
  finished: (item: T, result: R) => void,
): Promise<void> {
  const results = new Map<number, R>();
  let nextFinished = 0;
  const indexed = items.map((item, index) => ({ item, index }));
  await forEachConcurrently(indexed, limit, async ({ item, index }) => {
    results.set(index, await step(item));
    while (results.has(nextFinished)) {
      const result = results.get(nextFinished)!;
      results.delete(nextFinished);
      finished(items[nextFinished++]!, result);
    }
  });
}
