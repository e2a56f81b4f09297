// Seeds and selections for a convergence run, from the environment (SEED, SEEDS, OPS, IDS,
// FAULTS) and from flags (--seed, --seeds, --first-seed, --ops, --ids, --faults): one reading for
// the test and the soak script, so a line printed by one reproduces in the other.
import { type ConvergenceConfig, configFrom, FULL_CONFIG } from './config';

export interface ConvergenceOptions {
  seeds: number[];
  config: ConvergenceConfig;
}

function seedNumber(text: string, from: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${from} must be a non-negative integer, got '${text}'`);
  return Number(text);
}

/**
 * `defaultSeeds` is used when neither SEED nor --seed nor --seeds is given. `--seeds N` runs N
 * seeds from --first-seed (or a random start, printed with each run).
 */
export function convergenceOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  defaultSeeds: number[],
  base: ConvergenceConfig = FULL_CONFIG,
): ConvergenceOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(seed|seeds|first-seed|ops|ids|faults)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument '${arg}'; expected --seed N, --seeds N, --first-seed N, --ops LIST, --ids LIST, --faults LIST`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    flags.set(match[1]!, value);
  }
  const config = configFrom(
    {
      ops: flags.get('ops') ?? env.OPS,
      ids: flags.get('ids') ?? env.IDS,
      faults: flags.get('faults') ?? env.FAULTS,
    },
    base,
  );
  const single = flags.get('seed') ?? env.SEED;
  const count = flags.get('seeds') ?? env.SEEDS;
  let seeds: number[];
  if (single !== undefined && count === undefined) seeds = single.split(',').map((s) => seedNumber(s.trim(), 'SEED'));
  else if (count !== undefined) {
    const n = seedNumber(count, '--seeds');
    const first = flags.get('first-seed') ?? single;
    const start = first !== undefined ? seedNumber(first, '--first-seed') : Math.floor(Math.random() * 1_000_000);
    seeds = Array.from({ length: n }, (_, i) => start + i);
  } else seeds = defaultSeeds;
  return { seeds, config };
}
