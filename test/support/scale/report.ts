// The table `npm run scale` prints, and the verdict (exit code) of a run.
import { describeScaleOptions } from './options';
import type { ScaleReport } from './run';

const MiB = 2 ** 20;

function seconds(ms: number | null): string {
  return ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`;
}

function rate(count: number, ms: number | null, unit: string): string {
  if (ms === null || ms <= 0) return 'n/a';
  const value = count / (ms / 1000);
  return `${value.toFixed(value >= 100 ? 0 : value >= 1 ? 1 : 3)} ${unit}`;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes >= 10 * MiB ? 0 : 2)} MiB`;
}

function continuedAsNew(h: NonNullable<ScaleReport['history']>): string {
  const input = h.largestByKind.find((p) => p.where.startsWith('workflowExecutionContinuedAsNew'));
  return input ? `largest ${(input.bytes / 1024).toFixed(1)} KiB (the state carried to the next run)` : 'none (one run)';
}

/** Each step from /start to canCommit, its duration and collections per second (1 s sampling). */
function phases(r: ScaleReport): string {
  const s = r.samples;
  const n = r.options.collections;
  const step = (name: string, from: number | null, to: number | null): string =>
    from === null || to === null ? `${name} n/a` : `${name} ${seconds(to - from)} (${rate(n, to - from, 'coll/s')})`;
  return [
    step('catalog', 0, s.copyStartedMs),
    step('data copy', s.copyStartedMs, s.copyDoneMs),
    step('index build', s.copyDoneMs, s.applyingMs),
    step('catch-up', s.applyingMs, r.startToCanCommitMs),
  ].join('; ');
}

export function scaleTable(r: ScaleReport): string {
  const s = r.samples;
  const copyMs = s.copyStartedMs !== null && s.copyDoneMs !== null ? s.copyDoneMs - s.copyStartedMs : null;
  const totalDocuments = r.options.collections * r.options.documentsPerCollection;
  const rows: [string, string][] = [
    ['run', describeScaleOptions(r.options)],
    ['clusters', r.simulated ? 'simulated (one process each)' : 'real (TEST_CLUSTER0_URI / TEST_CLUSTER1_URI)'],
    ['source data', `${r.options.collections} collections, ${totalDocuments} documents, ${mib(totalDocuments * r.options.docBytes)} (seeded in ${seconds(r.seedMs)})`],
    ['result', r.failure ?? 'COMMITTED'],
    ['/start -> canCommit', seconds(r.startToCanCommitMs)],
    ['/start -> COMMITTED', seconds(r.startToCommittedMs)],
    ['/start -> copy begun / ended', `${seconds(s.copyStartedMs)} / ${seconds(s.copyDoneMs)} (1 s sampling)`],
    ['copied', `${s.copiedDocuments} documents, ${mib(s.copiedBytes)}`],
    ['copy throughput', `${rate(s.copiedDocuments, copyMs, 'documents/s')}, ${rate(s.copiedBytes / MiB, copyMs, 'MiB/s')} (copy begun to ended)`],
    ['phases', phases(r)],
    ['per collection', r.startToCanCommitMs === null ? 'n/a' : `${(r.startToCanCommitMs / 1000 / r.options.collections).toFixed(3)} s of /start -> canCommit (${rate(r.options.collections, r.startToCanCommitMs, 'collections/s')})`],
    ['change events applied', String(s.eventsApplied)],
    ['apply throughput', `peak ${s.peakApplyRate.toFixed(0)} events/s (5 s window); drain after the copy ${s.drainEvents ?? 'n/a'} events in ${seconds(s.drainMs)} = ${rate(s.drainEvents ?? 0, s.drainMs, 'events/s')}`],
    ['application writes', `${r.writer.inserts} inserts, ${r.writer.updates} updates, ${r.writer.replaces} replaces, ${r.writer.deletes} deletes; ${r.writer.achievedRate.toFixed(1)}/s of ${r.options.writesPerSecond}/s asked`],
    ['worker RSS', `ready ${mib(r.worker.readyRssBytes)}, peak sampled ${mib(r.worker.peakSampledRssBytes)}, VmHWM ${mib(r.worker.hwmBytes)} (includes start-up)`],
    ['oplog needed', `${s.maxNeededSeconds} s, ${mib(s.maxNeededBytes)} of change events (newest source entry - oldest position still needed)${r.oplogMeterMissedEntries ? ' (bytes low: the meter lost its place)' : ''}`],
    ['oplog headroom (min)', s.minOplogHeadroomSeconds === null ? 'n/a' : `${s.minOplogHeadroomSeconds} s between the oldest entry and the oldest needed position`],
  ];
  if (r.history) {
    const h = r.history;
    rows.push(
      ['workflow runs', `${h.runs} (continue-as-new ${h.runs - 1} times)`],
      ['history length', `${h.totalEvents} events in all, ${h.largestRunEvents} in the longest run`],
      ['largest payload', h.largestPayload ? `${(h.largestPayload.bytes / 1024).toFixed(1)} KiB in run ${h.largestPayload.runIndex}: ${h.largestPayload.where}` : 'none'],
      ['next largest', h.largestByKind.slice(1, 4).map((p) => `${(p.bytes / 1024).toFixed(1)} KiB ${p.where}`).join('; ') || 'none'],
      ['continue-as-new input', continuedAsNew(h)],
      ['payload bytes in history', mib(h.totalPayloadBytes)],
      ['workflow tasks', `${h.workflowTasks.count}, ${seconds(h.workflowTasks.totalMs)} in all (started to completed)`],
      [
        'activities',
        h.activities
          .slice(0, 8)
          .map((a) => `${a.name} ${a.calls}x ${seconds(a.totalMs)}`)
          .join('; ') || 'none',
      ],
    );
  } else rows.push(['workflow history', 'could not be read']);
  rows.push(
    ['clusters compared', r.compare ? `${r.compare.namespaces} collections, ${r.compare.documents} documents: ${r.compare.differences.length === 0 ? 'equal' : `${r.compare.differences.length} difference(s)`}` : 'not compared (the sync did not commit)'],
    ['harness peak RSS', mib(r.harnessMaxRssBytes)],
    ['worker log', r.worker.logFile],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (r.compare && r.compare.differences.length > 0) lines.push('', 'differences:', ...r.compare.differences);
  return lines.join('\n');
}

/** 0 when the sync committed and the clusters are equal. */
export function scaleExitCode(r: ScaleReport): number {
  return r.failure === null && r.compare !== null && r.compare.differences.length === 0 ? 0 : 1;
}
