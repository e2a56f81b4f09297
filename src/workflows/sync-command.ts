// A one-shot workflow that sends a mongosync command to a sync, for Temporal Schedules and
// pipelines: e.g. a schedule that commits a sync at 06:00. The command arrives as the signal of
// the same name, so a command the sync's state does not allow is ignored there (with a warning).
import { ApplicationFailure, getExternalWorkflowHandle } from '@temporalio/workflow';
import { SyncErrorName } from '../sync/errors';
import { clearSignal, commitSignal, pauseSignal, resumeSignal, reverseSignal, workflowIdFor } from './messages';

const SIGNALS = { pause: pauseSignal, resume: resumeSignal, commit: commitSignal, reverse: reverseSignal, clear: clearSignal };

export interface SyncCommandInput {
  syncId: string;
  command: keyof typeof SIGNALS;
  /** the sync's workflow id when it is not c2c-sync-<syncId> (syncs started by a Schedule) */
  workflowId?: string;
}

export async function syncCommandWorkflow(input: SyncCommandInput): Promise<void> {
  const signal = SIGNALS[input.command];
  if (!signal) {
    throw ApplicationFailure.nonRetryable(
      `unknown command '${String(input.command)}': expected pause, resume, commit, reverse or clear`,
      SyncErrorName.InvalidRequest,
    );
  }
  await getExternalWorkflowHandle(input.workflowId ?? workflowIdFor(input.syncId)).signal(signal);
}
