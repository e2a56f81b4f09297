// Cluster times cross the workflow boundary as plain {t, i} pairs (JSON-serializable).
import { Timestamp } from 'mongodb';
import type { OpTime } from '../workflows/types';

export type { OpTime };

export function toOpTime(ts: Timestamp): OpTime {
  return { t: ts.t, i: ts.i };
}

export function toTimestamp(opTime: OpTime): Timestamp {
  return new Timestamp({ t: opTime.t, i: opTime.i });
}

/**
 * The cluster time at the start of a resume token's `_data` (KeyString: 0x82, then the 8-byte
 * big-endian timestamp), or undefined for tokens of another shape.
 */
export function resumeTokenTime(token: unknown): OpTime | undefined {
  const data = (token as { _data?: unknown } | null | undefined)?._data;
  if (typeof data !== 'string' || !/^82[0-9a-fA-F]{16}/.test(data)) return undefined;
  return { t: parseInt(data.slice(2, 10), 16), i: parseInt(data.slice(10, 18), 16) };
}
