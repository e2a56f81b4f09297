// Reading request fields decoded with promoteValues: false, where numbers are wrapper objects.
import { Decimal128, Double, Int32, Long, type Document } from 'bson';

/** The numeric value of an Int32, Double, Long, Decimal128 or plain number; undefined otherwise. */
export function numberValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Int32 || value instanceof Double) return value.value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return undefined;
}

export function isNumeric(value: unknown): boolean {
  return numberValue(value) !== undefined;
}

/** The server's truthiness of a command flag: booleans, non-zero numbers; absent/null is false. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  const n = numberValue(value);
  if (n !== undefined) return n !== 0 && !Number.isNaN(n);
  return true;
}

export function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
    && (value as { _bsontype?: unknown })._bsontype === undefined;
}

/** The first key of a command body: its name. */
export function commandNameOf(body: Document): string {
  for (const key in body) return key;
  return '';
}
