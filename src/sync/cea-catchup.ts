// estimatedSecondsToCEACatchup: how long change event application needs to catch up with the
// source, projected from how fast the lag has recently fallen. Pure: the workflow records a
// sample after each change event application pass and buildProgress (progress.ts) asks for the estimate.
//
// A sample is (wall time, source position applied through, newest source position seen). Over
// the recent window, from its oldest sample to its newest:
//   applierRate = Δapplied / Δwall   (source seconds applied per second)
//   sourceRate  = Δsource  / Δwall   (source seconds written per second)
//   estimate    = ceil(lag / (applierRate − sourceRate)),  lag = source − applied at the newest
// applierRate − sourceRate is the rate at which the lag falls; when it does not fall (≤ 0) or
// the window is too short to say, there is no estimate and /progress leaves the field out.

export interface LagSample {
  /** wall time of the sample, ms since the epoch (workflow time) */
  at: number;
  /** source time (seconds) every event up to which is applied */
  applied: number;
  /** newest source time (seconds) seen */
  source: number;
}

/** A sample closer than this to the one before the newest replaces the newest (at most two per spacing). */
export const LAG_SAMPLE_SPACING_MS = 1_000;
/** The estimate looks this far back from the newest sample. */
export const LAG_SAMPLE_WINDOW_MS = 30_000;
/** Below this span between oldest and newest sample there is no estimate. */
export const MIN_ESTIMATE_SPAN_MS = 2_000;

/** The samples with `sample` recorded: at most one per spacing, only those within the window. */
export function recordLagSample(samples: readonly LagSample[], sample: LagSample): LagSample[] {
  const kept = samples.filter((s) => s.at <= sample.at && s.at >= sample.at - LAG_SAMPLE_WINDOW_MS);
  const previous = kept.at(-2);
  if (previous && sample.at - previous.at < LAG_SAMPLE_SPACING_MS) kept.pop();
  kept.push(sample);
  return kept;
}

function lagOf(sample: LagSample): number {
  return Math.max(0, sample.source - sample.applied);
}

/** Whole seconds until the lag reaches 0 at the recent rate, or null when it is not falling. */
export function estimateSecondsToCatchup(samples: readonly LagSample[]): number | null {
  const newest = samples.at(-1);
  if (!newest) return null;
  const oldest = samples.find((s) => s.at >= newest.at - LAG_SAMPLE_WINDOW_MS);
  if (!oldest) return null;
  const spanMs = newest.at - oldest.at;
  if (spanMs < MIN_ESTIMATE_SPAN_MS) return null;
  const spanSeconds = spanMs / 1000;
  const applierRate = (newest.applied - oldest.applied) / spanSeconds;
  const sourceRate = (newest.source - oldest.source) / spanSeconds;
  const fallRate = applierRate - sourceRate;
  if (!(fallRate > 0)) return null;
  return Math.ceil(lagOf(newest) / fallRate);
}
