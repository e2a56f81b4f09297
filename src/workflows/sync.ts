// The sync workflow: wires mongosync's commands and queries to a SyncJob (sync-job.ts, which
// holds the state table) and runs its steps until the sync is cleared or continues as new.
//
// Every command is an update whose validator rejects at once with a mongosync-style error, and a
// signal of the same name for tools that can only signal (a refused signal is logged and
// ignored). Handlers only record the request; the loop below performs the steps, so a fatal
// error anywhere in them turns the sync FAILED instead of failing the workflow unseen.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  clearSignal,
  clearUpdate,
  commitSignal,
  commitUpdate,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  resumeSignal,
  resumeUpdate,
  reverseSignal,
  reverseUpdate,
  startUpdate,
  stateQuery,
} from './messages';
import { buildProgress } from '../sync/progress';
import { SyncIdAttribute, SyncStateAttribute } from './search-attributes';
import { SyncJob, type SyncCommand, type SyncWorkflowInput, type SyncWorkflowResult } from './sync-job';

export type { SyncWorkflowInput, SyncWorkflowResult } from './sync-job';

const COMMANDS = [
  ['pause', pauseUpdate, pauseSignal],
  ['resume', resumeUpdate, resumeSignal],
  ['commit', commitUpdate, commitSignal],
  ['reverse', reverseUpdate, reverseSignal],
  ['clear', clearUpdate, clearSignal],
] as const;

function wireHandlers(job: SyncJob): void {
  for (const [name, update, signal] of COMMANDS) {
    const command: SyncCommand = name;
    setHandler(update, () => job.apply(command), { validator: () => job.check(command), description: `mongosync /${name}` });
    setHandler(
      signal,
      async () => {
        try {
          job.check(command);
        } catch (error) {
          log.warn(`ignored ${name} signal`, { reason: (error as Error).message });
          return;
        }
        await job.apply(command);
      },
      { description: `mongosync /${name}, for tools that can only signal` },
    );
  }
  setHandler(
    startUpdate,
    async () => {
      await condition(() => job.started || job.startError !== undefined || job.s.failure !== null);
      if (job.startError) throw ApplicationFailure.nonRetryable(job.startError.errorDescription, job.startError.error);
      const failure = job.s.failure;
      if (!job.started && failure) throw ApplicationFailure.nonRetryable(failure.errorDescription, failure.error);
    },
    { description: 'resolves once preflight checks passed' },
  );
  setHandler(progressQuery, () => buildProgress(job.s), { description: "mongosync's /progress object" });
  setHandler(stateQuery, () => job.s, { description: 'the internal sync state' });
}

export async function syncWorkflow(input: SyncWorkflowInput): Promise<SyncWorkflowResult | void> {
  const job = new SyncJob(input);
  wireHandlers(job);
  upsertSearchAttributes([
    { key: SyncIdAttribute, value: job.s.syncId },
    { key: SyncStateAttribute, value: job.state },
  ]);
  job.markPublished();
  job.publish();

  if (!input.carried) {
    let started: boolean;
    try {
      started = await job.start();
    } catch (error) {
      // not a refusal but a fatal error (e.g. releasing the write block failed): FAILED
      await job.fail(error);
      started = true;
    }
    if (!started) {
      await condition(allHandlersFinished);
      return job.startError;
    }
  }
  for (;;) {
    if (job.cleared) {
      await condition(allHandlersFinished);
      throw job.clearedFailure();
    }
    if (job.mayContinueAsNew()) {
      try {
        await job.settle();
      } catch (error) {
        await job.fail(error);
        continue;
      }
      await condition(allHandlersFinished);
      return continueAsNew<typeof syncWorkflow>({ syncId: job.s.syncId, options: job.s.options, carried: job.s });
    }
    if (job.s.paused) {
      await job.condition(() => !job.s.paused || job.continueAsNewDue());
      continue;
    }
    try {
      await job.step();
    } catch (error) {
      await job.fail(error);
    }
  }
}
