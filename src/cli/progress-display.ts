// How `c2c-sync progress --watch` shows a progress object: bars on a terminal, one plain line
// per poll otherwise. Pure functions of the /progress object.
import { MAX_COMMIT_LAG_SECONDS, type CollectionCopyProgress, type Progress } from '../sync/progress';
import { SYNC_STATE_NAMES } from '../sync/vocabulary';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

function copyOf(progress: Progress): CollectionCopyProgress | null {
  return progress.collectionCopy ?? null;
}

/** Whole percent of the estimated bytes copied, or null before the copy starts. */
export function copyPercent(progress: Progress): number | null {
  const copy = copyOf(progress);
  if (!copy || copy.estimatedTotalBytes <= 1) return copy && copy.estimatedCopiedBytes > 0 ? 100 : null;
  return Math.min(100, Math.floor((copy.estimatedCopiedBytes / copy.estimatedTotalBytes) * 100));
}

function lagOf(progress: Progress): number | null {
  return typeof progress.lagTimeSeconds === 'number' ? progress.lagTimeSeconds : null;
}

function phaseText(progress: Progress): string {
  const parts: string[] = [];
  if (progress.info) parts.push(progress.info);
  if (progress.ceaStage) parts.push(progress.ceaStage);
  return parts.join(' · ');
}

/** One line for logs and pipes. */
export function progressLine(progress: Progress, now: Date): string {
  const copy = copyOf(progress);
  const percent = copyPercent(progress);
  const lag = lagOf(progress);
  const fields = [
    now.toISOString(),
    `state=${String(progress.state)}`,
    ...(phaseText(progress) ? [`info="${phaseText(progress)}"`] : []),
    copy ? `copied=${copy.estimatedCopiedBytes}/${copy.estimatedTotalBytes}B${percent === null ? '' : `(${percent}%)`}` : 'copied=-',
    `lag=${lag === null ? '-' : `${lag}s`}`,
    `events=${typeof progress.totalEventsApplied === 'number' ? progress.totalEventsApplied : '-'}`,
    `canCommit=${String(progress.canCommit)}`,
    `canWrite=${String(progress.canWrite)}`,
    ...(progress.state === 'FAILED' ? [`error=${String(progress.error)}`, `errorDescription=${JSON.stringify(progress.errorDescription)}`] : []),
  ];
  return fields.join(' ');
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** `done` of `total` things: with a bar for a terminal, in plain words otherwise. */
export function countProgress(done: number, total: number, unit: string, terminal: boolean): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const words = `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${unit} (${Math.floor(fraction * 100)}%)`;
  return terminal ? `${bar(fraction, 30)} ${words}` : words;
}

const yesNo = (value: unknown): string => (value === true ? 'yes' : value === false ? 'no' : '-');

/** The lines drawn on a terminal `columns` wide. */
export function progressBars(progress: Progress, columns: number, title: string): string[] {
  const width = Math.max(10, Math.min(50, columns - 40));
  const copy = copyOf(progress);
  const percent = copyPercent(progress);
  const lag = lagOf(progress);
  const mapping = progress.directionMapping;
  const lines = [
    `${title}  ${String(progress.state)}${phaseText(progress) ? `  ${phaseText(progress)}` : ''}`,
    copy
      ? `copy    ${bar(percent === null ? 0 : percent / 100, width)} ${String(percent ?? 0).padStart(3)}%  ${formatBytes(copy.estimatedCopiedBytes)} of ${formatBytes(copy.estimatedTotalBytes)}`
      : `copy    ${bar(0, width)}    -`,
    lag === null
      ? `lag     ${bar(0, width)}    -`
      : `lag     ${bar(lag / (2 * MAX_COMMIT_LAG_SECONDS), width)} ${String(lag).padStart(3)} s  (commit needs ≤ ${MAX_COMMIT_LAG_SECONDS} s)`,
    `events  ${typeof progress.totalEventsApplied === 'number' ? progress.totalEventsApplied : '-'} applied   canCommit ${yesNo(progress.canCommit)}   canWrite ${yesNo(progress.canWrite)}`,
  ];
  if (mapping) lines.push(`        ${mapping.Source} → ${mapping.Destination}`);
  if (progress.state === 'FAILED') lines.push(`error   ${String(progress.error)}: ${String(progress.errorDescription)}`);
  for (const warning of progress.warnings ?? []) lines.push(`warning ${warning}`);
  return lines.map((line) => (line.length > columns ? line.slice(0, Math.max(1, columns - 1)) : line));
}

/** Whether `until` (a state name, canCommit or canWrite) holds. */
export function reached(progress: Progress, until: string): boolean {
  if (until === 'canCommit') return progress.canCommit === true;
  if (until === 'canWrite') return progress.canWrite === true;
  return progress.state === until;
}

export const UNTIL_VALUES: readonly string[] = [...SYNC_STATE_NAMES, 'canCommit', 'canWrite'];
