// What the Temporal UI shows for a sync: the static summary and details set when it starts, and
// the "current details": its state, copy, lag, why it is stalled or failed, and its options.
// A run that continued as new has no static summary or details (the SDK's continueAsNew cannot
// carry them), so the current details repeat the options.
import { lagSeconds } from '../sync/progress';
import type { StartOptions } from '../sync/start-options';
import { syncStateOf, type SyncWorkflowState } from '../sync/state';
import type { ClusterTime } from '../sync/vocabulary';

function formatTime(time: ClusterTime | null): string {
  return time ? new Date(time.t * 1000).toISOString() : '-';
}

/** The sync's options in one line each (the static details, and the end of the current details). */
export function optionLines(o: StartOptions): string[] {
  return [
    `reversible: ${o.reversible} · write blocking: ${o.writeBlocking} · buildIndexes: ${o.buildIndexes}`,
    o.includeNamespaces.length || o.excludeNamespaces.length
      ? `filter: include ${JSON.stringify(o.includeNamespaces)} exclude ${JSON.stringify(o.excludeNamespaces)}`
      : 'filter: none (every user namespace)',
  ];
}

/** The static details a sync starts with. */
export function startDetails(o: StartOptions): string {
  return [`**source** ${o.source} · **destination** ${o.destination}`, ...optionLines(o)].join('\n\n');
}

export function detailsMarkdown(s: SyncWorkflowState): string {
  const lines = [
    `**${syncStateOf(s)}** · phase ${s.phase} · ${s.source} → ${s.destination}`,
    `copy: ${s.copy.copiedBytes} / ${s.copy.estimatedTotalBytes} bytes, ${s.copy.copiedDocuments} documents` +
      (s.copy.done ? ' (done)' : ''),
    `events applied: ${s.apply.eventsApplied} · lag: ${lagSeconds(s)} s · applied through ${formatTime(s.apply.appliedThrough)}`,
  ];
  if (s.reversals > 0) lines.push(`reversals: ${s.reversals}`);
  if (s.commit.canWrite) lines.push('destination accepts writes');
  if (s.failure) {
    lines.push(`**failed** in phase ${s.failure.phase} at ${s.failure.at}: **${s.failure.error}**: ${s.failure.errorDescription}`);
    if (s.failure.blocksLeft) lines.push(`**write blocks left**: ${s.failure.blocksLeft}`);
  }
  for (const stall of s.stalls) {
    lines.push(`**stalled** ${stall.call}: ${stall.failures} failures since ${stall.since}: ${stall.error}: ${stall.errorDescription}`);
  }
  lines.push(...optionLines(s.options));
  return lines.join('\n\n');
}
