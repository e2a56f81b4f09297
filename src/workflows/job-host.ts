// What the parts of a sync job (the copy loop, the event buffer reader, the embedded verifier)
// use of their SyncJob (sync-job.ts).
import type { SyncActivityCalls } from './activity-calls';
import type { SyncWorkflowState } from '../sync/state';

export interface JobHost {
  readonly s: SyncWorkflowState;
  readonly act: SyncActivityCalls;
  /** runs an activity call, retrying stalls with a /progress warning (SyncJob.call) */
  call<T>(label: string, run: () => Promise<T>): Promise<T>;
  continueAsNewDue(): boolean;
  /** shows the state in Temporal (search attribute, current details) */
  publish(): void;
  /** waits until `fn` holds, in turn with the activity results (completion-order.ts) */
  condition(fn: () => boolean): Promise<void>;
}
