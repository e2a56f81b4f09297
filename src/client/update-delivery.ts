// Sending a workflow update again when Temporal says it was not delivered.
//
// The server answers UpdateWorkflowExecution with FAILED_PRECONDITION and a WorkflowNotReadyFailure
// detail when the workflow task that carried the update failed for a reason of the server's own:
// seen here about once in ten clears under load, when the update's task raced the workflow's own
// end ("Unable to perform workflow execution update due to unexpected workflow task failure").
// Nothing of the update is in the history then, and the server deduplicates updates by id, so the
// same update sent again with the same id runs at most once.
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { google } from '@temporalio/proto';

const FAILED_PRECONDITION = 9;
const NOT_READY_TYPE = 'temporal.api.errordetails.v1.WorkflowNotReadyFailure';

/** True when `error` (as the client throws it) says the update was not delivered and may be sent again. */
export function isUpdateNotDelivered(error: unknown): boolean {
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (!isGrpcServiceError(grpc) || grpc.code !== FAILED_PRECONDITION) return false;
  const statusBytes = grpc.metadata.get('grpc-status-details-bin')[0];
  if (!statusBytes || typeof statusBytes === 'string') return false;
  try {
    const details = google.rpc.Status.decode(statusBytes).details ?? [];
    return details.some((detail) => detail.type_url?.replace(/^type\.googleapis\.com\//, '') === NOT_READY_TYPE);
  } catch {
    return false;
  }
}

export interface DeliveryOptions {
  /** give up after this long and throw the last error (default 30 s) */
  timeoutMs?: number;
  /** the first wait before sending again; each wait doubles, up to 2 s (default 100 ms) */
  firstDelayMs?: number;
  /** called before each new attempt; returning false ends the loop without error (the update's aim was met) */
  beforeRetry?: () => Promise<boolean>;
}

/** Runs `send` until it succeeds, fails for another reason, or `timeoutMs` passes. */
export async function deliverUpdate(send: () => Promise<void>, options: DeliveryOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let delayMs = options.firstDelayMs ?? 100;
  for (;;) {
    try {
      await send();
      return;
    } catch (error) {
      if (!isUpdateNotDelivered(error) || Date.now() + delayMs > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 2_000);
    if (options.beforeRetry && !(await options.beforeRetry())) return;
  }
}
