// The "current details" the Temporal UI shows for a sync: its state, copy, lag, and why it is
// stalled or failed.
import { lagSeconds } from '../sync/progress';
import { progressModel } from './progress-view';
import { syncStateOf, type SyncWorkflowState } from './state';
import type { ClusterTime } from '../sync/vocabulary';

function formatTime(time: ClusterTime | null): string {
  return time ? new Date(time.t * 1000).toISOString() : '-';
}

export function detailsMarkdown(s: SyncWorkflowState): string {
  const lines = [
    `**${syncStateOf(s)}** · phase ${s.phase} · ${s.source} → ${s.destination}`,
    `copy: ${s.copy.copiedBytes} / ${s.copy.estimatedTotalBytes} bytes, ${s.copy.copiedDocuments} documents` +
      (s.copy.done ? ' (done)' : ''),
    `events applied: ${s.apply.eventsApplied} · lag: ${lagSeconds(progressModel(s))} s · applied through ${formatTime(s.apply.appliedThrough)}`,
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
  return lines.join('\n\n');
}
