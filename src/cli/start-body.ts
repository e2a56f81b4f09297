// The /start body from `c2c-sync start` flags: --body JSON, then one flag per body field whose
// value is JSON when it parses as JSON and a plain string otherwise (`--source cluster0`,
// `--reversible true`, `--include-namespaces '[{"database":"sales"}]'`).
import type { FlagValues } from '../config';
import { START_BODY_FLAGS, UsageError } from './commands';

function flagValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export function buildStartBody(flags: FlagValues): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  if (typeof flags.body === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.body);
    } catch (error) {
      throw new UsageError(`--body is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--body must be a JSON object');
    body = { ...(parsed as Record<string, unknown>) };
  }
  for (const [flag, field] of Object.entries(START_BODY_FLAGS)) {
    const raw = flags[flag];
    if (typeof raw === 'string') body[field] = flagValue(raw);
  }
  return body;
}
