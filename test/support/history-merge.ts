// Rewrites a recorded workflow history so that the completions of two consecutive workflow tasks
// arrive in the first one: the history Temporal would have recorded had both completions come
// before that task started, with the commands of both tasks, in the same order, issued by it.
//
// A workflow whose commands do not depend on how its events are grouped into activations replays
// every such merge. A worker does not always group them as a replay does (one that answered a
// query on a workflow it had not cached applied the completions that had arrived so far, and the
// rest with the next task: src/workflows/completion-order.ts), so a workflow that fails a merge
// can fail its own history on the next worker restart.
import { temporal } from '@temporalio/proto';

type Event = Record<string, unknown> & { eventId: string; eventType: string };
type Attributes = Record<string, unknown>;

const WFT_SCHEDULED = 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED';
const WFT_STARTED = 'EVENT_TYPE_WORKFLOW_TASK_STARTED';
const WFT_COMPLETED = 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED';
/** what may start a workflow task that can be merged with its neighbour */
const COMPLETIONS = new Set([
  'EVENT_TYPE_ACTIVITY_TASK_STARTED',
  'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
  'EVENT_TYPE_ACTIVITY_TASK_FAILED',
  'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT',
  'EVENT_TYPE_ACTIVITY_TASK_CANCELED',
  'EVENT_TYPE_TIMER_FIRED',
]);

function attributesOf(event: Event): Attributes {
  const key = Object.keys(event).find((name) => name.endsWith('EventAttributes'));
  return key ? (event[key] as Attributes) : {};
}

/** One workflow task: the completions that started it, its three task events, and the commands it issued. */
interface Task {
  triggers: Event[];
  task: Event[];
  commands: Event[];
}

export interface MergedHistory {
  /** what the two merged tasks were started by, e.g. "copyWorkUnit + bufferChangeEvents" */
  label: string;
  history: temporal.api.history.v1.IHistory;
}

/** Every merge of two consecutive tasks each started by activity completions only (at most `limit`, the most varied first). */
export function mergedHistories(history: temporal.api.history.v1.IHistory, limit: number): MergedHistory[] {
  const plain = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), {
    longs: String,
    enums: String,
  }) as { events: Event[] };
  const events = plain.events;
  const scheduledNames = new Map<string, string>();
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined;
    if (scheduled) scheduledNames.set(event.eventId, scheduled.activityType?.name ?? '?');
  }
  const tasks: Task[] = [];
  let pending: Event[] = [];
  let current: Task | undefined;
  for (const event of events) {
    const completedBy = attributesOf(event).workflowTaskCompletedEventId as string | undefined;
    if (current && completedBy === current.task[2]?.eventId && pending.length === 0) {
      current.commands.push(event);
      continue;
    }
    pending.push(event);
    if (event.eventType === WFT_COMPLETED) {
      const scheduledAt = pending.findIndex((e) => e.eventType === WFT_SCHEDULED);
      current = { triggers: pending.slice(0, scheduledAt), task: pending.slice(scheduledAt), commands: [] };
      tasks.push(current);
      pending = [];
    }
  }
  const triggerLabel = (task: Task): string =>
    task.triggers
      .filter((e) => e.eventType !== 'EVENT_TYPE_ACTIVITY_TASK_STARTED')
      .map((e) => scheduledNames.get(String(attributesOf(e).scheduledEventId)) ?? e.eventType.replace('EVENT_TYPE_', '').toLowerCase())
      .join(',');
  const mergeable = (task: Task): boolean =>
    task.triggers.length > 0 &&
    task.triggers.every((e) => COMPLETIONS.has(e.eventType)) &&
    task.task.map((e) => e.eventType).join() === [WFT_SCHEDULED, WFT_STARTED, WFT_COMPLETED].join();

  const candidates: { index: number; label: string }[] = [];
  for (let i = 1; i + 1 < tasks.length; i++) {
    const [first, second] = [tasks[i]!, tasks[i + 1]!];
    if (!mergeable(first) || !mergeable(second)) continue;
    // a completion of an activity the first task scheduled cannot come before that task
    const firstCommands = new Set(first.commands.map((e) => e.eventId));
    if (second.triggers.some((e) => firstCommands.has(String(attributesOf(e).scheduledEventId)))) continue;
    candidates.push({ index: i, label: `${triggerLabel(first)} + ${triggerLabel(second)}` });
  }
  // the pairs of different parts first (one of each kind of pair, then the rest)
  const seen = new Set<string>();
  const ordered = [
    ...candidates.filter((c) => !seen.has(c.label) && seen.add(c.label) && c.label.split(' + ')[0] !== c.label.split(' + ')[1]),
    ...candidates,
  ].filter((c, i, all) => all.indexOf(c) === i);
  return ordered.slice(0, limit).map(({ index, label }) => ({ label, history: merge(tasks, index) }));
}

function merge(tasks: Task[], index: number): temporal.api.history.v1.IHistory {
  const [first, second] = [tasks[index]!, tasks[index + 1]!];
  const order: Event[] = [];
  const renamed = new Map<string, Event>();
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    if (i === index) {
      order.push(...first.triggers, ...second.triggers, ...first.task, ...first.commands, ...second.commands);
      second.task.forEach((event, n) => renamed.set(event.eventId, first.task[n]!));
    } else if (i !== index + 1) {
      order.push(...task.triggers, ...task.task, ...task.commands);
    }
  }
  const copies = order.map((event) => structuredClone(event));
  const newIds = new Map<string, string>();
  order.forEach((event, i) => newIds.set(event.eventId, String(i + 1)));
  for (const [old, target] of renamed) newIds.set(old, newIds.get(target.eventId)!);
  for (const copy of copies) {
    copy.eventId = newIds.get(copy.eventId)!;
    for (const [key, value] of Object.entries(copy)) {
      if (!key.endsWith('EventAttributes') || !value) continue;
      const attributes = value as Attributes;
      for (const [name, id] of Object.entries(attributes)) {
        if (name.endsWith('EventId') && typeof id === 'string' && newIds.has(id)) attributes[name] = newIds.get(id);
      }
    }
  }
  return temporal.api.history.v1.History.fromObject({ events: copies });
}
