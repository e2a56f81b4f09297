// One convergence run, end to end: seed the source, start a `c2c-sync worker` process and the
// sync, write on the source during the copy and during change event application while faults
// fire, stop writing, wait for canCommit, commit, and compare the clusters byte for byte. The
// run also fails when it proved nothing: an enabled operation kind that did not run often enough,
// a fault that never fired, no writes during the copy.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SyncController } from '../../../src/client/sync-controller';
import { SyncError } from '../../../src/sync/errors';
import type { ClusterPair } from '../cluster-pair';
import { TEST_TUNING } from '../sync-harness';
import { uniqueTaskQueue } from '../temporal';
import { SeededRandom } from '../workload';
import { type ConvergenceConfig, describeConfig, FAIL_POINT_FAULTS, FAULT_KINDS, type FaultKind, OPERATION_KINDS, type OperationKind } from './config';
import { checkComparisonDetects, type Divergence, findDivergences, formatDivergence } from './compare';
import { type FaultCounts, FaultInjector, supportsFailCommand } from './faults';
import { appliedTotal, ConvergenceWorkload, type WorkloadStats } from './generator';
import { WorkerPool } from './workers';

export interface ConvergenceResources {
  env: TestWorkflowEnvironment;
  pair: ClusterPair;
}

export interface ConvergenceResult {
  seed: number;
  config: ConvergenceConfig;
  passed: boolean;
  /** why the run failed other than by divergence: stuck, failed, or proved nothing */
  problems: string[];
  divergences: Divergence[];
  workload: WorkloadStats;
  faults: FaultCounts;
  faultLog: string[];
  /** what this run could not do on these servers, and other facts worth printing */
  notes: string[];
  durationMs: number;
  workerOutput: string;
  workerLog: string;
}

/**
 * Fewer documents per chunk and smaller partitions than production, so faults meet a running copy;
 * short event buffer iterations, so that the copy's events go through several of them.
 */
const CONVERGENCE_TUNING = {
  ...TEST_TUNING,
  copyConcurrency: 2,
  copyBatchSize: 100,
  copyChunkMaxMs: 1000,
  heartbeatTimeoutMs: 10_000,
  bufferIterationMs: 500,
  applyBatchBytes: 256 * 1024,
};
const MIN_COPY_PHASE_OPERATIONS = 10;
/** the copy's events must have gone through the event buffer, in at least this many iterations */
const MIN_BUFFER_ITERATIONS = 2;
/** how long the copy may take (worker restarts after kills take a while on a busy machine) */
const COPY_PHASE_LIMIT_MS = 300_000;
/** how long the workload may run in change event application to reach every minimum */
const APPLY_PHASE_LIMIT_MS = 120_000;

class RunFailure extends Error {}

/** Failure messages of the faults this module injects (fail point errors, closed connections, kills). */
const INJECTED_FAILURE = /failCommand|connection .* closed|Heartbeat timeout|waiting for replication timed out|Not enough data-bearing nodes|Replication is being shut down/i;

/** Whether the source runs multi-document transactions: an aborted one leaves nothing behind. */
async function supportsTransactions(pair: ClusterPair): Promise<boolean> {
  const db = pair.admin.cluster0.db('cv_probe_txn');
  const session = pair.admin.cluster0.startSession();
  try {
    await db.createCollection('probe');
    session.startTransaction();
    await db.collection('probe').insertOne({ probe: 1 }, { session });
    await session.abortTransaction();
    return (await db.collection('probe').countDocuments()) === 0;
  } catch {
    return false;
  } finally {
    await session.endSession();
    await db.dropDatabase();
  }
}

async function supportsOut(pair: ClusterPair): Promise<boolean> {
  const db = pair.admin.cluster0.db('cv_probe_out');
  try {
    await db.collection('from').insertOne({ probe: 1 });
    await db.collection('from').aggregate([{ $out: 'to' }]).toArray();
    return true;
  } catch {
    return false;
  } finally {
    await db.dropDatabase();
  }
}

/**
 * Polls `check` until it holds. A check that throws anything but a RunFailure (a query that
 * timed out while no worker was polling, after a kill) counts as not yet; its error is reported
 * if the wait times out.
 */
