// Limits on the size of a source that c2c-sync accepts, checked at preflight before anything is
// written, so a source beyond them is refused with an error naming the limit instead of stalling
// later. Workflow-safe: no imports.
//
// - Collections: the copy plan lives on the destination and the workflow carries only cursors,
//   so the number of collections does not bound the workflow's payloads. What it does bound is
//   the time of the per-collection steps and the memory the catalog copy and the index steps
//   still use per collection (the names of one database, the bindings). The limit is the
//   largest number verified (test/integration/sync-workflow-scale.test.ts runs the workflow
//   with 100,000 collections).
// - Document size: a source document is written to the destination as it is, so it must fit
//   the destination's maxBsonObjectSize. No scan can find the largest source document before
//   the copy, so the check compares the servers' limits: a destination that accepts smaller
//   documents than the source can hold is refused.

/** Collections (not counting views) of the source that one sync copies, at most. */
export const MAX_SYNCED_COLLECTIONS = 100_000;

/** Why a source with `count` included collections (counted up to `limit + 1`) is refused, or null. */
export function collectionCountProblem(count: number, limit = MAX_SYNCED_COLLECTIONS): string | null {
  if (count <= limit) return null;
  return (
    `the source has more than ${limit} collections that the namespace filter includes; c2c-sync syncs at most ` +
    `${limit} collections in one sync (MAX_SYNCED_COLLECTIONS): narrow includeNamespaces/excludeNamespaces ` +
    'and run several syncs'
  );
}

/** Why documents of the source might not fit the destination, or null. Sizes in bytes, from `hello`. */
export function documentSizeProblem(sourceMaxBsonObjectSize: number, destinationMaxBsonObjectSize: number): string | null {
  if (!(sourceMaxBsonObjectSize > 0) || !(destinationMaxBsonObjectSize > 0)) {
    return `cannot compare the clusters' document size limits (maxBsonObjectSize: source ${sourceMaxBsonObjectSize}, destination ${destinationMaxBsonObjectSize})`;
  }
  if (sourceMaxBsonObjectSize <= destinationMaxBsonObjectSize) return null;
  return (
    `the source accepts documents of up to ${sourceMaxBsonObjectSize} bytes but the destination only ${destinationMaxBsonObjectSize} ` +
    '(maxBsonObjectSize): a source document larger than the destination allows could not be copied'
  );
}
