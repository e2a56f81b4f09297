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
