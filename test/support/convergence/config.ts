// What a convergence run does: which operation kinds the workload runs, which _id types it
// uses, which faults it injects, and how much of each. Every kind can be switched off, so that a
// failing seed can be narrowed down to the kinds that reproduce it.

/** Writes and DDL the workload runs on the source. */
export const OPERATION_KINDS = [
  'insert',
  'update-field',
  'update-arithmetic',
  'update-array',
  'update-positional',
  'update-pipeline',
  'update-many',
  'dotted-fields',
  'replace',
  'delete',
  'reinsert',
  'huge-document',
  'ddl-create',
  'ddl-drop',
  'ddl-rename',
  'ddl-rename-drop-target',
  'ddl-drop-database',
  'ddl-index',
  'ddl-index-same-key',
  'ddl-coll-mod',
  'ddl-view',
  'ddl-out',
  'transaction',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** The BSON types of the `_id`s the workload writes. */
export const ID_KINDS = [
  'int32',
  'int64-snowflake',
  'double',
  'decimal128',
  'numeric-alias',
  'string',
  'object-id',
  'date',
  'uuid',
  'binary',
  'embedded-document',
  'min-max-key',
] as const;
export type IdKind = (typeof ID_KINDS)[number];

/** Faults injected while the sync runs. */
export const FAULT_KINDS = ['kill-worker', 'network-error', 'write-concern-error', 'transient-error'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that need the failCommand fail point (enableTestCommands on a real server). */
export const FAIL_POINT_FAULTS: readonly FaultKind[] = ['network-error', 'write-concern-error', 'transient-error'];

export interface ConvergenceConfig {
  operations: ReadonlySet<OperationKind>;
  idKinds: ReadonlySet<IdKind>;
  faults: ReadonlySet<FaultKind>;
  /** collections seeded before the sync starts */
  seedCollections: number;
  /** documents in each seeded collection */
  seedDocuments: number;
  /** operations the workload runs once change event application has begun */
  applyPhaseOperations: number;
  /** every enabled operation kind must have run at least this often (or the run fails) */
  minimumPerKind: number;
  /** at most this many near-16 MB documents per run (they are slow) */
  maxHugeDocuments: number;
  /** pause between two workload operations */
  operationPauseMs: number;
  /** how long to wait for canCommit and for COMMITTED before calling the sync stuck */
  convergeTimeoutMs: number;
  /** an activity retried this many times is stuck: the run stops and says why */
  stuckAttempts: number;
}

export const FULL_CONFIG: ConvergenceConfig = {
  operations: new Set(OPERATION_KINDS),
  idKinds: new Set(ID_KINDS),
  faults: new Set(FAULT_KINDS),
  seedCollections: 4,
  seedDocuments: 900,
  applyPhaseOperations: 260,
  minimumPerKind: 2,
  maxHugeDocuments: 1,
  operationPauseMs: 20,
  convergeTimeoutMs: 150_000,
  stuckAttempts: 6,
};

/**
 * Applies a selection such as `all,-ddl-rename,-huge-document` or `none,insert,update-field`
 * to `all`. Items are applied left to right; `all` and `none` reset the selection.
 */
export function parseSelection<K extends string>(spec: string, all: readonly K[], label: string): Set<K> {
  const selected = new Set<K>(all);
  for (const raw of spec.split(',').map((item) => item.trim()).filter(Boolean)) {
    if (raw === 'all') {
      for (const kind of all) selected.add(kind);
      continue;
    }
    if (raw === 'none') {
      selected.clear();
      continue;
    }
    const remove = raw.startsWith('-');
    const name = raw.replace(/^[+-]/, '');
    if (!(all as readonly string[]).includes(name)) {
      throw new Error(`unknown ${label} '${name}' in '${spec}'; known: ${all.join(', ')}`);
    }
    if (remove) selected.delete(name as K);
    else selected.add(name as K);
  }
  return selected;
}

export interface ConfigOverrides {
  ops?: string;
  ids?: string;
  faults?: string;
}

/** FULL_CONFIG with the operation, _id and fault selections given (each as for parseSelection). */
export function configFrom(overrides: ConfigOverrides, base: ConvergenceConfig = FULL_CONFIG): ConvergenceConfig {
  return {
    ...base,
    operations: overrides.ops ? parseSelection(overrides.ops, OPERATION_KINDS, 'operation kind') : base.operations,
    idKinds: overrides.ids ? parseSelection(overrides.ids, ID_KINDS, '_id kind') : base.idKinds,
    faults: overrides.faults ? parseSelection(overrides.faults, FAULT_KINDS, 'fault kind') : base.faults,
  };
}

/** The selections of a config, in the form configFrom accepts (to print a reproduction line). */
export function describeConfig(config: ConvergenceConfig): string {
  const selection = <K extends string>(selected: ReadonlySet<K>, all: readonly K[]): string => {
    if (selected.size === all.length) return 'all';
    const off = all.filter((kind) => !selected.has(kind));
    return off.length <= all.length / 2 ? ['all', ...off.map((kind) => `-${kind}`)].join(',') : ['none', ...selected].join(',');
  };
  return `OPS=${selection(config.operations, OPERATION_KINDS)} IDS=${selection(config.idKinds, ID_KINDS)} FAULTS=${selection(config.faults, FAULT_KINDS)}`;
}
