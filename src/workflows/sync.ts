import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import {
  pauseSignal,
  pauseUpdate,
  progressQuery,
  resumeSignal,
  resumeUpdate,
  type SyncStateName,
} from './messages';
import { SyncIdAttribute, SyncStateAttribute } from './search-attributes';

export interface SyncWorkflowInput {
  syncId: string;
}

const { describeClusters } = proxyActivities<SyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

export async function syncWorkflow(input: SyncWorkflowInput): Promise<void> {
  let state: SyncStateName = 'RUNNING';
  let clusters: string[] | null = null;

  const moveTo = (next: SyncStateName): void => {
    state = next;
    upsertSearchAttributes([{ key: SyncStateAttribute, value: next }]);
  };
  const requireState = (expected: SyncStateName, command: string): void => {
    if (state !== expected) {
      throw ApplicationFailure.nonRetryable(`cannot ${command} in state ${state}; expected ${expected}`, 'InvalidState');
    }
  };

  setHandler(progressQuery, () => ({ state, syncId: input.syncId, clusters }));
  setHandler(pauseUpdate, () => moveTo('PAUSED'), { validator: () => requireState('RUNNING', 'pause') });
  setHandler(resumeUpdate, () => moveTo('RUNNING'), { validator: () => requireState('PAUSED', 'resume') });
  setHandler(pauseSignal, () => {
    if (state === 'RUNNING') moveTo('PAUSED');
  });
  setHandler(resumeSignal, () => {
    if (state === 'PAUSED') moveTo('RUNNING');
  });

  upsertSearchAttributes([
    { key: SyncIdAttribute, value: input.syncId },
    { key: SyncStateAttribute, value: state },
  ]);
  clusters = await describeClusters();
  await condition(() => false);
}