async function pollUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof RunFailure) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = (lastError as { cause?: Error } | undefined)?.cause;
      const detail = lastError ? ` (last error: ${(lastError as Error).message}${cause ? `: ${cause.message}` : ''})` : '';
      throw new RunFailure(`timed out after ${timeoutMs / 1000} s waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function runConvergence(
  { env, pair }: ConvergenceResources,
  seed: number,
  config: ConvergenceConfig,
  log: (line: string) => void = (line) => console.log(line),
): Promise<ConvergenceResult> {
  const startedAt = Date.now();
  log(`convergence: SEED=${seed} ${describeConfig(config)}`);
  const notes: string[] = [];
  const problems: string[] = [];
  await pair.reset();
  await checkComparisonDetects(pair.admin.cluster0, pair.admin.cluster1);

  const failPoints = await supportsFailCommand(pair.admin.cluster1);
  const faultKinds = FAULT_KINDS.filter((kind) => config.faults.has(kind) && (failPoints || !FAIL_POINT_FAULTS.includes(kind)));
  for (const kind of FAULT_KINDS) {
    if (config.faults.has(kind) && !faultKinds.includes(kind)) notes.push(`fault '${kind}' not injected: the destination has no failCommand fail point (enableTestCommands)`);
  }
  const unavailable = new Set<OperationKind>();
  if (config.operations.has('ddl-out') && !(await supportsOut(pair))) {
    unavailable.add('ddl-out');
    notes.push("operation 'ddl-out' not run: the source refuses $out");
  }
  if (config.operations.has('transaction') && !(await supportsTransactions(pair))) {
    unavailable.add('transaction');
    notes.push("operation 'transaction' not run: the source does not run multi-document transactions");
  }

  const taskQueue = uniqueTaskQueue('convergence');
  const workers = new WorkerPool({ temporalAddress: env.address, taskQueue, uris: pair.uris });
  // started first: it needs a while to load, and seeding the source does not need it
  await workers.start();
  const workload = new ConvergenceWorkload(pair.admin.cluster0, config, seed, unavailable);
  const faults = new FaultInjector(new SeededRandom(seed ^ 0xfa017), faultKinds, pair.admin.cluster1, workers, () => workload.phase);
  const controller = new SyncController({ client: env.client, syncId: taskQueue, taskQueue, tuning: CONVERGENCE_TUNING });
  const handle = env.client.workflow.getHandle(controller.workflowId);
  let divergences: Divergence[] = [];
  let buffer: BufferUse | undefined;
  let workloadRunning = false;
  let faultsRunning = false;

  /** Fails the run when the workflow ended or an activity keeps failing. */
  const checkHealth = async (): Promise<void> => {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      const failure = await handle.result().then(
        (value) => `result ${JSON.stringify(value)}`,
        (error: Error) => `${error.message}${error.cause ? `: ${(error.cause as Error).message}` : ''}`,
      );
      throw new RunFailure(`the sync workflow ended with status ${description.status.name}: ${failure}`);
    }
    for (const activity of description.raw.pendingActivities ?? []) {
      // failures the injector caused make attempts too; only other failures make an activity stuck
      if ((activity.attempt ?? 0) >= config.stuckAttempts && !INJECTED_FAILURE.test(activity.lastFailure?.message ?? '')) {
        throw new RunFailure(
          `stuck: activity ${activity.activityType?.name} at attempt ${activity.attempt}, last failure: ${activity.lastFailure?.message ?? '(none)'}`,
        );
      }
    }
  };

  try {
    await workload.seedSource();
    await controller.start({ source: 'cluster0', destination: 'cluster1', enableUserWriteBlocking: 'destinationOnly' });
    workload.phase = 'copy';
    workload.start();
    workloadRunning = true;
    faults.start();
    faultsRunning = true;

    await pollUntil('change event application to begin', COPY_PHASE_LIMIT_MS, async () => {
      await checkHealth();
      const state = await controller.state();
      return state?.phase === 'applying';
    });
    workload.phase = 'apply';
    log(`convergence: copy done; ${workload.copyPhaseOperations()} operations during the copy`);
    const applyStart = Date.now();
    await pollUntil('the workload to finish its change event application share', APPLY_PHASE_LIMIT_MS, async () => {
      await checkHealth();
      const enough = workload.applyPhaseOperations() >= config.applyPhaseOperations && workload.lacking().length === 0;
      // every enabled fault fires during change event application too (or the limit is near)
      const faultsDone = faults.missing('apply').length === 0 || Date.now() - applyStart > APPLY_PHASE_LIMIT_MS / 2;
      return enough && faultsDone;
    });
    await workload.stop();
    workloadRunning = false;
    await faults.stop();
    faultsRunning = false;
    log(`convergence: workload stopped after ${workload.stats.operations} operations; waiting for canCommit`);

    await pollUntil('canCommit and an accepted commit', config.convergeTimeoutMs, async () => {
      await checkHealth();
      if ((await controller.progress()).canCommit !== true) return false;
      // canCommit can turn false again before the command lands (lag grows under load)
      return controller.commit().then(
        () => true,
        (error: unknown) => {
          if (error instanceof SyncError && error.error === 'CannotCommit') return false;
          throw error;
        },
      );
    });
    await pollUntil('COMMITTED', config.convergeTimeoutMs, async () => {
      await checkHealth();
      return (await controller.progress()).state === 'COMMITTED';
    });
    divergences = await findDivergences(pair.admin.cluster0, pair.admin.cluster1);
    const state = await controller.state();
    buffer = state?.buffer
      ? { events: state.buffer.checkpoint.nextSeq, iterations: state.buffer.iterations, handedOver: state.buffer.handedOver }
      : undefined;
    if (buffer) notes.push(`${buffer.events} events buffered during the copy in ${buffer.iterations} iterations`);
  } catch (error) {
    problems.push(error instanceof RunFailure ? error.message : `the run failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    if (workloadRunning) await workload.stop().catch((error: Error) => problems.push(`workload: ${error.message}`));
    if (faultsRunning) await faults.stop().catch((error: Error) => problems.push(`fault injector: ${error.message}`));
    await handle.terminate('convergence run finished').catch(() => undefined);
    await workers.kill();
  }

  // a run that failed already proved something; one that passed must have exercised everything
  if (problems.length === 0) problems.push(...vacuityProblems(workload, faults, faultKinds, buffer));
  const result: ConvergenceResult = {
    seed,
    config,
    passed: problems.length === 0 && divergences.length === 0,
    problems,
    divergences,
    workload: workload.stats,
    faults: faults.fired,
    faultLog: faults.log,
    notes,
    durationMs: Date.now() - startedAt,
    workerOutput: workers.recentOutput(),
    workerLog: workers.logPath,
  };
  log(formatResult(result));
  return result;
}

