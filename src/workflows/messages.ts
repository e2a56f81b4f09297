// Messages of the sync workflow, shared by the workflow and its clients (API, CLI, tools).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type SyncStateName = 'IDLE' | 'RUNNING' | 'PAUSED' | 'COMMITTING' | 'COMMITTED' | 'REVERSING';

export interface SkeletonProgress {
  state: SyncStateName;
  syncId: string;
  clusters: string[] | null;
}

export const progressQuery = defineQuery<SkeletonProgress>('progress');
export const pauseUpdate = defineUpdate<void>('pause');
export const resumeUpdate = defineUpdate<void>('resume');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

export function workflowIdFor(syncId: string): string {
  return `c2c-sync-${syncId}`;
}
