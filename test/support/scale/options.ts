// The flags of `npm run scale`, validated with zod: every refusal names the flag and what it
// expected. Numbers accept `_` and `k`/`m` suffixes (`--documents 250k`) because scale runs are
// typed by hand.
import { z } from 'zod';
import { DEFAULT_TUNING } from '../../../src/sync/state';

export const SCALE_USAGE = `usage: npm run scale -- [flags]
  --collections N        collections on the source (default 100)
  --documents N          documents PER COLLECTION (default 100); total = collections x documents
  --doc-bytes N          BSON size of every seeded and inserted document, 64 .. 16000000 (default 1024)
  --databases N          spread the collections over N databases (default 1)
  --source-oplog-mb N    source oplog cap in MB (simulated clusters only; default: the simulator's 192)
  --write-rate N         source writes per second during the whole sync, 0 for none (default 50)
  --seed N               seed of the data and the writer (default: random, printed)
  --verification on|off  the embedded verifier (default on, as in mongosync); off measures the sync alone
  --tuning JSON          engine knobs for this sync, as C2C_TUNING (default: production defaults)
  --max-concurrent-activities N   the worker's parallel activities (default 16, as c2c-sync worker)
  --timeout-minutes N    give up waiting for canCommit / COMMITTED after N minutes (default 120)
Real clusters: set TEST_CLUSTER0_URI and TEST_CLUSTER1_URI (disposable: every user database is dropped).`;

/** 1234, 1_234, 250k, 1m, 1.5k */
function countFrom(text: string): number {
  const match = /^(\d[\d_]*(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!match) return Number.NaN;
  const base = Number(match[1]!.replaceAll('_', ''));
  const factor = { '': 1, k: 1_000, m: 1_000_000 }[match[2]!.toLowerCase() as '' | 'k' | 'm'];
  return base * factor;
}

const count = (min: number, max: number) =>
  z
    .string()
    .transform((text, ctx) => {
      const value = countFrom(text);
      if (Number.isNaN(value)) {
        ctx.addIssue({ code: 'custom', message: 'expected a number such as 2000, 2_000, 250k or 1m' });
        return z.NEVER;
      }
      return value;
    })
    .pipe(z.number().int('expected a whole number').min(min, `expected at least ${min}`).max(max, `expected at most ${max}`));

const tuningSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object such as {"copyConcurrency":8}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.number().positive()))
  .refine((tuning) => Object.keys(tuning).every((key) => key in DEFAULT_TUNING), {
    message: `unknown knob; known: ${Object.keys(DEFAULT_TUNING).join(', ')}`,
  });

const flagsSchema = z
  .object({
    collections: count(1, 1_000_000).default(100),
    documents: count(0, 1_000_000_000).default(100),
    'doc-bytes': count(64, 16_000_000).default(1024),
    databases: count(1, 10_000).default(1),
    'source-oplog-mb': count(1, 1_000_000).optional(),
    'write-rate': count(0, 100_000).default(50),
    seed: count(0, 2 ** 31 - 1).optional(),
    tuning: tuningSchema.optional(),
    verification: z.enum(['on', 'off'], { error: "expected 'on' or 'off'" }).default('on'),
    'max-concurrent-activities': count(1, 1024).default(16),
    'timeout-minutes': count(1, 100_000).default(120),
  })
  .strict()
  .refine((f) => f.databases <= f.collections, { message: 'cannot be more than --collections', path: ['databases'] });

export interface ScaleOptions {
  collections: number;
  /** per collection */
  documentsPerCollection: number;
  docBytes: number;
  databases: number;
  /** undefined: the simulator's default */
  sourceOplogMB?: number;
  writesPerSecond: number;
  seed: number;
  tuning?: Record<string, number>;
  /** the embedded verifier runs (the /start body's verification.enabled) */
  verification: boolean;
  maxConcurrentActivities: number;
  timeoutMs: number;
}

export class ScaleUsageError extends Error {}

/** Parses `--flag value` and `--flag=value`; throws ScaleUsageError naming the flag at fault. */
export function parseScaleArgs(argv: readonly string[], randomSeed: () => number = () => Math.floor(Math.random() * 1_000_000)): ScaleOptions {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ScaleUsageError(`unexpected argument '${arg}' (flags look like --collections 2000)\n${SCALE_USAGE}`);
    const name = match[1]!;
    if (!(name in flagsSchema.shape)) throw new ScaleUsageError(`unknown flag --${name}\n${SCALE_USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || (match[2] === undefined && value.startsWith('--'))) throw new ScaleUsageError(`--${name} needs a value`);
    if (name in raw) throw new ScaleUsageError(`--${name} given twice`);
    raw[name] = value;
  }
  const parsed = flagsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const flag = String(issue.path[0] ?? '');
      const given = flag in raw ? ` (got '${raw[flag]}')` : '';
      return `--${flag}: ${issue.message}${given}`;
    });
    throw new ScaleUsageError(lines.join('\n'));
  }
  const f = parsed.data;
  return {
    collections: f.collections,
    documentsPerCollection: f.documents,
    docBytes: f['doc-bytes'],
    databases: f.databases,
    ...(f['source-oplog-mb'] !== undefined ? { sourceOplogMB: f['source-oplog-mb'] } : {}),
    writesPerSecond: f['write-rate'],
    seed: f.seed ?? randomSeed(),
    ...(f.tuning ? { tuning: f.tuning } : {}),
    verification: f.verification === 'on',
    maxConcurrentActivities: f['max-concurrent-activities'],
    timeoutMs: f['timeout-minutes'] * 60_000,
  };
}

/** One line that reproduces the run. */
export function describeScaleOptions(o: ScaleOptions): string {
  return [
    `--collections ${o.collections}`,
    `--documents ${o.documentsPerCollection}`,
    `--doc-bytes ${o.docBytes}`,
    `--databases ${o.databases}`,
    ...(o.sourceOplogMB !== undefined ? [`--source-oplog-mb ${o.sourceOplogMB}`] : []),
    `--write-rate ${o.writesPerSecond}`,
    `--seed ${o.seed}`,
    ...(o.tuning ? [`--tuning '${JSON.stringify(o.tuning)}'`] : []),
    ...(o.verification ? [] : ['--verification off']),
    `--max-concurrent-activities ${o.maxConcurrentActivities}`,
  ].join(' ');
}
