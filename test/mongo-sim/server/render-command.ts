// Renders a command the way mongod prints BSON in "not authorized ... to execute command { … }"
// messages, with secrets replaced.
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID, type Document } from 'bson';

const SECRET_FIELDS = new Set(['pwd', 'payload', 'password', 'credentials']);
const MAX_LENGTH = 10_000;

function renderValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Int32 || value instanceof Long) return value.toString();
  if (value instanceof Double) return Number.isInteger(value.value) ? `${value.value}.0` : String(value.value);
  if (value instanceof Decimal128) return `NumberDecimal("${value.toString()}")`;
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Timestamp) return `Timestamp(${value.t}, ${value.i})`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Binary) {
    return value.sub_type === 4 ? `UUID("${new UUID(value.buffer.subarray(0, value.position)).toHexString()}")` : `BinData(${value.sub_type}, ${Buffer.from(value.buffer.subarray(0, value.position)).toString('hex').toUpperCase()})`;
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[ ${value.map(renderValue).join(', ')} ]`;
  if (typeof value === 'object') return renderDocument(value as Document);
  return String(value);
}

function renderDocument(doc: Document): string {
  const entries = Object.entries(doc).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${k}: ${SECRET_FIELDS.has(k) ? '"xxx"' : renderValue(v)}`).join(', ')} }`;
}

export function renderCommand(cmd: Document): string {
  const text = renderDocument(cmd);
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)} ...` : text;
}
