// Cuts a TCP byte stream into whole wire-protocol messages using only messageLength (wire protocol message header).
import { HEADER_SIZE, MAX_MESSAGE_SIZE_BYTES } from './constants';

export class FrameError extends Error {}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds received bytes; returns every message completed by them, each a standalone Buffer. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      const length = this.peekLength();
      if (length === undefined || this.buffered < length) break;
      messages.push(this.take(length));
    }
    return messages;
  }

  private peekLength(): number | undefined {
    if (this.buffered < 4) return undefined;
    const first = this.chunks[0];
    const length = first.length >= 4 ? first.readInt32LE(0) : this.gather(4).readInt32LE(0);
    if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE_BYTES) {
      throw new FrameError(`invalid messageLength ${length}`);
    }
    return length;
  }

  /** Merges leading chunks until the first holds at least `size` bytes, and returns it. */
  private gather(size: number): Buffer {
    if (this.chunks[0].length >= size) return this.chunks[0];
    let count = 0;
    let total = 0;
    while (total < size) total += this.chunks[count++].length;
    const merged = Buffer.concat(this.chunks.slice(0, count), total);
    this.chunks.splice(0, count, merged);
    return merged;
  }

  private take(length: number): Buffer {
    const merged = this.gather(length);
    const message = merged.length === length ? merged : merged.subarray(0, length);
    if (merged.length === length) this.chunks.shift();
    else this.chunks[0] = merged.subarray(length);
    this.buffered -= length;
    return message;
  }
}
