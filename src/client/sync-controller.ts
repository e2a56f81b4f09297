// Drives one sync (one workflow id) from outside Temporal: what the HTTP API, the CLI and tests
// call. Every refused command throws a SyncError carrying mongosync's error name and text.
import { randomUUID } from 'node:crypto';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PingSource } from '../mongo/ping-monitor';
import { SyncError, SyncErrorName } from '../sync/errors';
import { idleProgress, withPingLatencies, type Progress } from '../sync/progress';
import { parseStartOptions } from '../sync/start-options';
import {
  clearHint,
  clearUpdate,
  commitUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  reverseUpdate,
  startUpdate,
  stateQuery,
  SYNC_WORKFLOW_TYPE,
  workflowIdFor,
} from '../workflows/messages';
import { SyncIdAttribute, SyncStateAttribute } from '../workflows/search-attributes';
import type { SyncTuning, SyncWorkflowState } from '../sync/state';
import type { SyncWorkflowInput } from '../workflows/sync';
import { startDetails } from '../workflows/details';
import { deliverUpdate } from './update-delivery';

export interface SyncControllerOptions {
  client: Client;
  syncId: string;
  taskQueue: string;
  /** test and benchmark knobs passed to new syncs */
  tuning?: Partial<SyncTuning>;
  /** ping round trips to the clusters, added to /progress (the workflow does not measure them) */
  pings?: PingSource;
}

type Command = 'pause' | 'resume' | 'commit' | 'reverse' | 'clear';
const commandUpdates = { pause: pauseUpdate, resume: resumeUpdate, commit: commitUpdate, reverse: reverseUpdate, clear: clearUpdate };

export class SyncController {
  readonly workflowId: string;

  constructor(private readonly options: SyncControllerOptions) {
    this.workflowId = workflowIdFor(options.syncId);
  }

  /** POST /start: validates the body, starts the workflow and waits for its preflight checks. */
  async start(body: unknown): Promise<void> {
    const parsed = parseStartOptions(body);
    if (!parsed.ok) throw SyncError.from(parsed.error);
    const input: SyncWorkflowInput = { syncId: this.options.syncId, options: parsed.options, tuning: this.options.tuning };
    const startOperation = new WithStartWorkflowOperation(SYNC_WORKFLOW_TYPE, {
      workflowId: this.workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: SyncIdAttribute, value: this.options.syncId },
        { key: SyncStateAttribute, value: 'RUNNING' },
      ],
      staticSummary: `c2c-sync ${this.options.syncId}: ${parsed.options.source} → ${parsed.options.destination}`,
      staticDetails: startDetails(parsed.options),
    });
    try {
      await this.options.client.workflow.executeUpdateWithStart(startUpdate, { startWorkflowOperation: startOperation });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw await this.startRefusal();

      throw asCommandError(error);
    }
  }

  async pause(): Promise<void> {
    await this.command('pause');
  }

  async resume(): Promise<void> {
    await this.command('resume');
  }

  async commit(): Promise<void> {
    await this.command('commit');
  }

  async reverse(): Promise<void> {
    await this.command('reverse');
  }

  /** Ends a FAILED sync, so that /start is allowed again. */
  async clear(): Promise<void> {
    await this.command('clear');
  }

  /** GET /progress: the progress object of the running sync, or IDLE when there is none. */
  async progress(): Promise<Progress> {
    const handle = await this.runningHandle();
    if (!handle) return idleProgress();
    try {
      const progress = await handle.query(progressQuery);
      const pings = this.options.pings;
      if (!pings) return progress;
      pings.refreshIfStale();
      return withPingLatencies(progress, pings.latest());
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return idleProgress();
      throw asCommandError(error);
    }
  }

  /** The internal workflow state, or undefined when no sync runs. */
  async state(): Promise<SyncWorkflowState | undefined> {
    const handle = await this.runningHandle();
    return handle ? handle.query(stateQuery) : undefined;
  }

  private async runningHandle() {
    const handle = this.options.client.workflow.getHandle(this.workflowId);
    try {
      const description = await handle.describe();
      return description.status.name === 'RUNNING' ? handle : undefined;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Why /start is refused when the workflow id is taken: a FAILED sync says how to clear it. */
  private async startRefusal(): Promise<SyncError> {
    const progress = await this.progress().catch(() => undefined);
    if (progress?.state === 'FAILED') {
      return new SyncError(
        SyncErrorName.InvalidState,
        `cannot start: sync '${this.options.syncId}' is FAILED (${String(progress.error)}: ${String(progress.errorDescription)}); ` +
          `start needs IDLE: ${clearHint(this.workflowId)}`,
      );
    }
    return new SyncError(SyncErrorName.InvalidState, `cannot start: sync '${this.options.syncId}' is already running; start needs IDLE`);
  }

  private async command(name: Command): Promise<void> {
    const handle = await this.runningHandle();
    if (!handle) {
      throw new SyncError(SyncErrorName.InvalidState, `cannot ${name} in state IDLE; no sync has been started`);
    }
    const updateId = randomUUID();
    try {
      await deliverUpdate(() => handle.executeUpdate(commandUpdates[name], { updateId }), {
        // a clear whose first delivery ended the workflow has done what it was asked
        beforeRetry: async () => name !== 'clear' || (await this.runningHandle()) !== undefined,
      });
    } catch (error) {
      throw asCommandError(error);
    }
  }
}

function asCommandError(error: unknown): Error {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    return new SyncError(error.cause.type ?? SyncErrorName.InternalError, error.cause.message);
  }
  if (error instanceof WorkflowNotFoundError) {
    return new SyncError(SyncErrorName.InvalidState, 'no sync is running (state IDLE)');
  }
  return error instanceof Error ? error : new Error(String(error));
}

