// The workflow's Temporal footprint: every run of the sync (following continue-as-new back from
// the newest run), each history read page by page, and every payload in it measured (activity
// inputs and results, signals and updates, the continue-as-new input, memo and search
// attributes). Temporal refuses a payload over 2 MB by default, and a history over 50K events.
import type { Client } from '@temporalio/client';

export interface PayloadSize {
  bytes: number;
  /** the event and field it was found in, e.g. 'activityTaskCompleted(planPartitions).result' */
  where: string;
  runIndex: number;
}

export interface HistoryReport {
  runs: number;
  totalEvents: number;
  largestRunEvents: number;
  largestPayload: PayloadSize | null;
  /** the largest payload of each event kind (activity results, continue-as-new input, ...), largest first */
  largestByKind: PayloadSize[];
  /** payload bytes summed over every event of every run */
  totalPayloadBytes: number;
  /** every activity type's calls: how many closed, and their summed time from scheduled to closed */
  activities: ActivityTimes[];
  /** workflow tasks completed, and their summed time from started to completed */
  workflowTasks: { count: number; totalMs: number };
}

export interface ActivityTimes {
  name: string;
  calls: number;
  /** summed over the calls (calls overlap: this can exceed the wall time) */
  totalMs: number;
}

type Json = Record<string, unknown>;

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** The bytes of one Payload message (data and metadata), or null when `value` is not one. */
function payloadBytes(value: unknown): number | null {
  if (!value || typeof value !== 'object') return null;
  const { data, metadata } = value as { data?: unknown; metadata?: unknown };
  if (!isBytes(data) && !(metadata && typeof metadata === 'object')) return null;
  let bytes = isBytes(data) ? data.length : 0;
  for (const [key, item] of Object.entries((metadata ?? {}) as Record<string, unknown>)) bytes += key.length + (isBytes(item) ? item.length : 0);
  return bytes;
}

/** Calls `found` for every Payloads list and every lone Payload under `node`. */
export function walkPayloads(node: unknown, path: string, found: (bytes: number, path: string) => void): void {
  if (!node || typeof node !== 'object' || isBytes(node)) return;
  if (Array.isArray(node)) {
    node.forEach((item, i) => walkPayloads(item, `${path}[${i}]`, found));
    return;
  }
  const object = node as Json;
  if (Array.isArray(object.payloads)) {
    found(object.payloads.reduce((sum: number, p: unknown) => sum + (payloadBytes(p) ?? 0), 0), path);
    return;
  }
  if ('data' in object && isBytes(object.data)) {
    found(payloadBytes(object) ?? 0, path);
    return;
  }
  for (const [key, value] of Object.entries(object)) {
    if (value !== null && value !== undefined) walkPayloads(value, path ? `${path}.${key}` : key, found);
  }
}

/** An event's time in ms since the epoch (the history's Timestamp of seconds and nanos). */
function eventMs(event: Json): number | null {
  const time = event.eventTime as { seconds?: unknown; nanos?: unknown } | undefined;
  if (!time || time.seconds === undefined) return null;
  return Number(time.seconds) * 1000 + Math.floor(Number(time.nanos ?? 0) / 1e6);
}

const ACTIVITY_CLOSED = new Set(['activityTaskCompleted', 'activityTaskFailed', 'activityTaskTimedOut', 'activityTaskCanceled']);

function attributesOf(event: Json): [string, Json] | null {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventAttributes') && value && typeof value === 'object') return [key.replace(/EventAttributes$/, ''), value as Json];
  }
  return null;
}

export async function measureHistory(client: Client, workflowId: string): Promise<HistoryReport> {
  const namespace = client.options.namespace;
  const description = await client.workflow.getHandle(workflowId).describe();
  const report: HistoryReport = {
    runs: 0,
    totalEvents: 0,
    largestRunEvents: 0,
    largestPayload: null,
    largestByKind: [],
    totalPayloadBytes: 0,
    activities: [],
    workflowTasks: { count: 0, totalMs: 0 },
  };
  const byKind = new Map<string, PayloadSize>();
  const activityTimes = new Map<string, ActivityTimes>();
  const runs: string[] = [];
  let runId: string | undefined = description.runId;
  // Newest run first; each run's first event names the run it continued.
  while (runId) {
    runs.push(runId);
    const activityNames = new Map<string, string>();
    const scheduledAt = new Map<string, number>();
    const workflowTaskStartedAt = new Map<string, number>();
    let previous: string | undefined;
    let events = 0;
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace,
        execution: { workflowId, runId },
        maximumPageSize: 250,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      for (const event of (page.history?.events ?? []) as unknown as Json[]) {
        events++;
        const attributes = attributesOf(event);
        if (!attributes) continue;
        const [kind, body] = attributes;
        if (kind === 'workflowExecutionStarted') previous = (body.continuedExecutionRunId as string | undefined) || undefined;
        if (kind === 'activityTaskScheduled') activityNames.set(String(event.eventId), String((body.activityType as Json | undefined)?.name));
        const scheduled = body.scheduledEventId !== undefined ? activityNames.get(String(body.scheduledEventId)) : undefined;
        const at = eventMs(event);
        if (at !== null) {
          if (kind === 'activityTaskScheduled') scheduledAt.set(String(event.eventId), at);
          if (ACTIVITY_CLOSED.has(kind) && scheduled) {
            const times = activityTimes.get(scheduled) ?? { name: scheduled, calls: 0, totalMs: 0 };
            times.calls++;
            times.totalMs += at - (scheduledAt.get(String(body.scheduledEventId)) ?? at);
            activityTimes.set(scheduled, times);
          }
          if (kind === 'workflowTaskStarted') workflowTaskStartedAt.set(String(event.eventId), at);
          if (kind === 'workflowTaskCompleted') {
            report.workflowTasks.count++;
            report.workflowTasks.totalMs += at - (workflowTaskStartedAt.get(String(body.startedEventId)) ?? at);
          }
        }
        const name = kind === 'activityTaskScheduled' ? activityNames.get(String(event.eventId)) : scheduled;
        walkPayloads(body, '', (bytes, path) => {
          report.totalPayloadBytes += bytes;
          const found = { bytes, where: `${kind}${name ? `(${name})` : ''}.${path}`, runIndex: runs.length };
          if (!report.largestPayload || bytes > report.largestPayload.bytes) report.largestPayload = found;
          const key = `${kind}${name ? `(${name})` : ''}`;
          if ((byKind.get(key)?.bytes ?? -1) < bytes) byKind.set(key, found);
        });
      }
      nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (nextPageToken);
    report.totalEvents += events;
    report.largestRunEvents = Math.max(report.largestRunEvents, events);
    runId = previous;
  }
  report.runs = runs.length;
  // runIndex counted from the newest run; turn it into "run k of n" from the first
  const fromFirst = (p: PayloadSize): PayloadSize => ({ ...p, runIndex: report.runs - p.runIndex + 1 });
  if (report.largestPayload) report.largestPayload = fromFirst(report.largestPayload);
  report.largestByKind = [...byKind.values()].map(fromFirst).sort((a, b) => b.bytes - a.bytes);
  report.activities = [...activityTimes.values()].sort((a, b) => b.totalMs - a.totalMs);
  return report;
}