/** How the sync used the event buffer during the copy. */
interface BufferUse {
  events: number;
  iterations: number;
  handedOver: boolean;
}

/** Reasons the run proved less than it claims. */
function vacuityProblems(workload: ConvergenceWorkload, faults: FaultInjector, faultKinds: FaultKind[], buffer: BufferUse | undefined): string[] {
  const problems: string[] = [];
  if (!buffer?.handedOver || buffer.events < MIN_COPY_PHASE_OPERATIONS || buffer.iterations < MIN_BUFFER_ITERATIONS) {
    problems.push(
      `the copy's events did not go through the event buffer: ${JSON.stringify(buffer ?? null)} ` +
        `(at least ${MIN_COPY_PHASE_OPERATIONS} events in ${MIN_BUFFER_ITERATIONS} iterations, handed to the applier, expected)`,
    );
  }
  for (const kind of workload.kinds) {
    const applied = appliedTotal(workload.stats.kinds[kind]);
    if (applied < workload.minimumFor(kind)) problems.push(`operation kind '${kind}' ran ${applied} times, fewer than ${workload.minimumFor(kind)}`);
  }
  if (workload.copyPhaseOperations() < MIN_COPY_PHASE_OPERATIONS) {
    problems.push(`only ${workload.copyPhaseOperations()} operations ran during the copy (at least ${MIN_COPY_PHASE_OPERATIONS} expected)`);
  }
  for (const kind of faultKinds) {
    const fired = faults.fired[kind].copy + faults.fired[kind].apply;
    if (fired === 0) problems.push(`fault '${kind}' never fired`);
  }
  return problems;
}

export function formatResult(result: ConvergenceResult): string {
  const lines = [
    `convergence: SEED=${result.seed} ${result.passed ? 'PASSED' : 'FAILED'} in ${Math.round(result.durationMs / 1000)} s (${describeConfig(result.config)})`,
  ];
  for (const problem of result.problems) lines.push(`  problem: ${problem}`);
  if (result.divergences.length) lines.push(`  ${result.divergences.length} divergence(s):`);
  for (const divergence of result.divergences.slice(0, 40)) lines.push(`    ${formatDivergence(divergence)}`);
  for (const note of result.notes) lines.push(`  note: ${note}`);
  const kinds = OPERATION_KINDS.filter((kind) => result.config.operations.has(kind)).map((kind) => {
    const s = result.workload.kinds[kind];
    return `${kind} ${s.applied.seed}/${s.applied.copy}/${s.applied.apply}${s.skipped ? ` skipped ${s.skipped}` : ''}${s.rejected ? ` rejected ${s.rejected}` : ''}`;
  });
  lines.push(`  operations (seed/copy/apply): ${kinds.join(', ')}`);
  for (const rejection of result.workload.rejections.slice(0, 5)) lines.push(`    refused by the source: ${rejection}`);
  const faults = FAULT_KINDS.filter((kind) => result.config.faults.has(kind)).map((kind) => `${kind} ${result.faults[kind].copy}/${result.faults[kind].apply}`);
  lines.push(`  faults fired (copy/apply): ${faults.join(', ') || 'none enabled'}`);
  if (!result.passed) {
    const settings = `SEED=${result.seed} ${describeConfig(result.config)}`;
    lines.push(`  reproduce: ${settings} node --import tsx --test test/integration/convergence.test.ts   (the CI sizes)`);
    lines.push(`         or: ${settings} npm run soak -- --seeds 1   (the soak sizes)`);
    if (result.workerOutput) lines.push(`  last worker output (all of it in ${result.workerLog}):\n${result.workerOutput.replace(/^/gm, '    ')}`);
  }
  return lines.join('\n');
}
