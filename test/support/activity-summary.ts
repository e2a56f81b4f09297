// Per activity type, over every run of a sync workflow (walking back through continue-as-new):
// how many ran and their total wall time from scheduled to completed. A diagnostic the tests
// print to show where a sync's time went.
import type { Client, WorkflowHandle } from '@temporalio/client';

export async function activitySummary(client: Client, workflowId: string, options: { timeline?: boolean } = {}): Promise<string> {
  const timeline: { at: number; line: string }[] = [];
  const totals = new Map<string, { count: number; ms: number }>();
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  const runs: string[] = [];
  let workflowTasks = 0;
  while (runId) {
    runs.push(runId);
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const previous: string | null | undefined = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    runId = previous || undefined;
    const scheduled = new Map<string, { name: string; at: number }>();
    for (const event of history.events ?? []) {
      const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor(Number(event.eventTime?.nanos ?? 0) / 1e6);
      if (event.workflowTaskCompletedEventAttributes) workflowTasks += 1;
      const s = event.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(event.eventId), { name: s.activityType?.name ?? '?', at });
      const done = event.activityTaskCompletedEventAttributes;
      if (done) {
        const from = scheduled.get(String(done.scheduledEventId));
        if (!from) continue;
        timeline.push({ at: from.at, line: `${from.name} ${((at - from.at) / 1000).toFixed(1)} s` });
        const total = totals.get(from.name) ?? { count: 0, ms: 0 };
        total.count += 1;
        total.ms += at - from.at;
        totals.set(from.name, total);
      }
    }
  }
  const parts = [...totals].map(([name, { count, ms }]) => `${name} ${count}x ${(ms / 1000).toFixed(1)} s`);
  const t0 = Math.min(...timeline.map((entry) => entry.at));
  const lines = options.timeline
    ? `\n${timeline
        .sort((a, b) => a.at - b.at)
        .map((entry) => `  +${((entry.at - t0) / 1000).toFixed(1)} ${entry.line}`)
        .join('\n')}`
    : '';
  return `${runs.length} runs, ${workflowTasks} workflow tasks; ${parts.join(', ')}${lines}`;
}
