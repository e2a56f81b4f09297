// IDL-style checks of strict commands: unknown fields (40415) and missing ones (40414).
import type { Document } from 'bson';
import { CommandError } from '../../engine/types';
import { GENERIC_ARGUMENTS } from '../generic-arguments';

export function rejectUnknownFields(cmd: Document, name: string, allowed: readonly string[]): void {
  for (const field of Object.keys(cmd)) {
    if (field === name || GENERIC_ARGUMENTS.has(field) || allowed.includes(field)) continue;
    throw new CommandError(40415, 'IDLUnknownField', `BSON field '${name}.${field}' is an unknown field.`);
  }
}

export function requireField(cmd: Document, name: string, field: string): void {
  if (cmd[field] === undefined) {
    throw new CommandError(40414, 'IDLFailedToParse', `BSON field '${name}.${field}' is missing but a required field`);
  }
}
