// Turns whatever stopped the sync into the error name and description /progress reports.
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import { SyncErrorName } from '../sync/errors';

export interface FailureInfo {
  error: string;
  errorDescription: string;
}

/**
 * An activity's ApplicationFailure keeps its type; anything else (a timeout, a bug in workflow
 * code) is an InternalError whose description says what happened.
 */
export function failureInfo(error: unknown): FailureInfo {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    const where = `activity ${error.activityType}`;
    if (cause instanceof ApplicationFailure) {
      return { error: cause.type ?? SyncErrorName.InternalError, errorDescription: `${where}: ${cause.message}` };
    }
    return { error: SyncErrorName.InternalError, errorDescription: `${where}: ${cause?.message ?? error.message}` };
  }
  if (error instanceof ApplicationFailure) {
    return { error: error.type ?? SyncErrorName.InternalError, errorDescription: error.message };
  }
  if (error instanceof TemporalFailure) return { error: SyncErrorName.InternalError, errorDescription: error.message };
  if (error instanceof Error) {
    return { error: SyncErrorName.InternalError, errorDescription: `unexpected ${error.name} in the sync workflow: ${error.message}` };
  }
  return { error: SyncErrorName.InternalError, errorDescription: `unexpected failure in the sync workflow: ${String(error)}` };
}
