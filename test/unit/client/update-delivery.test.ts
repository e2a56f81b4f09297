// An update the server says it did not deliver (FAILED_PRECONDITION + WorkflowNotReadyFailure, seen
// when the update's workflow task raced the workflow's own end) is sent again with the same id;
// every other error is the caller's to see at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Client, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { google } from '@temporalio/proto';
import { deliverUpdate, isUpdateNotDelivered } from '../../../src/client/update-delivery';
import { SyncController } from '../../../src/client/sync-controller';
import { SyncError } from '../../../src/sync/errors';

function grpcError(code: number, detailType?: string): Error {
  const status = google.rpc.Status.encode({
    code,
    message: 'Unable to perform workflow execution update due to unexpected workflow task failure.',
    details: detailType ? [{ type_url: `type.googleapis.com/${detailType}`, value: new Uint8Array() }] : [],
  }).finish();
  const metadata = { get: (key: string) => (key === 'grpc-status-details-bin' ? [Buffer.from(status)] : []) };
  return Object.assign(new Error(`${code} grpc error`), { code, details: 'Unable to perform workflow execution update', metadata });
}

const NOT_READY = 'temporal.api.errordetails.v1.WorkflowNotReadyFailure';
const notDelivered = () => new ServiceError('Workflow Update failed', { cause: grpcError(9, NOT_READY) });

test('only FAILED_PRECONDITION with a WorkflowNotReadyFailure detail counts as not delivered', () => {
  assert.equal(isUpdateNotDelivered(notDelivered()), true);
  assert.equal(isUpdateNotDelivered(grpcError(9, NOT_READY)), true, 'the gRPC error itself');
  assert.equal(isUpdateNotDelivered(new ServiceError('x', { cause: grpcError(9) })), false, 'no detail');
  assert.equal(isUpdateNotDelivered(new ServiceError('x', { cause: grpcError(9, 'temporal.api.errordetails.v1.NotFoundFailure') })), false);
  assert.equal(isUpdateNotDelivered(new ServiceError('x', { cause: grpcError(14, NOT_READY) })), false, 'another code');
  assert.equal(isUpdateNotDelivered(new WorkflowNotFoundError('gone', 'w', undefined)), false);
  assert.equal(isUpdateNotDelivered(new Error('plain')), false);
  assert.equal(isUpdateNotDelivered(undefined), false);
});

test('deliverUpdate sends again until delivered, and throws any other error at once', async () => {
  let calls = 0;
  await deliverUpdate(
    async () => {
      calls += 1;
      if (calls < 3) throw notDelivered();
    },
    { firstDelayMs: 1 },
  );
  assert.equal(calls, 3);

  calls = 0;
  const other = new ServiceError('Workflow Update failed', { cause: grpcError(14) });
  await assert.rejects(
    deliverUpdate(async () => {
      calls += 1;
      throw other;
    }),
    (e) => e === other,
  );
  assert.equal(calls, 1);
});

test('deliverUpdate gives up with the last error once its time is spent, and stops when told the aim is met', async () => {
  let calls = 0;
  await assert.rejects(
    deliverUpdate(
      async () => {
        calls += 1;
        throw notDelivered();
      },
      { timeoutMs: 30, firstDelayMs: 5 },
    ),
    (e) => isUpdateNotDelivered(e),
  );
  assert.ok(calls >= 2, `sent ${calls} times`);

  calls = 0;
  await deliverUpdate(
    async () => {
      calls += 1;
      throw notDelivered();
    },
    { firstDelayMs: 1, beforeRetry: async () => false },
  );
  assert.equal(calls, 1);
});

/** A client whose one workflow answers the first `failures` updates with "not delivered". */
function fakeClient(failures: number, closeAfterFirst = false) {
  const updateIds: string[] = [];
  let running = true;
  const handle = {
    describe: async () => ({ status: { name: running ? 'RUNNING' : 'FAILED' } }),
    executeUpdate: async (_update: unknown, options: { updateId: string }) => {
      updateIds.push(options.updateId);
      if (closeAfterFirst) running = false;
      if (updateIds.length <= failures) throw notDelivered();
    },
  };
  const client = { workflow: { getHandle: () => handle } } as unknown as Client;
  return { client, updateIds };
}

test('a command the server did not deliver is sent again with the same update id', async () => {
  const { client, updateIds } = fakeClient(2);
  await new SyncController({ client, syncId: 's', taskQueue: 'q' }).pause();
  assert.equal(updateIds.length, 3);
  assert.equal(new Set(updateIds).size, 1, 'one update id for every attempt');
});

test('a clear whose first attempt ended the workflow succeeds without sending again', async () => {
  const { client, updateIds } = fakeClient(1, true);
  await new SyncController({ client, syncId: 's', taskQueue: 'q' }).clear();
  assert.equal(updateIds.length, 1);
});

test('a command that fails for another reason throws that error after one attempt', async () => {
  let calls = 0;
  const client = {
    workflow: {
      getHandle: () => ({
        describe: async () => ({ status: { name: 'RUNNING' } }),
        executeUpdate: async () => {
          calls += 1;
          throw new ServiceError('Workflow Update failed', { cause: grpcError(3) });
        },
      }),
    },
  } as unknown as Client;
  await assert.rejects(new SyncController({ client, syncId: 's', taskQueue: 'q' }).commit(), (e) => e instanceof ServiceError && !(e instanceof SyncError));
  assert.equal(calls, 1);
});
