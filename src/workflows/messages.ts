// Messages of the sync workflow, shared by the workflow and its clients (API, CLI, tools).
// Every command is an update (its validator accepts or rejects at once, with a mongosync-style
// error) and a signal of the same name running the same logic, for tools that can only signal.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Progress } from '../sync/progress';
import type { SyncWorkflowState } from '../sync/state';

export const SYNC_WORKFLOW_TYPE = 'syncWorkflow';
/** The task queue syncs run on unless configured otherwise. */
export const DEFAULT_TASK_QUEUE = 'c2c-sync';

/** Resolves once the sync has passed its preflight checks; fails with their error. */
export const startUpdate = defineUpdate<void>('start');
export const pauseUpdate = defineUpdate<void>('pause');
export const resumeUpdate = defineUpdate<void>('resume');
export const commitUpdate = defineUpdate<void>('commit');
export const reverseUpdate = defineUpdate<void>('reverse');
/** Ends a FAILED sync (after another try at releasing write blocks left set): back to IDLE. */
export const clearUpdate = defineUpdate<void>('clear');

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const commitSignal = defineSignal('commit');
export const reverseSignal = defineSignal('reverse');
export const clearSignal = defineSignal('clear');

/** mongosync's /progress `progress` object */
export const progressQuery = defineQuery<Progress>('progress');
/** the whole internal state, for tools and tests */
export const stateQuery = defineQuery<SyncWorkflowState>('state');

export function workflowIdFor(syncId: string): string {
  return `c2c-sync-${syncId}`;
}

/** How a user clears a FAILED sync; said in every refusal that FAILED causes. */
export function clearHint(workflowId: string): string {
  return `clear it with \`c2c-sync clear\` (POST /api/v1/clear), or terminate workflow ${workflowId} in Temporal`;
}
