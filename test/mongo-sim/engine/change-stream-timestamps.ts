// BSON Timestamps as unsigned 64-bit numbers (t << 32 | i), the order the oplog and tokens use.
import { Timestamp } from 'bson';

export function timestampValue(ts: Timestamp): bigint {
  return (BigInt(ts.t) << 32n) | BigInt(ts.i);
}

export function timestampFromValue(value: bigint): Timestamp {
  return new Timestamp({ t: Number(value >> 32n), i: Number(value & 0xffffffffn) });
}

/** The next tick after `ts` (Timestamp(t, i + 1), carrying into t when i overflows). */
export function nextTick(ts: Timestamp): Timestamp {
  return timestampFromValue(timestampValue(ts) + 1n);
}

export function isTimestamp(v: unknown): v is Timestamp {
  return typeof v === 'object' && v !== null && (v as { _bsontype?: unknown })._bsontype === 'Timestamp';
}
