// Command-line flags of the simulator CLI, validated with zod.
import { z } from 'zod';
import { resolveVersion } from './versions';

const FLAG_NAMES = ['port', 'replSet', 'host', 'auth', 'user', 'oplogSizeMB', 'version', 'periodicNoopIntervalMs'] as const;
type FlagName = (typeof FLAG_NAMES)[number];

const userSchema = z.string().regex(/^[^:]+:.+$/, 'expected NAME:PASSWORD').transform((value) => {
  const colon = value.indexOf(':');
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
});

const optionsSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(0),
    replSet: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected a replica set name').default('rs0'),
    host: z.string().min(1).default('127.0.0.1'),
    auth: z.boolean().default(false),
    users: z.array(userSchema).default([]),
    oplogSizeMB: z.coerce.number().positive().default(192),
    version: z
      .string()
      .default('7.0')
      .refine((v) => {
        try {
          resolveVersion(v);
          return true;
        } catch {
          return false;
        }
      }, 'expected 6.0, 7.0, 8.0 or a full version of a supported series'),
    periodicNoopIntervalMs: z.coerce.number().int().min(0).default(10_000),
  })
  .refine((o) => !o.auth || o.users.length > 0, { message: '--auth needs at least one --user NAME:PASSWORD', path: ['auth'] });

export type CliOptions = z.infer<typeof optionsSchema>;

export class CliUsageError extends Error {}

export const USAGE =
  'usage: mongo-sim [--port N] [--replSet NAME] [--host H] [--auth --user NAME:PASSWORD ...] [--oplogSizeMB N] [--version 6.0|7.0|8.0] [--periodicNoopIntervalMs N]';

/** Parses `--flag value` / `--flag=value` arguments; throws CliUsageError with a clear message. */
export function parseCliArgs(argv: string[]): CliOptions {
  const raw: Record<string, unknown> = { users: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = /^--([A-Za-z]+)(?:=(.*))?$/.exec(arg);
    if (!match || !(FLAG_NAMES as readonly string[]).includes(match[1])) throw new CliUsageError(`unknown argument '${arg}'\n${USAGE}`);
    const flag = match[1] as FlagName;
    if (flag === 'auth') {
      if (match[2] !== undefined) throw new CliUsageError('--auth takes no value');
      raw.auth = true;
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new CliUsageError(`--${flag} needs a value\n${USAGE}`);
    if (flag === 'user') (raw.users as string[]).push(value);
    else if (raw[flag] !== undefined) throw new CliUsageError(`--${flag} given twice`);
    else raw[flag] = value;
  }
  const result = optionsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.filter((p) => typeof p === 'string').join('.');
      const flag = path === 'users' ? 'user' : path;
      return `--${flag}: ${issue.message}`;
    });
    throw new CliUsageError(`${problems.join('\n')}\n${USAGE}`);
  }
  return result.data;
}
