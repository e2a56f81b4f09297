// The event buffer reader alongside the copy (docs/event-buffer.md): while the copy step runs,
// iterations of bufferChangeEvents store the source's change events from the start point on the
// destination, so the source's oplog need not cover the whole copy. Buffering stops when the copy
// step returns (the copy is done, the sync paused, or continue-as-new is due); once the copy is
// done, the applier takes the buffer over: it applies the buffered events first and then
// continues on the live stream from the buffer reader's position.
//
// Runs of the workflow recorded before the buffer existed replay without it (the patch below).
import { CancellationScope, patched } from '@temporalio/workflow';
import type { EventBufferState } from '../sync/state';
import type { JobHost } from './job-host';

export const EVENT_BUFFER_PATCH = 'event-buffer-during-copy';

export class EventBuffering {
  constructor(private readonly host: JobHost) {}

  /**
   * Runs `copyStep` with the buffer reader alongside. A fatal buffer failure cancels the copy
   * step and is thrown; once the copy step moved the sync to 'applying', the buffer is handed to
   * the applier.
   */
  async alongside(copyStep: () => Promise<void>): Promise<void> {
    const buffer = this.host.s.buffer;
    if (!buffer || buffer.handedOver || !patched(EVENT_BUFFER_PATCH)) return copyStep();
    let copyOver = false;
    let bufferFailure: { error: unknown } | undefined;
    const copyScope = new CancellationScope();
    const buffering = this.run(buffer, () => copyOver).catch((error: unknown) => {
      bufferFailure = { error };
      copyScope.cancel();
    });
    try {
      await copyScope.run(copyStep);
    } catch (error) {
      copyOver = true;
      await buffering;
      throw bufferFailure ? bufferFailure.error : error;
    }
    copyOver = true;
    await buffering;
    if (bufferFailure) throw bufferFailure.error;
    if (this.host.s.phase === 'applying') this.handOver(buffer);
  }

  /** Buffer iterations until the copy step is over; none while paused or continue-as-new is due. */
  private async run(buffer: EventBufferState, copyOver: () => boolean): Promise<void> {
    const { s, act } = this.host;
    if (!buffer.checkpoint.resumeToken && !buffer.checkpoint.startAt) buffer.checkpoint.startAt = s.startPoint;
    for (;;) {
      await this.host.condition(() => copyOver() || (!s.paused && !this.host.continueAsNewDue()));
      if (copyOver()) return;
      const result = await this.host.call('bufferChangeEvents', () =>
        act.bufferChangeEvents({
          source: s.source,
          destination: s.destination,
          includeNamespaces: s.options.includeNamespaces,
          excludeNamespaces: s.options.excludeNamespaces,
          checkpoint: buffer.checkpoint,
          maxDurationMs: s.tuning.bufferIterationMs,
          maxBatchEvents: s.tuning.applyBatchEvents,
          maxBatchBytes: s.tuning.applyBatchBytes,
          syncId: s.syncId,
        }),
      );
      buffer.checkpoint = result.checkpoint;
      buffer.iterations += 1;
      buffer.bytesBuffered += result.bytesBuffered;
      if (result.bufferedThrough) buffer.bufferedThrough = result.bufferedThrough;
      if (result.sourceOplogOldest) {
        buffer.sourceOplogOldest = result.sourceOplogOldest;
        buffer.sourceOplogFreeSeconds = result.sourceOplogFreeSeconds ?? null;
      }
      this.host.publish();
    }
  }

  /** The applier starts with the buffered events, then the live stream from the buffer's position. */
  private handOver(buffer: EventBufferState): void {
    const { resumeToken, startAt, nextSeq } = buffer.checkpoint;
    this.host.s.apply.checkpoint = { resumeToken, startAt, buffer: { nextSeq: 0, end: nextSeq } };
    buffer.handedOver = true;
    this.host.publish();
  }
}
